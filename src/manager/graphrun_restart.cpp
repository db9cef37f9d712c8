#include "manager/graphrun.h"

#include "manager/servicemanager_p.h"
#include "service/emitqueue.h"
#include "service/logging.h"
#include "service/qservice_p.h"

#include <algorithm>
#include <cmath>

namespace QLifecycle {

using detail::EmitQueue;
using Mode = RestartPolicy::Mode;

// Supervision (docs/supervision.md). A failure of a service whose policy asks for a restart
// does not stop the graph: the service and every service that needs it and is starting or
// running (the restart set) are stopped, dependents first, with the normal stop rules; once
// every member has stopped, the backoff delay passes; then the members start again in
// dependency order. Nothing outside the set is touched. One restart is in progress at a
// time: a failure while its members stop or wait joins it (the set grows, the delay is the
// longest asked), a failure while they start again begins a new round of it. A round counts
// once towards the intensity of the manager, and once towards that of each failed service.

namespace {
qint64 nowMs()
{
    return TimeSource::current()->nowMs();
}
} // namespace

bool GraphRun::superviseFailure(int n, QLifecycle::Phase phase, QString &message,
                                const std::exception_ptr &cause, bool cleanExit)
{
    if (m_supervised.empty() && !m_restart)
        return false; // no policy in this graph: today's fail-fast, at no cost
    if (m_stopRequested || m_aborting || (m_stage != Stage::Starting && m_stage != Stage::Running))
        return false;
    QService *service = m_graph.service(n);
    if (!service)
        return false;
    const auto found = m_supervised.find(n);
    // A member of a restart that has not started again yet: its failure joins it, whatever its
    // own policy (it is restarted anyway).
    const bool joining = m_nodes[size_t(n)].inRestart && m_restart && !m_restart->starting;
    if (!joining) {
        if (found == m_supervised.end())
            return false;
        if (cleanExit && found->second.policy.mode != Mode::Always)
            return false;
    }
    const bool newRound = !m_restart || m_restart->starting;
    const int round = newRound ? m_round + 1 : m_round;
    const qint64 now = nowMs();
    QString refused;
    Supervised *supervised = found != m_supervised.end() ? &found->second : nullptr;
    const bool countService = supervised && supervised->round != round;
    if (countService) {
        const RestartPolicy &policy = supervised->policy;
        while (!supervised->times.empty() &&
               supervised->times.front() <= now - policy.window.count())
            supervised->times.pop_front();
        if (int(supervised->times.size()) >= policy.maxRestarts)
            refused = QStringLiteral("more than %1 restart(s) within %2 ms")
                          .arg(policy.maxRestarts)
                          .arg(policy.window.count());
    }
    if (refused.isEmpty() && newRound && m_manager) {
        const ServiceManagerPrivate *d = ServiceManagerPrivate::get(m_manager);
        while (!m_restartTimes.empty() && m_restartTimes.front() <= now - d->restartWindow.count())
            m_restartTimes.pop_front();
        if (int(m_restartTimes.size()) >= d->maxRestarts)
            refused = QStringLiteral("more than %1 restart(s) of the graph within %2 ms")
                          .arg(d->maxRestarts)
                          .arg(d->restartWindow.count());
    }
    if (!refused.isEmpty()) {
        giveUpRestart(n, refused, message);
        return false;
    }

    // Restarted: the failure is shown (the service's error, errorOccurred, the log) but is not
    // one of the run's: the run has not failed.
    const Failure failure{service->name(), phase, message, cause};
    qCWarning(lcManager).noquote() << failure.toString() + QStringLiteral("; restarting");
    showFailure(service, failure);
    qint64 delay = 0;
    if (countService) {
        supervised->round = round;
        supervised->times.push_back(now);
        supervised->history.append(failure.toString());
        delay = backoffDelay(*supervised, now);
        supervised->runningSince = -1; // a stable run counts from its next start
    }
    if (newRound) {
        m_round = round;
        m_restartTimes.push_back(now);
        ++m_restartCount;
        if (m_manager)
            ServiceManagerPrivate::queueRestartCount(m_manager, m_restartCount);
        if (m_restart)
            clearRestartRound();
    }
    joinRestart(n, delay, failure.toString());
    return true;
}

// A member failed while the members start again: a new round, of what runs or starts now (the
// members still waiting to start wait for the failed one anyway).
void GraphRun::clearRestartRound()
{
    for (int member : m_restart->members) {
        m_nodes[size_t(member)].inRestart = false;
        m_nodes[size_t(member)].stopPending = false;
    }
    m_restart->members.clear();
    m_restart->unstopped = m_restart->toStart = 0;
    m_restart->delayMs = 0;
    m_restart->starting = false;
}

// A failure that does not fail the run (restarted, or of an optional service): shown on the
// service, by the manager's errorOccurred, and in the log (by the caller).
void GraphRun::showFailure(QService *service, const Failure &failure)
{
    QServicePrivate::fail(service, failure);
    QServicePrivate::queueErrorOccurred(service, failure);
    if (m_manager)
        EmitQueue::call(m_manager, [manager = m_manager.data(), service, failure] {
            ServiceManagerPrivate::emitErrorOccurred(manager, service, failure.phase,
                                                     failure.message);
        });
}

qint64 GraphRun::backoffDelay(Supervised &supervised, qint64 now)
{
    const RestartPolicy &policy = supervised.policy;
    if (supervised.runningSince >= 0 && now - supervised.runningSince >= policy.resetAfter.count())
        supervised.inARow = 0; // a stable run: the backoff begins again
    double delay = double(policy.initialDelay.count()) *
                   std::pow(policy.multiplier, double(supervised.inARow));
    delay = std::min(delay, double(policy.maxDelay.count()));
    ++supervised.inARow;
    if (policy.jitter > 0) {
        if (!m_jitter) {
            const std::optional<quint64> seed =
                m_manager ? ServiceManagerPrivate::get(m_manager)->jitterSeed : std::nullopt;
            const quint32 words[2] = {quint32(seed.value_or(0)), quint32(seed.value_or(0) >> 32)};
            m_jitter = seed ? QRandomGenerator(words, words + 2)
                            : QRandomGenerator(QRandomGenerator::global()->generate());
        }
        delay *= 1.0 + policy.jitter * (2.0 * m_jitter->generateDouble() - 1.0);
    }
    return qint64(std::llround(std::max(0.0, delay)));
}

void GraphRun::giveUpRestart(int n, const QString &why, QString &message)
{
    QService *service = m_graph.service(n);
    const auto found = m_supervised.find(n);
    message += QStringLiteral("; not restarted: ") + why;
    if (found != m_supervised.end() && !found->second.history.isEmpty())
        message += QStringLiteral(" (restarted before after: ") +
                   found->second.history.join(QStringLiteral("; ")) + u')';
    qCWarning(lcManager).noquote() << service->name() + QStringLiteral(": not restarted: ") + why;
    if (m_manager)
        ServiceManagerPrivate::queueRestartsExhausted(m_manager, service, why);
}

// Adds `n` and every service that needs it and is starting or running to the restart, and
// queues the stops that may begin.
void GraphRun::joinRestart(int n, qint64 delayMs, const QString &reason)
{
    if (!m_restart)
        m_restart = std::make_unique<Restart>();
    Restart &restart = *m_restart;
    restart.timer.reset(); // a new member: every member stops again before the delay
    restart.delayMs = std::max(restart.delayMs, delayMs);
    const auto active = [this](int node) {
        const NodeState phase = m_nodes[size_t(node)].phase;
        return phase == NodeState::Starting || phase == NodeState::Running ||
               phase == NodeState::Stopping;
    };
    std::vector<int> added = collectRestartSet(n);
    // Shown in start order, the failed service first.
    if (added.size() > 1)
        std::sort(added.begin(), added.end(), [this, n](int left, int right) {
            if ((left == n) != (right == n))
                return left == n;
            return m_graph.startPosition(left) < m_graph.startPosition(right);
        });
    QStringList names;
    for (int member : added) {
        Node &node = m_nodes[size_t(member)];
        restart.members.push_back(member);
        if (active(member)) {
            node.stopPending = true;
            ++restart.unstopped;
        }
        if (node.released) {
            // Its dependents outside the restart wait for it again (a deferred one, say).
            node.released = false;
            for (int dependent : m_graph.dependents(member))
                if (!m_nodes[size_t(dependent)].inRestart && waitsFor(dependent, member))
                    ++m_nodes[size_t(dependent)].waitingFor;
        }
        QService *service = m_graph.service(member);
        if (!service)
            continue;
        if (node.phase == NodeState::Starting) {
            // Its start is cancelled: it ends as a stop request would end it.
            if (const auto &tasks = QServicePrivate::get(service)->tasks)
                EmitQueue::call(service, [tasks] { tasks->cancelStart(); });
        }
        if (node.parked)
            continue; // stopped for good, not restarted: nothing scheduled to show
        names.append(service->name());
        QServicePrivate::queueRestartDelay(service, restart.delayMs);
        QServicePrivate::queueRestartScheduled(service, restart.delayMs,
                                               member == n
                                                   ? reason
                                                   : QStringLiteral("needs %1, which failed: %2")
                                                         .arg(m_graph.service(n)->name(), reason));
    }
    leaseRestartMembers(added);
    if (m_manager && !names.isEmpty())
        ServiceManagerPrivate::queueRestartScheduled(m_manager, m_graph.service(n), restart.delayMs,
                                                     names);
    if (restart.unstopped == 0)
        armBackoff();
}

// `n`, and what needs it and is starting or running, not in the restart yet: marked members.
std::vector<int> GraphRun::collectRestartSet(int n)
{
    std::vector<int> added;
    std::vector<int> pending{n};
    while (!pending.empty()) {
        const int next = pending.back();
        pending.pop_back();
        Node &node = m_nodes[size_t(next)];
        const bool active = node.phase == NodeState::Starting || node.phase == NodeState::Running ||
                            node.phase == NodeState::Stopping;
        if (node.inRestart || (next != n && !active))
            continue;
        node.inRestart = true;
        added.push_back(next);
        for (int dependent : m_graph.dependents(next))
            // Not what does not need it: an optional stage, an early service for a deferred one.
            if (!m_graph.isOptionalBarrier(dependent) && waitsFor(dependent, next))
                pending.push_back(dependent);
    }
    keepOptionalOrder(added);
    return added;
}

// An optional stage that waits for a member restarts with it (it needs nothing, and nothing
// needs it): what waits for that stage, and is yet to start or starts again, keeps the order.
void GraphRun::keepOptionalOrder(std::vector<int> &added)
{
    for (size_t i = 0, members = added.size(); i < members; ++i) {
        for (int barrier : m_graph.dependents(added[i])) {
            Node &node = m_nodes[size_t(barrier)];
            if (m_graph.isOptionalBarrier(barrier) && !node.inRestart &&
                node.phase == NodeState::Running) {
                node.inRestart = true;
                added.push_back(barrier);
            }
        }
    }
}

// Leases: a member stops once its dependents in the restart have stopped.
void GraphRun::leaseRestartMembers(const std::vector<int> &added)
{
    for (int member : added) {
        Node &node = m_nodes[size_t(member)];
        if (!node.stopPending)
            continue;
        int leases = 0;
        for (int dependent : m_graph.dependents(member))
            leases += m_nodes[size_t(dependent)].inRestart && m_nodes[size_t(dependent)].stopPending
                          ? 1
                          : 0;
        node.leases = leases;
        if (leases == 0 && node.phase == NodeState::Running)
            m_restartStops.push_back(member);
    }
}

bool GraphRun::launchRestartStop()
{
    while (!m_restartStops.empty()) {
        const int n = m_restartStops.front();
        m_restartStops.pop_front();
        const Node &node = m_nodes[size_t(n)];
        if (!node.inRestart || !node.stopPending || node.phase != NodeState::Running)
            continue;
        if (prepareStop(n))
            m_pendingHook = {n, m_nodes[size_t(n)].generation, false};
        return true;
    }
    return false;
}

// A member has stopped (or its start ended without running): its prerequisites in the
// restart may stop once nothing else of the restart needs them.
void GraphRun::restartMemberStopped(int n)
{
    Node &node = m_nodes[size_t(n)];
    if (!node.stopPending || !m_restart)
        return;
    node.stopPending = false;
    if (node.parked)
        settleParked(n); // not restarted: out of the run at once
    for (int prerequisite : m_graph.prerequisites(n)) {
        Node &other = m_nodes[size_t(prerequisite)];
        if (other.inRestart && other.stopPending && --other.leases == 0 &&
            other.phase == NodeState::Running)
            m_restartStops.push_back(prerequisite);
    }
    if (--m_restart->unstopped == 0)
        armBackoff();
}

void GraphRun::armBackoff()
{
    if (m_stopRequested || m_aborting) {
        endRestart();
        return;
    }
    const auto restarted =
        std::count_if(m_restart->members.begin(), m_restart->members.end(),
                      [this](int member) { return m_nodes[size_t(member)].inRestart; });
    if (restarted == 0) {
        endRestart(); // its members were all parked (graphrun_optional.cpp)
        return;
    }
    qCInfo(lcManager).noquote() << "restarting" << restarted << "node(s) in" << m_restart->delayMs
                                << "ms";
    m_restart->timer =
        TimeSource::current()->callAfter(m_restart->delayMs, &m_context, [weak = weak_from_this()] {
            if (const std::shared_ptr<GraphRun> self = weak.lock())
                self->restartSet();
        });
}

// The delay has passed: the members start again, in dependency order, each once what it
// needs runs.
void GraphRun::restartSet()
{
    if (!m_restart || m_restart->starting || m_stopRequested || m_aborting)
        return;
    Restart &restart = *m_restart;
    restart.timer.reset();
    restart.starting = true;
    restart.delayMs = 0;
    restart.toStart = 0;
    std::sort(restart.members.begin(), restart.members.end());
    for (int member : restart.members) {
        Node &node = m_nodes[size_t(member)];
        if (!node.inRestart)
            continue; // parked (graphrun_optional.cpp): out of the run since it stopped
        if (node.parked) {
            settleParked(member); // parked once it had stopped for this restart: out now
            continue;
        }
        node.phase = NodeState::Idle;
        int waitingFor = 0;
        for (int prerequisite : m_graph.prerequisites(member)) {
            const Node &other = m_nodes[size_t(prerequisite)];
            // An optional stage does not wait for a service that is out (parked).
            const bool out =
                m_graph.isOptionalBarrier(member) && isParkedOut(prerequisite) && other.released;
            if (waitsFor(member, prerequisite) && other.phase != NodeState::Running && !out)
                ++waitingFor;
        }
        node.waitingFor = waitingFor;
        ++restart.toStart;
        if (QService *service = m_graph.service(member)) {
            QServicePrivate::queueRestartDelay(service, -1);
            QServicePrivate::queueRestartCount(service,
                                               QServicePrivate::get(service)->restartCount + 1);
        }
    }
    for (int member : restart.members)
        if (m_nodes[size_t(member)].phase == NodeState::Idle &&
            m_nodes[size_t(member)].waitingFor == 0)
            m_ready.push_back(member);
    if (restart.toStart == 0)
        endRestart(); // every member was parked
    advance();
}

// A member runs again; the restart is over once they all do.
void GraphRun::memberRunning(int n)
{
    m_nodes[size_t(n)].inRestart = false;
    if (m_restart && m_restart->starting && --m_restart->toStart == 0)
        endRestart();
}

// The restart is over: every member runs again, or the graph stops (what has stopped stays
// stopped; the graph's stop takes over the rest).
void GraphRun::endRestart()
{
    if (!m_restart)
        return;
    for (int member : m_restart->members) {
        Node &node = m_nodes[size_t(member)];
        if (!m_restart->starting && node.inRestart)
            if (QService *service = m_graph.service(member))
                QServicePrivate::queueRestartDelay(service, -1);
        node.inRestart = false;
        node.stopPending = false;
    }
    m_restart.reset();
    m_restartStops.clear();
}

void GraphRun::noteRunning(int n)
{
    const auto found = m_supervised.find(n);
    if (found != m_supervised.end())
        found->second.runningSince = nowMs();
}

} // namespace QLifecycle
