#include "policies.h"

#include "invariants.h"
#include "probe.h"
#include "reentrancy.h"

#include <QtCore/QStringList>

#include <algorithm>

namespace QLifecycle::Property {

using State = QService::State;
using StopReason = ServiceManager::StopReason;

static_assert(int(Policy::AfterFirstFrame) == int(QService::StartPolicy::AfterFirstFrame) &&
              int(Policy::WhenIdle) == int(QService::StartPolicy::WhenIdle) &&
              int(Policy::OnDemand) == int(QService::StartPolicy::OnDemand));

QService::StartPolicy startPolicy(Policy policy)
{
    return QService::StartPolicy(int(policy));
}

const char *knownIssueName(KnownIssue issue)
{
    switch (issue) {
    case StageOrderIssue:
        return "a stage order through a deferred service";
    case HookRefusalIssue:
        return "ensureRunning() refused inside a hook";
    default:
        return "progress shows a start that ends while stopping";
    }
}

QString policyName(Policy policy)
{
    static const char *names[] = {"eager", "after the first frame", "when idle", "on demand"};
    return QLatin1String(names[int(policy)]);
}

namespace {

// ---- the model -----------------------------------------------------------------------------

// The graph as the library reads a service's stages: each stage waits for the one before it
// (its only service, or a barrier standing for its group), the service for its last stage.
// Nodes: the services, then the barriers.
std::vector<std::vector<int>> nodeGraph(const Scenario &scenario)
{
    std::vector<std::vector<int>> prerequisites(size_t(scenario.size()));
    for (int s = 0; s < scenario.size(); ++s) {
        int previous = -1;
        for (const StageSpec &stage : scenario.deps[size_t(s)]) {
            if (previous >= 0)
                for (int member : stage.services)
                    prerequisites[size_t(member)].push_back(previous);
            int anchor = stage.services.front();
            if (stage.services.size() > 1) {
                anchor = int(prerequisites.size());
                prerequisites.push_back(stage.services);
            }
            previous = anchor;
        }
        if (previous >= 0)
            prerequisites[size_t(s)].push_back(previous);
    }
    return prerequisites;
}

// Marks `from` and what it reaches through `next`, not going on from the nodes `stop` refuses.
template<typename Next, typename Stop>
std::vector<char> reach(size_t nodes, const std::vector<int> &from, Next next, Stop stop)
{
    std::vector<char> seen(nodes, 0);
    std::vector<int> pending;
    for (int n : from) {
        if (!seen[size_t(n)]) {
            seen[size_t(n)] = 1;
            pending.push_back(n);
        }
    }
    while (!pending.empty()) {
        const int n = pending.back();
        pending.pop_back();
        if (stop(n))
            continue;
        for (int p : next(n)) {
            if (!seen[size_t(p)]) {
                seen[size_t(p)] = 1;
                pending.push_back(p);
            }
        }
    }
    return seen;
}

PolicyModel buildModel(const Scenario &scenario, const Cycle &cycle,
                       const std::vector<std::vector<int>> &before, bool strict)
{
    PolicyModel m;
    const int size = scenario.size();
    std::vector<int> frame, idle;
    for (int s = 0; s < size; ++s) {
        const Policy p = cycle.policy(s);
        m.deferred = m.deferred || p != Policy::Eager;
        if (p == Policy::AfterFirstFrame)
            frame.push_back(s);
        else if (p == Policy::WhenIdle)
            idle.push_back(s);
    }
    if (!m.deferred)
        return m; // every service starts with the graph, every rule holds
    const auto deferred = [&](int n) { return n < size && cycle.policy(n) != Policy::Eager; };
    const auto needs = [&](int s) -> const std::vector<int> & { return before[size_t(s)]; };
    const auto never = [](int) { return false; };

    // As docs/lifecycle.md states it: the root and what it needs, not through a deferred
    // service; an early service need not wait for a deferred one; leases hold for every pair.
    const std::vector<int> roots = deferred(size - 1) ? std::vector<int>{} : std::vector{size - 1};
    std::vector<char> early = reach(size_t(size), roots, needs, deferred);
    for (int s = 0; s < size; ++s)
        early[size_t(s)] = char(early[size_t(s)] && !deferred(s)); // reached, not started early
    std::vector<std::vector<quint8>> rules(static_cast<size_t>(size));
    for (int s = 0; s < size; ++s)
        for (int b : before[size_t(s)])
            rules[size_t(s)].push_back(
                quint8((early[size_t(s)] && !early[size_t(b)] ? 0 : WaitAtStart) | OutliveAtStop));

    // As the library reads its graph of nodes: a node waits for a prerequisite unless it is
    // early and the prerequisite is not; a lease needs a chain of nodes that ran.
    const std::vector<std::vector<int>> graph = nodeGraph(scenario);
    const size_t nodes = graph.size();
    std::vector<char> hasDependent(nodes, 0);
    for (const std::vector<int> &prerequisites : graph)
        for (int p : prerequisites)
            hasDependent[size_t(p)] = 1;
    std::vector<int> top;
    for (size_t n = 0; n < nodes; ++n)
        if (!hasDependent[n] && !deferred(int(n)))
            top.push_back(int(n));
    const auto next = [&](int n) -> const std::vector<int> & { return graph[size_t(n)]; };
    std::vector<char> libEarly = reach(nodes, top, next, deferred);
    for (int s = 0; s < size; ++s)
        libEarly[size_t(s)] = char(libEarly[size_t(s)] && !deferred(s));
    std::vector<std::vector<quint8>> libRules(static_cast<size_t>(size));
    for (int s = 0; s < size; ++s) {
        std::vector<int> waited;
        const auto waits = [&](int n) -> const std::vector<int> & {
            waited.clear();
            for (int p : graph[size_t(n)])
                if (!libEarly[size_t(n)] || libEarly[size_t(p)])
                    waited.push_back(p);
            return waited;
        };
        const std::vector<char> hard = reach(nodes, {s}, waits, never);
        const std::vector<char> held =
            reach(nodes, {s}, next, [&](int n) { return n != s && deferred(n); });
        for (int b : before[size_t(s)])
            libRules[size_t(s)].push_back(
                quint8((hard[size_t(b)] ? WaitAtStart : 0) |
                       (hard[size_t(b)] || held[size_t(b)] ? OutliveAtStop : 0)));
    }

    for (int s = 0; s < size && m.divergence.isEmpty(); ++s) {
        if (early[size_t(s)] != libEarly[size_t(s)]) {
            m.divergence = QStringLiteral("s%1 does not start with the graph although an early "
                                          "service needs it")
                               .arg(s);
            break;
        }
        for (size_t k = 0; k < before[size_t(s)].size(); ++k) {
            const int b = before[size_t(s)][k];
            const quint8 doc = rules[size_t(s)][k], lib = libRules[size_t(s)][k];
            if ((doc & WaitAtStart) && !(lib & WaitAtStart))
                m.divergence =
                    QStringLiteral("s%1 does not wait for s%2, which it needs").arg(s).arg(b);
            else if (doc != lib)
                m.divergence =
                    QStringLiteral("s%1 may stop before s%2, which needs it").arg(b).arg(s);
            if (!m.divergence.isEmpty())
                break;
        }
    }
    if (m.divergence.isEmpty() || strict) {
        m.early.assign(early.begin(), early.end());
        m.rules = std::move(rules);
        m.needs = before;
        m.nodeEarly = m.early;
    } else {
        m.early.assign(libEarly.begin(), libEarly.begin() + size);
        m.rules = std::move(libRules);
        m.needs = graph;
        m.nodeEarly = libEarly;
    }
    m.frame = m.closure(frame, size);
    m.idle = m.closure(idle, size);
    return m;
}

bool lags(const Probe &probe)
{
    return probe.reentrant() && nestedLoopDepth() > 0;
}

QString reasonName(StopReason reason)
{
    static const char *names[] = {"None",       "Requested", "Quit",   "WindowClosed",
                                  "SessionEnd", "Signal",    "Failure"};
    return QLatin1String(names[int(reason)]);
}

} // namespace

std::vector<char> PolicyModel::closure(const std::vector<int> &services, int size) const
{
    if (needs.empty()) { // every service is early
        std::vector<char> marks(size_t(size), 0);
        for (int s : services)
            marks[size_t(s)] = 1;
        return marks;
    }
    const auto next = [this](int n) -> const std::vector<int> & { return needs[size_t(n)]; };
    std::vector<char> marks =
        reach(needs.size(), services, next, [this](int n) { return bool(nodeEarly[size_t(n)]); });
    marks.resize(size_t(size)); // the services
    return marks;
}

std::vector<PolicyModel> buildPolicyModels(const Scenario &scenario,
                                           const std::vector<std::vector<int>> &before, bool strict)
{
    std::vector<PolicyModel> models;
    for (const Cycle &cycle : scenario.cycles)
        models.push_back(buildModel(scenario, cycle, before, strict));
    return models;
}

// ---- on the spot ---------------------------------------------------------------------------

void checkStartWanted(Probe &probe, int index)
{
    const int c = probe.cycle();
    const PolicyModel &m = probe.model(c);
    const CycleRun &run = probe.cycleRun(c);
    if (!m.deferred || m.isEarly(index) || probe.demanded(c, index) || lags(probe))
        return;
    const Policy policy = probe.scenario().cycles[size_t(run.cycle)].policy(index);
    const QString name = QStringLiteral("s%1 (%2)").arg(index).arg(policyName(policy));
    if (!run.managerStates.contains(State::Running)) {
        probe.violation(name + QStringLiteral(" began starting before the manager was Running, "
                                              "although no ensureRunning() asked for it or for "
                                              "a service that needs it"));
    } else if (!m.frame[size_t(index)] && !m.idle[size_t(index)]) {
        probe.violation(name + QStringLiteral(" began starting although no ensureRunning() asked "
                                              "for it, nor for a deferred service that needs it"));
    } else if (!m.frame[size_t(index)]) {
        // Needed by a WhenIdle service only: once the AfterFirstFrame starts have run.
        for (int s = 0; s < probe.scenario().size(); ++s) {
            const QService *service = probe.service(s);
            if (m.frame[size_t(s)] && service && service->state() != State::Running)
                probe.violation(name + QStringLiteral(" began starting while s%1, which starts "
                                                      "after the first frame, was %2")
                                           .arg(s)
                                           .arg(stateName(service->state())));
        }
    }
}

void checkNoStartInFlight(Probe &probe, int index)
{
    if (probe.reentrant())
        return;
    for (int s = 0; s < probe.scenario().size(); ++s) {
        const QService *service = probe.service(s);
        if (service && service->state() == State::Starting)
            probe.violation(QStringLiteral("s%1 began stopping while s%2 was still Starting")
                                .arg(index)
                                .arg(s));
    }
}

void checkManagerState(Probe &probe, const ServiceManager &manager, State state)
{
    if (probe.reentrant())
        return; // slots may act between the run's decision and what it shows
    const int c = probe.cycle();
    const PolicyModel &m = probe.model(c);
    const int size = probe.scenario().size();
    auto expect = [&](bool ok, const QString &what) {
        if (!ok)
            probe.violation(QStringLiteral("manager %1: %2").arg(stateName(state), what));
    };
    const QString reason = reasonName(manager.stopReason());
    if (state == State::Starting || state == State::Running)
        expect(manager.stopReason() == StopReason::None,
               QStringLiteral("stopReason %1 before any stop was asked").arg(reason));
    int wanted = 0;
    for (int s = 0; s < size; ++s)
        wanted += m.isEarly(s) || probe.demanded(c, s) ? 1 : 0;
    if (state == State::Starting) {
        expect(manager.startProgress() == 0.0 && manager.progress() == 0.0,
               QStringLiteral("startProgress %1, progress %2 (0 expected)")
                   .arg(manager.startProgress())
                   .arg(manager.progress()));
        expect(manager.deferredCount() == size - wanted,
               QStringLiteral("deferredCount %1, %2 services are not early")
                   .arg(manager.deferredCount())
                   .arg(size - wanted));
    } else if (state == State::Running) {
        expect(manager.startProgress() == 1.0 && manager.progress() == 1.0,
               QStringLiteral("startProgress %1, progress %2 (1 expected)")
                   .arg(manager.startProgress())
                   .arg(manager.progress()));
        expect(manager.deferredCount() == size - wanted,
               QStringLiteral("deferredCount %1, %2 services are neither early nor asked for")
                   .arg(manager.deferredCount())
                   .arg(size - wanted));
        // Running once the early services run, and those ensureRunning() asked for meanwhile.
        // A service that failed while starting and whose start returned all the same counts as
        // run once, then stops for its restart (restarts.h): the manager may be Running then.
        for (int s = 0; s < size; ++s) {
            const QService *service = probe.service(s);
            if ((m.isEarly(s) || probe.demanded(c, s)) && service &&
                service->state() != State::Running && !restartPending(probe, s))
                expect(false, QStringLiteral("s%1 (%2) was %3")
                                  .arg(s)
                                  .arg(m.isEarly(s) ? QStringLiteral("early")
                                                    : QStringLiteral("asked for"),
                                       stateName(service->state())));
        }
    } else if (state == State::Stopping) {
        expect(manager.stopProgress() == 0.0 && manager.progress() == 0.0,
               QStringLiteral("stopProgress %1, progress %2 when the stop began (0 expected)")
                   .arg(manager.stopProgress())
                   .arg(manager.progress()));
        expect(manager.stopReason() != StopReason::None,
               QStringLiteral("stopReason None while stopping"));
    }
}

void checkProgressChange(Probe &probe, const ServiceManager &manager, ProgressFigure figure,
                         double value)
{
    if (probe.reentrant())
        return; // a deleted service leaves the start's count, slots see figures one step behind
    CycleRun &run = probe.cycleRun(probe.cycle());
    if (figure == ProgressFigure::Current) {
        // 0 once stopped: shown just before the final state.
        const bool ended = value == 0.0 && manager.stopProgress() == 1.0;
        if (manager.state() != State::Stopping || value == manager.stopProgress() || ended)
            return;
        const QString what = QStringLiteral("progress %1 while stopping, stopProgress %2")
                                 .arg(value)
                                 .arg(manager.stopProgress());
        if (value == manager.startProgress())
            probe.knownIssue(ProgressIssue, what + QStringLiteral(" (startProgress)"));
        else
            probe.violation(what);
        return;
    }
    double &last = figure == ProgressFigure::Start ? run.startProgress : run.stopProgress;
    // A restart takes its members out of the start's count until they run again (restarts.h).
    const bool joined =
        figure == ProgressFigure::Start && (!run.demanded.empty() || restartInProgress(probe));
    if (value < last && !joined)
        probe.violation(QStringLiteral("%1 fell from %2 to %3")
                            .arg(figure == ProgressFigure::Start ? QStringLiteral("startProgress")
                                                                 : QStringLiteral("stopProgress"))
                            .arg(last)
                            .arg(value));
    last = value;
}

StopNote beforeDriverStop(const Probe &probe, const ServiceManager &manager)
{
    return {manager.stopReason(), manager.state(), probe.cycle()};
}

void afterDriverStop(Probe &probe, const ServiceManager &manager, const StopNote &before)
{
    if (settled(before.state) || lags(probe))
        return;
    if (before.reason == StopReason::None)
        probe.cycleRun(before.run).stopFirst = true; // that run stops because the driver asked
    // The run stopped inside the call and a slot started a new one: what the manager shows now
    // is the new run's, whose first stop reason is its own (docs/lifecycle.md, "Stop reasons").
    if (probe.cycle() != before.run)
        return;
    // The stop begins at once, deferred starts in flight or not (they are cancelled).
    if (!probe.reentrant() && !settled(manager.state()) && manager.state() != State::Stopping)
        probe.violation(
            QStringLiteral("manager %1 right after requestStop()").arg(stateName(manager.state())));
    if (before.reason != StopReason::None)
        return;
    if (!probe.reentrant() && manager.stopReason() != StopReason::Requested)
        probe.violation(QStringLiteral("stopReason %1 right after requestStop()")
                            .arg(reasonName(manager.stopReason())));
}

void checkProgressNow(Probe &probe, const ServiceManager &manager, const char *where)
{
    if (lags(probe))
        return;
    const State state = manager.state();
    double expected = 0.0;
    if (state == State::Starting || state == State::Running)
        expected = manager.startProgress();
    else if (state == State::Stopping)
        expected = manager.stopProgress();
    const bool ok = manager.progress() == expected &&
                    (state != State::Running || manager.startProgress() == 1.0);
    if (!ok)
        probe.violation(QStringLiteral("%1: manager %2 with progress %3, startProgress %4, "
                                       "stopProgress %5")
                            .arg(QLatin1String(where), stateName(state))
                            .arg(manager.progress())
                            .arg(manager.startProgress())
                            .arg(manager.stopProgress()));
}

void checkDeferredCount(Probe &probe, const ServiceManager &manager, const char *where)
{
    if (probe.reentrant() || manager.state() != State::Running ||
        manager.stopReason() != StopReason::None)
        return;
    const int c = probe.cycle();
    const PolicyModel &m = probe.model(c);
    int left = 0;
    for (int s = 0; s < probe.scenario().size(); ++s)
        left += m.isEarly(s) || probe.demanded(c, s) ||
                        (m.deferred && (m.frame[size_t(s)] || m.idle[size_t(s)]))
                    ? 0
                    : 1;
    if (manager.deferredCount() != left)
        probe.violation(QStringLiteral("%1: deferredCount %2, %3 service(s) nothing wanted")
                            .arg(QLatin1String(where))
                            .arg(manager.deferredCount())
                            .arg(left));
}

// ---- at the end of a run -------------------------------------------------------------------

void checkPoliciesAtEnd(Probe &probe, const ServiceManager &manager)
{
    const int c = probe.cycle();
    const CycleRun &run = probe.cycleRun(c);
    const std::optional<Error> error = manager.error();
    const StopReason reason = manager.stopReason();
    // Failure when a failure stopped the run, Requested when the test asked for the stop
    // first (docs/lifecycle.md, "Stop reasons").
    StopReason expected = StopReason::Requested;
    if (error && !run.stopFirst)
        expected = StopReason::Failure;
    const bool known = !probe.reentrant() || !error || !run.stopRequested;
    if (known && reason != expected)
        probe.violation(QStringLiteral("stopReason %1 at the end of a run that %2, expected %3")
                            .arg(reasonName(reason),
                                 error ? QStringLiteral("failed") : QStringLiteral("was clean"),
                                 reasonName(expected)));
    const PolicyModel &m = probe.model(c);
    if (probe.reentrant() || !m.deferred)
        return;
    // deferredCount: the services nothing wanted. At least those that started (and what they
    // needed), the early ones and those asked for were; at most those the policies may have.
    const int size = probe.scenario().size();
    std::vector<int> started; // deferred ones: they wanted what they need (early ones do not)
    for (int s = 0; s < size; ++s)
        if (!run.services[size_t(s)].states.isEmpty() && !m.isEarly(s))
            started.push_back(s);
    const std::vector<char> needed = m.closure(started, size);
    int fewest = 0, most = 0;
    for (int s = 0; s < size; ++s) {
        const bool surely = m.isEarly(s) || probe.demanded(c, s) || needed[size_t(s)];
        fewest += surely || m.frame[size_t(s)] || m.idle[size_t(s)] ? 0 : 1;
        most += surely ? 0 : 1;
    }
    const int count = manager.deferredCount();
    if (count < fewest || count > most)
        probe.violation(QStringLiteral("deferredCount %1 after the run, expected %2 to %3")
                            .arg(count)
                            .arg(fewest)
                            .arg(most));
}

} // namespace QLifecycle::Property
