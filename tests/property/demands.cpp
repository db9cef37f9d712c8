#include "demands.h"

#include "invariants.h"
#include "policies.h"
#include "probe.h"
#include "reentrancy.h"

#include <QtCore/QPointer>
#include <QtCore/QTimer>

namespace QLifecycle::Property {

using std::chrono::milliseconds;
using State = QService::State;
using StopReason = ServiceManager::StopReason;

namespace {

bool going(State state)
{
    return state == State::Starting || state == State::Running;
}

bool lags(const Probe &probe)
{
    return probe.reentrant() && nestedLoopDepth() > 0;
}

// The documented outcome of a call that has ended (docs/lifecycle.md, "Starting on demand").
void checkDemand(Probe &probe, const DemandRecord &r, const ServiceManager *manager,
                 const QService *service)
{
    const QString what =
        QStringLiteral("ensureRunning(s%1) called %2 (manager %3)")
            .arg(r.service)
            .arg(r.fromSlot ? QStringLiteral("from a slot") : QStringLiteral("by the driver"),
                 stateName(r.managerAtCall));
    auto bad = [&](const QString &why) { probe.violation(what + QStringLiteral(": ") + why); };
    const bool ownGraph =
        r.refusal.contains(QLatin1String("ServiceManager::ensureRunning() of its own graph"));
    if (ownGraph)
        // Asked for by code that runs inside a start() or stop() before its first suspension
        // (here a slot its code triggered): refused as if it waited for the whole graph.
        probe.knownIssue(HookRefusalIssue, what + QStringLiteral(": ") + r.refusal);
    else if (!r.other.isEmpty())
        bad(QStringLiteral("threw something else than an Error or a LifecycleError: ") + r.other);
    const QString name = QStringLiteral("s%1").arg(r.service);
    if (r.threw && !r.refusal.isEmpty() && !ownGraph &&
        !r.refusal.startsWith(QStringLiteral("ensureRunning(%1): ").arg(name)))
        bad(QStringLiteral("its refusal does not name the service: ") + r.refusal);
    if (r.threw && r.refusal.isEmpty() && r.failures.isEmpty())
        bad(QStringLiteral("its Error carries no failure"));
    const bool accepted =
        !r.lagAtCall && going(r.managerAtCall) && r.reasonAtCall == StopReason::None;
    if (!r.lagAtCall && !going(r.managerAtCall) && !(r.threw && r.readyAtOnce))
        bad(QStringLiteral("not refused at once although the graph was not starting or "
                           "running"));
    if (accepted && r.serviceAtCall == State::Running && !(r.ok && r.readyAtOnce))
        bad(QStringLiteral("did not complete at once although the service ran"));
    // Ended inside the call of a slot: what the states show may be one step behind.
    if (lags(probe) || (!r.following && r.lagAtCall) || !manager)
        return;
    const bool sameRun = probe.cycle() == r.run;
    if (r.ok && service && service->state() != State::Running)
        bad(QStringLiteral("completed while the service was %1").arg(stateName(service->state())));
    if (r.threw && accepted && sameRun && service && going(manager->state()) &&
        manager->stopReason() == StopReason::None)
        bad(QStringLiteral("threw while the graph went on: ") +
            (r.refusal.isEmpty() ? Error(r.failures).message() : r.refusal));
}

QCoro::Task<> follow(QCoro::Task<> call, std::shared_ptr<DemandRecord> r, Probe *probe,
                     QPointer<ServiceManager> manager, QPointer<QService> service)
{
    try {
        co_await call;
        r->ok = true;
    } catch (const Error &error) {
        r->threw = true;
        r->failures = error.failures();
    } catch (const LifecycleError &refusal) {
        r->threw = true;
        r->refusal = refusal.message();
    } catch (const std::exception &other) {
        r->other = QString::fromUtf8(other.what());
    } catch (...) {
        r->other = QStringLiteral("a non-std exception");
    }
    r->done = true;
    checkDemand(*probe, *r, manager, service);
}

} // namespace

void demand(Probe &probe, ServiceManager &manager, int service, bool fromSlot)
{
    QService *target = probe.service(service);
    if (!target)
        return; // deleted by a slot
    auto r = std::make_shared<DemandRecord>();
    r->service = service;
    r->run = probe.cycle();
    r->fromSlot = fromSlot;
    r->managerAtCall = manager.state();
    r->reasonAtCall = manager.stopReason();
    r->serviceAtCall = target->state();
    r->lagAtCall = fromSlot || lags(probe);
    // Marked first: what it asks for may begin starting inside the call.
    if (r->lagAtCall || (going(r->managerAtCall) && r->reasonAtCall == StopReason::None))
        probe.markDemanded(service);
    // A slot may spin a nested loop inside the call, in which a deleteLater() lands.
    const QPointer<QService> alive(target);
    QCoro::Task<> call = manager.ensureRunning(target);
    r->readyAtOnce = call.isReady();
    probe.demands.push_back(r);
    probe.demandTasks.push_back(
        follow(std::move(call), r, &probe, QPointer<ServiceManager>(&manager), alive));
    r->following = true;
}

void demandsAt(Probe &probe, ServiceManager &manager, const Cycle &cycle, DemandMoment moment)
{
    for (const Demand &d : cycle.demands)
        if (d.when == moment)
            demand(probe, manager, d.service);
}

void armDelayedDemands(Probe &probe, ServiceManager &manager, const Cycle &cycle, QObject *context)
{
    for (const Demand &d : cycle.demands) {
        if (d.when != DemandMoment::AfterDelay)
            continue;
        QTimer::singleShot(
            milliseconds(d.afterMs), Qt::PreciseTimer, context,
            [&probe, &manager, service = d.service] { demand(probe, manager, service); });
    }
}

QCoro::Task<> demandEverything(Probe &probe, ServiceManager &manager)
{
    const size_t first = probe.demands.size();
    const int size = probe.scenario().size();
    // From the root down in even runs, from the leaves up in odd ones.
    for (int k = 0; k < size; ++k)
        demand(probe, manager, probe.cycle() % 2 ? k : size - 1 - k);
    while (true) {
        bool done = true;
        for (size_t d = first; d < probe.demands.size(); ++d)
            done = done && probe.demands[d]->done;
        if (done)
            break;
        co_await PreciseSleep{milliseconds(1)};
    }
    bool all = true;
    for (size_t d = first; d < probe.demands.size(); ++d)
        all = all && probe.demands[d]->ok;
    if (!all || manager.state() != State::Running || manager.stopReason() != StopReason::None)
        co_return; // a failure or a stop came first
    checkDeferredCount(probe, manager, "every service asked for");
    if (!probe.reentrant() && manager.deferredCount() != 0)
        probe.violation(QStringLiteral("deferredCount %1 once every service was asked for")
                            .arg(manager.deferredCount()));
}

QCoro::Task<> awaitDeferredStarts(Probe &probe, ServiceManager &manager)
{
    const PolicyModel &m = probe.model(probe.cycle());
    if (!m.deferred)
        co_return;
    const int size = probe.scenario().size();
    constexpr int LimitMs = 10000;
    QElapsedTimer clock;
    clock.start();
    int late = -1;
    // A service deleted by a slot starts nothing: what only it needed is not waited for.
    while (manager.state() == State::Running && manager.stopReason() == StopReason::None &&
           !probe.deletionRequested) {
        late = -1;
        for (int s = 0; s < size && late < 0; ++s) {
            const QService *service = probe.service(s);
            if ((m.frame[size_t(s)] || m.idle[size_t(s)]) && service &&
                service->state() != State::Running)
                late = s;
        }
        if (late < 0) {
            checkDeferredCount(probe, manager, "the deferred starts done");
            co_return;
        }
        if (clock.elapsed() > LimitMs)
            break;
        co_await PreciseSleep{milliseconds(1)};
    }
    if (late >= 0 && clock.elapsed() > LimitMs)
        probe.violation(
            QStringLiteral("s%1 (%2) not Running %3 ms after the manager was")
                .arg(late)
                .arg(policyName(
                    probe.scenario().cycles[size_t(probe.cycleRun(probe.cycle()).cycle)].policy(
                        late)))
                .arg(LimitMs));
}

QCoro::Task<bool> settleDemands(Probe &probe, milliseconds limit)
{
    QElapsedTimer clock;
    clock.start();
    for (;;) {
        bool done = true;
        for (const std::shared_ptr<DemandRecord> &r : probe.demands)
            done = done && r->done;
        if (done)
            co_return true;
        if (clock.elapsed() > limit.count())
            break;
        co_await PreciseSleep{milliseconds(1)};
    }
    for (const std::shared_ptr<DemandRecord> &r : probe.demands)
        if (!r->done)
            probe.violation(QStringLiteral("ensureRunning(s%1), called while the manager was %2, "
                                           "still pending %3 ms after the graph stopped")
                                .arg(r->service)
                                .arg(stateName(r->managerAtCall))
                                .arg(limit.count()));
    co_return false;
}

} // namespace QLifecycle::Property
