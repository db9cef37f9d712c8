#include "dependencygraph.h"

#include <QLifecycle/error.h>
#include <QLifecycle/qservice.h>

#include "qservice_p.h"

#include <QtCore/QHash>
#include <QtCore/QSet>
#include <QtCore/QStringList>

#include <algorithm>
#include <utility>

namespace QLifecycle {

namespace {

[[noreturn]] void refuse(const QService *service, const QString &message,
                         std::exception_ptr cause = {})
{
    throw Error(service ? service->name() : QString(), Phase::Validate, message, std::move(cause));
}

// Builds compressed rows from (row, item) pairs that are sorted by row.
void compress(const std::vector<std::pair<int, int>> &pairs, int rows, std::vector<int> &start,
              std::vector<int> &items)
{
    start.assign(size_t(rows) + 1, 0);
    for (const auto &[row, item] : pairs)
        ++start[size_t(row) + 1];
    for (size_t i = 1; i < start.size(); ++i)
        start[i] += start[i - 1];
    items.resize(pairs.size());
    std::vector<int> next(start.begin(), start.end() - 1);
    for (const auto &[row, item] : pairs)
        items[size_t(next[size_t(row)]++)] = item;
}

} // namespace

DependencyGraph DependencyGraph::build(QService *root, const ServiceManager *manager)
{
    if (!root)
        refuse(nullptr, QStringLiteral("the ServiceManager has no root service"));

    DependencyGraph graph;
    QHash<QService *, int> ids;
    std::vector<std::pair<int, int>> edges; // (node, prerequisite)

    auto idOf = [&](QService *service) {
        auto it = ids.constFind(service);
        if (it != ids.constEnd())
            return *it;
        const QServicePrivate *d = QServicePrivate::get(service);
        if (d->manager && d->manager != manager)
            refuse(service, QStringLiteral("already run by another ServiceManager"));
        const int id = int(graph.m_services.size());
        ids.insert(service, id);
        graph.m_services.push_back(service);
        return id;
    };
    auto newBarrier = [&] {
        graph.m_services.push_back(nullptr);
        return int(graph.m_services.size()) - 1;
    };

    idOf(root);
    // Breadth-first over a growing vector: services get ids in declaration order.
    for (size_t current = 0; current < graph.m_services.size(); ++current) {
        QService *service = graph.m_services[current];
        if (!service)
            continue; // a barrier made while reading an earlier service
        Dependencies stages;
        try {
            stages = QServicePrivate::dependenciesOf(service);
        } catch (...) {
            refuse(service,
                   QStringLiteral("dependencies() threw: ") + describeException(std::current_exception()),
                   std::current_exception());
        }
        QSet<QService *> listed;
        int previousAnchor = -1;
        for (qsizetype k = 0; k < stages.size(); ++k) {
            std::vector<int> members;
            for (QService *dependency : stages[k].services()) {
                if (!dependency)
                    refuse(service, QStringLiteral("null dependency in stage %1").arg(k + 1));
                if (dependency == service)
                    refuse(service, QStringLiteral("depends on itself"));
                if (listed.contains(dependency))
                    refuse(service, QStringLiteral("lists %1 more than once").arg(dependency->name()));
                listed.insert(dependency);
                members.push_back(idOf(dependency));
            }
            if (members.empty())
                continue; // an empty group is harmless
            if (previousAnchor >= 0)
                for (int member : members)
                    edges.emplace_back(member, previousAnchor);
            int anchor = members.front();
            if (members.size() > 1) {
                anchor = newBarrier();
                for (int member : members)
                    edges.emplace_back(anchor, member);
            }
            previousAnchor = anchor;
        }
        if (previousAnchor >= 0)
            edges.emplace_back(int(current), previousAnchor);
    }

    const int n = graph.size();
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    compress(edges, n, graph.m_prereqStart, graph.m_prereqs);
    for (auto &edge : edges)
        std::swap(edge.first, edge.second);
    std::sort(edges.begin(), edges.end());
    compress(edges, n, graph.m_dependentStart, graph.m_dependents);

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

    graph.m_startOrder.reserve(n);
    for (int node : order)
        if (QService *service = graph.service(node))
            graph.m_startOrder.append(service);
    return graph;
}

} // namespace QLifecycle
