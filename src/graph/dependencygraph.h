#pragma once

#include <QtCore/QList>
#include <QtCore/QString>

#include <functional>
#include <span>
#include <vector>

namespace QLifecycle {

class QService;

// The dependency graph of one run, read once from the services' dependencies() and
// validated. Pure ordering logic: no event loop, no state.
//
// Nodes are services, plus "barrier" nodes (no service) that stand for "every service of
// this parallel group is Running", so that a stage following a group of n costs n + m edges
// rather than n * m. A node may start once all its prerequisites run; it may stop once every
// node that has it as a prerequisite has stopped. Everything is iterative: a chain of
// 100 000 services needs no deep native stack.
class DependencyGraph
{
public:
    // Whether a service may be in the graph: empty, or why not (the manager's rule: not a
    // service of another manager's active run).
    using Admission = std::function<QString(const QService *)>;

    // Reads the graph below root. Throws QLifecycle::Error (phase Validate) naming the
    // services on a cycle, a null or repeated dependency, a self-dependency, a throwing
    // dependencies(), or a service that `admit` refuses.
    static DependencyGraph build(QService *root, const Admission &admit = {});

    int size() const { return int(m_services.size()); }
    // The service of a node; nullptr for a barrier.
    QService *service(int node) const { return m_services[size_t(node)]; }
    // True for the barrier of a stage declared optional(): it stands for "each service of the
    // stage runs, or has failed for good", so what follows it never needs those services.
    bool isOptionalBarrier(int node) const { return m_optional[size_t(node)] != 0; }
    // The nodes that must run before `node` starts, ascending.
    std::span<const int> prerequisites(int node) const
    {
        return slice(m_prereqStart, m_prereqs, node);
    }
    // The nodes that have `node` as a prerequisite, ascending.
    std::span<const int> dependents(int node) const
    {
        return slice(m_dependentStart, m_dependents, node);
    }
    // Every service in a valid start order (dependencies first, ties in declaration order),
    // without the services forgotten since.
    const QList<QService *> &startOrder() const;
    // Where `node` comes in the start order (-1 for a barrier): a lower position starts first.
    int startPosition(int node) const { return m_positionOf[size_t(node)]; }
    // How many services startOrder() lists, in O(1).
    int serviceCount() const { return m_liveServices; }
    // The node of `service` (which this graph's build numbered `node`), or -1 if it is no
    // longer in this graph.
    int nodeOf(const QService *service, int node) const
    {
        return node >= 0 && node < size() && m_services[size_t(node)] == service ? node : -1;
    }
    // The services a service node declared in dependencies(), its stages flattened in
    // declaration order (empty for a barrier).
    std::span<const int> declaredDependencies(int node) const;
    // Whether declaredDependencies(node)[at] comes from a stage declared optional().
    bool isDeclaredOptional(int node, int at) const;
    // A service that is being destroyed: its node becomes a barrier (no service). O(1).
    void forget(int node);

private:
    static std::span<const int> slice(const std::vector<int> &start, const std::vector<int> &items,
                                      int node)
    {
        const size_t begin = size_t(start[size_t(node)]), end = size_t(start[size_t(node) + 1]);
        return std::span<const int>(items.data() + begin, end - begin);
    }

    std::vector<QService *> m_services;
    std::vector<char> m_optional;                          // node -> an optional stage's barrier
    std::vector<int> m_declared, m_stageEnd, m_firstStage; // the stages, as build() read them
    std::vector<char> m_stageOptional;                     // stage -> declared optional()
    std::vector<int> m_prereqStart, m_prereqs;             // compressed rows: node -> prerequisites
    std::vector<int> m_dependentStart, m_dependents;       // compressed rows: node -> dependents
    std::vector<QService *> m_ordered; // the start order; nullptr where a service was forgotten
    std::vector<int> m_positionOf;     // node -> its position in m_ordered, -1 for a barrier
    int m_liveServices = 0;
    mutable QList<QService *> m_startOrder; // m_ordered without the holes, made on demand
    mutable bool m_startOrderStale = true;
};

} // namespace QLifecycle
