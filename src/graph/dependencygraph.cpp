#include "graph/dependencygraph.h"

#include <QLifecycle/error.h>
#include <QLifecycle/qservice.h>

#include "service/qservice_p.h"

#include <QtCore/QStringList>

#include <atomic>
#include <utility>

namespace QLifecycle {

namespace {

[[noreturn]] void refuse(const QService *service, const QString &message,
                         std::exception_ptr cause = {})
{
    throw Error(service ? service->name() : QString(), Phase::Validate, message, std::move(cause));
}

// Rows of `rows` nodes: for every node in ascending order, every item of its input row gets
// the node appended to the item's output row. Output rows come out ascending, and a node that
// appears twice in one input row is kept once.
void transpose(const std::vector<int> &inStart, const std::vector<int> &inItems, int rows,
               std::vector<int> &outStart, std::vector<int> &outItems)
{
    outStart.assign(size_t(rows) + 1, 0);
    for (int item : inItems)
        ++outStart[size_t(item) + 1];
    for (size_t i = 1; i < outStart.size(); ++i)
        outStart[i] += outStart[i - 1];
    std::vector<int> next(outStart.begin(), outStart.end() - 1);
    outItems.assign(inItems.size(), -1);
    for (int row = 0; row < rows; ++row) {
        for (int k = inStart[size_t(row)]; k < inStart[size_t(row) + 1]; ++k) {
            const size_t target = size_t(inItems[size_t(k)]);
            int &slot = next[target];
            if (slot > outStart[target] && outItems[size_t(slot) - 1] == row)
                continue; // duplicate edge
            outItems[size_t(slot++)] = row;
        }
    }
    // Squeeze out the slots left by duplicates.
    size_t write = 0;
    std::vector<int> squeezedStart(size_t(rows) + 1, 0);
    for (int row = 0; row < rows; ++row) {
        for (int k = outStart[size_t(row)]; k < next[size_t(row)]; ++k)
            outItems[write++] = outItems[size_t(k)];
        squeezedStart[size_t(row) + 1] = int(write);
    }
    outItems.resize(write);
    outStart = std::move(squeezedStart);
}

} // namespace

// One pass over the services, one over the edges, then Kahn's algorithm: kept in one function
// on purpose, so that 100 000 services are read with no intermediate structure.
// NOLINTNEXTLINE(readability-function-cognitive-complexity)
DependencyGraph DependencyGraph::build(QService *root, const Admission &admit)
{
    if (!root)
        refuse(nullptr, QStringLiteral("the ServiceManager has no root service"));

    static std::atomic<quint64> lastStamp{0}; // managers on other threads build their own graphs
    const quint64 stamp = ++lastStamp;
    DependencyGraph graph;

    // Every non-empty stage of every service, flat: the stages of service i are
    // stageEnd[firstStage[i] .. firstStage[i + 1]), and a stage's members are the ids in
    // memberIds from the previous stage's end to its own. A member's id is filled in as soon
    // as it is known (when it is listed after its first visit, or when it is visited), so the
    // edges need no second look at any service.
    std::vector<int> memberIds, stageEnd, firstStage;
    std::vector<char> stageOptional; // per stage: declared optional()

    // Pass 1, depth-first in declaration order (an explicit stack, no recursion): services are
    // numbered as a reader meets them, so services ready at the same moment start in that order.
    struct Pending {
        QService *service;
        int slot; // where its id goes in memberIds; -1 for the root
    };
    std::vector<Pending> todo{{root, -1}};
    while (!todo.empty()) {
        const Pending pending = todo.back();
        todo.pop_back();
        QService *service = pending.service;
        QServicePrivate *d = QServicePrivate::get(service);
        if (d->graphStamp == stamp) { // visited already, through another dependent
            memberIds[size_t(pending.slot)] = d->graphNode;
            continue;
        }
        if (admit) {
            if (const QString refusal = admit(service); !refusal.isEmpty())
                refuse(service, refusal);
        }
        const int id = int(graph.m_services.size());
        d->graphStamp = stamp;
        d->graphNode = id;
        if (pending.slot >= 0)
            memberIds[size_t(pending.slot)] = id;
        graph.m_services.push_back(service);
        firstStage.push_back(int(stageEnd.size()));
        Dependencies stages;
        try {
            stages = QServicePrivate::dependenciesOf(service);
        } catch (...) {
            refuse(service,
                   QStringLiteral("dependencies() threw: ") +
                       describeException(std::current_exception()),
                   std::current_exception());
        }
        const size_t firstSlot = memberIds.size();
        for (qsizetype k = 0; k < stages.size(); ++k) {
            for (QService *dependency : stages[k].services()) {
                if (!dependency)
                    refuse(service, QStringLiteral("null dependency in stage %1").arg(k + 1));
                if (dependency == service)
                    refuse(service, QStringLiteral("depends on itself"));
                QServicePrivate *listed = QServicePrivate::get(dependency);
                if (listed->listedStamp == stamp && listed->listedBy == id)
                    refuse(service,
                           QStringLiteral("lists %1 more than once").arg(dependency->name()));
                listed->listedStamp = stamp;
                listed->listedBy = id;
                memberIds.push_back(listed->graphStamp == stamp ? listed->graphNode : -1);
            }
            if (!stages[k].services().isEmpty()) { // an empty group is harmless
                stageEnd.push_back(int(memberIds.size()));
                stageOptional.push_back(stages[k].isOptional() ? 1 : 0);
            }
        }
        // The members not visited yet, pushed last first so that they are visited in
        // declaration order (empty stages have no slots: the slots follow the members).
        size_t slot = memberIds.size();
        for (auto stage = stages.crbegin(); stage != stages.crend(); ++stage)
            for (auto it = stage->services().crbegin(); it != stage->services().crend(); ++it)
                if (memberIds[--slot] < 0)
                    todo.push_back({*it, int(slot)});
        Q_ASSERT(slot == firstSlot);
    }
    const int serviceCount = int(graph.m_services.size());
    firstStage.push_back(int(stageEnd.size()));

    // Pass 2: the edges. A stage waits for the previous stage's anchor: its only service, or a
    // barrier standing for its whole group (or for an optional stage, even of one service);
    // the service waits for its last stage's anchor.
    std::vector<std::pair<int, int>> edges; // (node, prerequisite)
    edges.reserve(memberIds.size() + size_t(serviceCount));
    std::vector<int> required; // the anchors of a service's stages
    for (int current = 0; current < serviceCount; ++current) {
        int previousAnchor = -1;
        bool optionalSeen = false;
        for (int k = firstStage[size_t(current)]; k < firstStage[size_t(current) + 1]; ++k) {
            const int *begin = memberIds.data() + (k == 0 ? 0 : stageEnd[size_t(k) - 1]);
            const std::span<const int> members(begin, memberIds.data() + stageEnd[size_t(k)]);
            if (previousAnchor >= 0)
                for (int member : members)
                    edges.emplace_back(member, previousAnchor);
            int anchor = members.front();
            if (members.size() > 1 || stageOptional[size_t(k)] != 0) {
                graph.m_services.push_back(nullptr); // a barrier
                anchor = int(graph.m_services.size()) - 1;
                if (stageOptional[size_t(k)] != 0) {
                    graph.m_optional.resize(size_t(anchor) + 1, 0);
                    graph.m_optional[size_t(anchor)] = 1;
                }
                for (int member : members)
                    edges.emplace_back(anchor, member);
            }
            // A stage declared optional() carries no need: with one, the service waits for each
            // of its stages itself, not only through the stages after it (it needs those it did
            // not declare optional, and a restart of one keeps the order).
            optionalSeen = optionalSeen || stageOptional[size_t(k)] != 0;
            required.push_back(anchor);
            previousAnchor = anchor;
        }
        if (previousAnchor >= 0)
            edges.emplace_back(current, previousAnchor);
        if (optionalSeen)
            for (int anchor : required)
                if (anchor != previousAnchor)
                    edges.emplace_back(current, anchor);
        required.clear();
    }

    graph.m_optional.resize(graph.m_services.size(), 0);
    graph.m_declared = std::move(memberIds);
    graph.m_stageEnd = std::move(stageEnd);
    graph.m_firstStage = std::move(firstStage);
    graph.m_stageOptional = std::move(stageOptional);

    // Compressed rows in O(nodes + edges): rows by node in creation order, then two transposes
    // that sort every row and drop duplicate edges.
    const int n = graph.size();
    std::vector<int> rowStart(size_t(n) + 1, 0), rowItems(edges.size());
    for (const auto &[node, prerequisite] : edges)
        ++rowStart[size_t(node) + 1];
    for (size_t i = 1; i < rowStart.size(); ++i)
        rowStart[i] += rowStart[i - 1];
    {
        std::vector<int> next(rowStart.begin(), rowStart.end() - 1);
        for (const auto &[node, prerequisite] : edges)
            rowItems[size_t(next[size_t(node)]++)] = prerequisite;
    }
    edges = {};
    transpose(rowStart, rowItems, n, graph.m_dependentStart, graph.m_dependents);
    transpose(graph.m_dependentStart, graph.m_dependents, n, graph.m_prereqStart, graph.m_prereqs);

    // Kahn's algorithm: a start order, or the proof of a cycle.
    std::vector<int> waiting(static_cast<size_t>(n));
    std::vector<int> order;
    order.reserve(size_t(n));
    for (int node = 0; node < n; ++node) {
        waiting[size_t(node)] = int(graph.prerequisites(node).size());
        if (waiting[size_t(node)] == 0)
            order.push_back(node);
    }
    for (size_t i = 0; i < order.size(); ++i)
        for (int dependent : graph.dependents(order[i]))
            if (--waiting[size_t(dependent)] == 0)
                order.push_back(dependent);

    if (int(order.size()) < n) {
        // Every node left waits for another node left: walk until one repeats.
        int node = 0;
        while (waiting[size_t(node)] == 0)
            ++node;
        std::vector<int> seenAt(static_cast<size_t>(n), -1);
        std::vector<int> path;
        while (seenAt[size_t(node)] < 0) {
            seenAt[size_t(node)] = int(path.size());
            path.push_back(node);
            for (int prerequisite : graph.prerequisites(node)) {
                if (waiting[size_t(prerequisite)] > 0) {
                    node = prerequisite;
                    break;
                }
            }
        }
        QStringList names;
        const QService *first = nullptr;
        for (size_t i = size_t(seenAt[size_t(node)]); i < path.size(); ++i) {
            if (QService *service = graph.service(path[i])) {
                first = first ? first : service;
                names.append(service->name());
            }
        }
        names.append(names.first());
        refuse(first, QStringLiteral("cycle: ") + names.join(QStringLiteral(" -> ")));
    }

    graph.m_positionOf.assign(size_t(n), -1);
    graph.m_ordered.reserve(size_t(serviceCount));
    for (int node : order) {
        if (graph.service(node)) {
            graph.m_positionOf[size_t(node)] = int(graph.m_ordered.size());
            graph.m_ordered.push_back(graph.service(node));
        }
    }
    graph.m_liveServices = serviceCount;
    return graph;
}

std::span<const int> DependencyGraph::declaredDependencies(int node) const
{
    if (node < 0 || size_t(node) + 1 >= m_firstStage.size())
        return {}; // a barrier
    const int first = m_firstStage[size_t(node)], end = m_firstStage[size_t(node) + 1];
    if (first == end)
        return {}; // no stage
    const int begin = first == 0 ? 0 : m_stageEnd[size_t(first) - 1];
    return std::span<const int>(m_declared.data() + begin,
                                size_t(m_stageEnd[size_t(end) - 1] - begin));
}

bool DependencyGraph::isDeclaredOptional(int node, int at) const
{
    const std::span<const int> declared = declaredDependencies(node);
    if (at < 0 || size_t(at) >= declared.size())
        return false;
    const int slot = int(declared.data() - m_declared.data()) + at;
    for (int k = m_firstStage[size_t(node)]; k < m_firstStage[size_t(node) + 1]; ++k)
        if (slot < m_stageEnd[size_t(k)])
            return m_stageOptional[size_t(k)] != 0;
    return false;
}

const QList<QService *> &DependencyGraph::startOrder() const
{
    if (m_startOrderStale) {
        m_startOrder.clear();
        m_startOrder.reserve(m_liveServices);
        for (QService *service : m_ordered)
            if (service)
                m_startOrder.append(service);
        m_startOrderStale = false;
    }
    return m_startOrder;
}

void DependencyGraph::forget(int node)
{
    const int position = m_positionOf[size_t(node)];
    if (position < 0 || !m_ordered[size_t(position)])
        return;
    m_ordered[size_t(position)] = nullptr;
    m_services[size_t(node)] = nullptr;
    --m_liveServices;
    m_startOrderStale = true;
}

} // namespace QLifecycle
