#include "manager/graphrun.h"

#include "manager/servicemanager_p.h"
#include "service/emitqueue.h"
#include "service/logging.h"
#include "service/qservice_p.h"

namespace QLifecycle {

using detail::EmitQueue;

// Optional services (docs/supervision.md, "Optional services"). A final failure of an optional
// service (no restart policy, or past its limits) does not stop the graph: the service, and
// every service that needs it and was to run, is parked: stopped (dependents first, as a
// restart's members stop) or never started, then left out of the run. The manager stays
// Running with its health Degraded, naming them. A service that needs it and is not optional
// cannot run without it: the failure is then the graph's, as before. What waits for a parked
// service through an optional() stage goes on without it. A retry (ensureRunning() or
// requestStart() of the service, or a demand of what needs it) wants it again, like a
// deferred start.

bool GraphRun::parkOptional(int n, QLifecycle::Phase phase, QString &message,
                            const std::exception_ptr &cause)
{
    QService *service = m_graph.service(n);
    if (!service || n == 0 || !QServicePrivate::get(service)->optional)
        return false; // the root is never optional: without it there is no graph
    if (m_stopRequested || m_aborting || (m_stage != Stage::Starting && m_stage != Stage::Running))
        return false;
    // What needs it, transitively, and was to run: it cannot run without it.
    std::vector<int> closure;
    std::vector<char> seen(size_t(m_graph.size()), 0);
    seen[size_t(n)] = 1;
    std::vector<int> pending{n};
    while (!pending.empty()) {
        const int next = pending.back();
        pending.pop_back();
        for (int dependent : m_graph.dependents(next)) {
            if (seen[size_t(dependent)] != 0 || m_graph.isOptionalBarrier(dependent) ||
                !waitsFor(dependent, next))
                continue; // it does not need it (an optional stage, an early service)
            seen[size_t(dependent)] = 1;
            const Node &node = m_nodes[size_t(dependent)];
            const bool toRun = node.inRestart || node.phase == NodeState::Starting ||
                               node.phase == NodeState::Running ||
                               node.phase == NodeState::Stopping ||
                               (node.phase == NodeState::Idle && node.wanted);
            if (!toRun)
                continue;
            QService *needs = m_graph.service(dependent);
            if (dependent == 0 || (needs && !QServicePrivate::get(needs)->optional)) {
                message += QStringLiteral("; %1 needs it and is not optional")
                               .arg(needs ? needs->name() : QStringLiteral("the root"));
                return false;
            }
            closure.push_back(dependent);
            pending.push_back(dependent);
        }
    }

    const Failure failure{service->name(), phase, message, cause};
    qCWarning(lcManager).noquote()
        << failure.toString() + QStringLiteral("; optional: the graph runs without it");
    showFailure(service, failure);
    const QString because =
        QStringLiteral("needs %1, which failed: %2").arg(service->name(), message);
    for (int member : closure) {
        if (QService *dependent = m_graph.service(member)) {
            qCWarning(lcManager).noquote()
                << dependent->name() + QStringLiteral(" stops: ") + because;
            QServicePrivate::fail(dependent, Failure{dependent->name(), phase, because, {}});
        }
    }
    if (m_restart && m_restart->starting)
        clearRestartRound(); // its members waiting to start are free again (or parked below)
    m_nodes[size_t(n)].parked = true;
    for (int member : closure) {
        Node &node = m_nodes[size_t(member)];
        node.parked = true;
        if (node.phase == NodeState::Idle && !node.inRestart)
            settleParked(member); // never started: out at once
    }
    // The others stop as a restart's members do, dependents first, and stay stopped; the
    // failed one is out at once if it does not run.
    joinRestart(n, 0, failure.toString());
    if (!m_nodes[size_t(n)].stopPending)
        settleParked(n);
    return true;
}

void GraphRun::settleParked(int n)
{
    Node &node = m_nodes[size_t(n)];
    node.phase = NodeState::StartFailed;
    node.inRestart = false; // left in the restart's list, which skips it
    if (node.wanted) {
        // Out of what the start waits for; still counted as wanted for the deferred count.
        node.wanted = false;
        --m_wanted;
    }
    releaseOptional(n);
    if (QService *service = m_graph.service(n)) {
        QServicePrivate::get(service)->failedForGood = true;
        QServicePrivate::queueRestartDelay(service, -1); // a restart it waited for is not its
        EmitQueue::serviceState(service, QService::State::Failed);
        healthChanged(service);
    }
}

// A parked node passes on, once what it waits for is settled: what waits for it through an
// optional stage goes on, and so does a parked node that waits for it (what waits for that one
// still waits for the rest of its chain).
void GraphRun::releaseOptional(int n)
{
    std::vector<int> pending{n};
    while (!pending.empty()) {
        const int next = pending.back();
        pending.pop_back();
        Node &node = m_nodes[size_t(next)];
        if (node.released || node.waitingFor > 0)
            continue;
        node.released = true; // for the optional stages and parked nodes that wait for it
        for (int dependent : m_graph.dependents(next)) {
            Node &waiting = m_nodes[size_t(dependent)];
            if (!waitsFor(dependent, next))
                continue;
            if (m_graph.isOptionalBarrier(dependent)) {
                if (--waiting.waitingFor == 0 && waiting.wanted && waiting.phase == NodeState::Idle)
                    m_ready.push_back(dependent);
            } else if (isParkedOut(dependent) && --waiting.waitingFor == 0) {
                pending.push_back(dependent);
            }
        }
    }
}

void GraphRun::unpark(int n)
{
    Node &node = m_nodes[size_t(n)];
    node.parked = false;
    node.phase = NodeState::Idle;
    if (node.released) {
        // Its optional stages (and parked nodes) wait for it again: it counts them down when
        // it runs. A stage that had passed (it was out) waits again too, for what follows it
        // and has yet to start; what runs already is not touched.
        node.released = false;
        for (int dependent : m_graph.dependents(n)) {
            Node &waiting = m_nodes[size_t(dependent)];
            if (!waitsFor(dependent, n) ||
                !(m_graph.isOptionalBarrier(dependent) || isParkedOut(dependent)))
                continue;
            ++waiting.waitingFor;
            if (m_graph.isOptionalBarrier(dependent) && waiting.phase == NodeState::Running &&
                !waiting.inRestart) {
                waiting.phase = NodeState::Idle;
                waiting.released = false;
                --m_running;
                for (int next : m_graph.dependents(dependent))
                    if (waitsFor(next, dependent))
                        ++m_nodes[size_t(next)].waitingFor;
            }
        }
    }
    int waitingFor = 0;
    for (int prerequisite : m_graph.prerequisites(n)) {
        const Node &other = m_nodes[size_t(prerequisite)];
        if (waitsFor(n, prerequisite) && !(other.phase == NodeState::Running && other.released))
            ++waitingFor;
    }
    node.waitingFor = waitingFor;
    if (const auto supervised = m_supervised.find(n); supervised != m_supervised.end()) {
        // A retry is a fresh start for its policy: its own count and backoff begin again.
        supervised->second.times.clear();
        supervised->second.inARow = 0;
        supervised->second.history.clear();
    }
    if (QService *service = m_graph.service(n)) {
        qCInfo(lcManager).noquote() << service->name() << "is started again";
        QServicePrivate::get(service)->failedForGood = false;
        healthChanged(service);
    }
}

} // namespace QLifecycle
