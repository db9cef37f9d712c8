#include "reentrancy.h"

#include "invariants.h"
#include "probe.h"

#include <QLifecycle/ServiceManager>

#include <QtCore/QStringList>

#include <algorithm>

// The invariants of the re-entrancy dimension (reentrancy.h), checked on the spot.

namespace QLifecycle::Property {

using State = QService::State;

namespace {

constexpr qint64 ToleranceMs = 2000; // for the stop's duration: seconds, not milliseconds

bool loops(ReactionAction action)
{
    return action == ReactionAction::Loop || action == ReactionAction::LoopThenStop;
}

// The nested loops the slots may spin in one cycle.
qint64 slotLoopsMs(const Scenario &scenario)
{
    qint64 total = 0;
    for (const Reaction &r : scenario.reentrancy->reactions)
        total += loops(r.action) ? qint64(r.times) * r.loopMs : 0;
    return total;
}

} // namespace

// ---- invariants ---------------------------------------------------------------------------

void checkStopAllowed(Probe &probe, int cycle, int index)
{
    const ServiceRun &run = probe.record(cycle, index);
    if (!run.startAccepted || !run.states.contains(State::Running))
        probe.violation(QStringLiteral("s%1: stop() called although its start() did not "
                                       "succeed in this run (start calls %2, returns %3)")
                            .arg(index)
                            .arg(run.startCalls)
                            .arg(run.startReturns));
}

void checkServiceTransition(Probe &probe, int index, State state)
{
    if (state == State::Stopping &&
        !probe.record(probe.cycle(), index).states.contains(State::Running))
        probe.violation(QStringLiteral("s%1 began stopping without having been Running in this run")
                            .arg(index));
}

void beforeManagerState(Probe &probe, State state)
{
    if (state == State::Starting &&
        probe.cycleRun(probe.cycle()).managerStates.contains(State::Starting))
        probe.newRun();
}

void afterManagerState(Probe &probe, const ServiceManager &manager, State state)
{
    if (!settled(state))
        return;
    const std::optional<Error> error = manager.error();
    probe.cycleRun(probe.cycle()).final = error ? error->failures() : QList<Failure>();
    for (int s = 0; s < probe.scenario().size(); ++s) {
        const QService *service = probe.service(s);
        if (service && !settled(service->state()))
            probe.violation(QStringLiteral("s%1 %2 when the manager reported %3")
                                .arg(s)
                                .arg(stateName(service->state()), stateName(state)));
    }
}

void checkStoppedNow(Probe &probe, const ServiceManager &manager, const char *call,
                     qint64 elapsedMs)
{
    if (!settled(manager.state()))
        probe.violation(QStringLiteral("manager %1 when its %2 returned")
                            .arg(stateName(manager.state()), QLatin1String(call)));
    for (int s = 0; s < probe.scenario().size(); ++s) {
        const QService *service = probe.service(s);
        if (service && !settled(service->state()))
            probe.violation(QStringLiteral("s%1 %2 when the manager's %3 returned")
                                .arg(s)
                                .arg(stateName(service->state()), QLatin1String(call)));
    }
    const qint64 bound = stopBoundMs(probe);
    if (elapsedMs > bound)
        probe.violation(QStringLiteral("the manager's %1 took %2 ms, more than the %3 ms allowed "
                                       "by the delays and timeouts along the longest stop "
                                       "chain, the nested loops and %4 ms of tolerance")
                            .arg(QLatin1String(call))
                            .arg(elapsedMs)
                            .arg(bound)
                            .arg(ToleranceMs));
}

bool expectedDestructionMessage(const Probe &probe, const QString &message)
{
    for (int s = 0; s < probe.scenario().size(); ++s) {
        if (!probe.destroyedByTest(s))
            continue;
        const QString name = QStringLiteral("s%1").arg(s);
        if (message.startsWith(name + QLatin1String(" destroyed while ")) ||
            message.startsWith(name + QLatin1String(": crashed: destroyed ")))
            return true;
    }
    return false;
}

// What the manager's stop may take, from the moment it is asked: the stop of every service
// along the longest chain of services that stop one after the other (its delay, its loop or,
// with a Timeout fault, its timeout: a hook is abandoned then), the longest start still in
// flight (a graph restarted by a slot), every thread-pool task and adopted future (the pool
// is shared), every nested loop the slots may spin, and the tolerance.
qint64 stopBoundMs(const Probe &probe)
{
    const Scenario &scenario = probe.scenario();
    const int run = probe.cycle();
    std::vector<qint64> chain(size_t(scenario.size()), 0);
    qint64 longest = 0, startInFlight = 0, external = 0, dialogs = 0;
    for (int s = scenario.size() - 1; s >= 0; --s) {
        const Behaviour &b = probe.behaviour(run, s);
        const HookLoops h = probe.hookLoops(run, s);
        // Nested loops return in the reverse order they were opened: a dialog opened inside
        // another hook's shorter loop keeps that hook (and what waits for it) from going on
        // until it closes, although its own hook was abandoned at its timeout long before.
        if (h.stopDialog)
            dialogs = std::max<qint64>(dialogs, h.stopMs);
        qint64 stop = b.stopDelayMs;
        if (b.stopFault == HookFault::Timeout) // abandoned then, still in its loop or not
            stop += b.stopTimeoutMs;
        else
            stop += std::max(0, h.stopMs);
        qint64 after = 0;
        for (int a : probe.after(s))
            after = std::max(after, chain[size_t(a)]);
        chain[size_t(s)] = stop + after;
        longest = std::max(longest, chain[size_t(s)]);
        const qint64 start =
            b.startDelayMs +
            (b.startFault == HookFault::Timeout ? b.startTimeoutMs : std::max(0, h.startMs));
        startInFlight = std::max(startInFlight, start);
        external += std::max(0, b.poolTaskMs) + std::max(0, b.adoptedFutureMs);
    }
    return longest + startInFlight + external + dialogs + slotLoopsMs(scenario) + ToleranceMs;
}

qint64 nestedLoopBudgetMs(const Scenario &scenario, int cycle)
{
    qint64 total = slotLoopsMs(scenario);
    for (const HookLoops &h : scenario.reentrancy->hooks[size_t(cycle)])
        total += std::max(0, h.startMs) + std::max(0, h.stopMs);
    return total;
}

} // namespace QLifecycle::Property
