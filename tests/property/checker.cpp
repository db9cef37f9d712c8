#include "checker.h"

#include "demands.h"
#include "invariants.h"
#include "policies.h"
#include "reentrancy.h"
#include "restarts.h"

#include <QLifecycle/testkit/harness.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QElapsedTimer>

#include <QtCore/QTimer>

#include <coroutine>

namespace QLifecycle::Property {

using std::chrono::milliseconds;
using State = QService::State;

namespace {

// ---- Qt messages -------------------------------------------------------------------------

QStringList *s_trapped = nullptr;
const Probe *s_probe = nullptr; // the scenario being run
bool s_verbose = false;

void trapMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const bool alarming = type == QtCriticalMsg || type == QtFatalMsg ||
                          message.contains(QLatin1String("left running")) ||
                          (message.contains(QLatin1String("destroyed while")) &&
                           !(s_probe && expectedDestructionMessage(*s_probe, message))) ||
                          message.contains(QLatin1String("destroyed before its graph stopped"));
    if (alarming && s_trapped)
        s_trapped->append(QStringLiteral("logged: ") + message);
    if (alarming || s_verbose)
        fprintf(stderr, "%s: %s\n", context.category ? context.category : "qt",
                qPrintable(message));
    if (type == QtFatalMsg)
        abort();
}

// ---- driving one cycle -------------------------------------------------------------------

QCoro::Task<> capture(QCoro::Task<> task, Outcome *outcome, QStringList *others)
{
    try {
        co_await task;
    } catch (const Error &error) {
        outcome->threw = true;
        outcome->failures = error.failures();
    } catch (const std::exception &other) {
        others->append(QString::fromUtf8(other.what()));
    } catch (...) {
        others->append(QStringLiteral("a non-std exception"));
    }
}

// The driver's stop requests: the stop reason they give (policies.h), and the ensureRunning()
// calls of the cycle made while the graph stops (demands.h), after the first of them.
void requestStop(Probe *probe, ServiceManager *manager, const Cycle &cycle)
{
    probe->noteStopRequest();
    const StopNote before = beforeDriverStop(*probe, *manager);
    manager->requestStop();
    afterDriverStop(*probe, *manager, before);
    if (!std::exchange(probe->stoppingDemandsMade, true))
        demandsAt(*probe, *manager, cycle, DemandMoment::WhileStopping);
}

QCoro::Task<> stopGraph(Probe *probe, ServiceManager *manager, const Cycle &cycle,
                        CycleOutcomes *out)
{
    probe->noteStopRequest();
    const StopNote before = beforeDriverStop(*probe, *manager);
    QCoro::Task<> stopping = manager->stop(); // asks for the stop before its first suspension
    afterDriverStop(*probe, *manager, before);
    if (!std::exchange(probe->stoppingDemandsMade, true))
        demandsAt(*probe, *manager, cycle, DemandMoment::WhileStopping);
    QCoro::Task<> stopped = capture(std::move(stopping), &out->stop, &out->others);
    co_await stopped;
}

// Once start() returned with the graph Running: ensureRunning() calls, and the deferred starts
// awaited when the cycle says so.
QCoro::Task<> whileRunning(Probe *probe, ServiceManager *manager, const Cycle &cycle)
{
    checkProgressNow(*probe, *manager, "start() returned");
    demandsAt(*probe, *manager, cycle, DemandMoment::OnRunning);
    if (cycle.demandAll) {
        QCoro::Task<> all = demandEverything(*probe, *manager);
        co_await all;
    }
    if (cycle.awaitDeferred) {
        QCoro::Task<> deferred = awaitDeferredStarts(*probe, *manager);
        co_await deferred;
    }
}

QCoro::Task<> driveCycle(ServiceManager *manager, const Cycle &cycle, CycleOutcomes *out,
                         Probe *probe)
{
    const bool reentrant = probe->reentrant();
    probe->stoppingDemandsMade = false;
    demandsAt(*probe, *manager, cycle, DemandMoment::BeforeStart);
    QCoro::Task<> first = manager->start();
    std::optional<QCoro::Task<>> second;
    // Joins the start in flight, or a no-op when running. (On a Stopping graph, start() waits
    // for the stop and starts again: a run of its own, not what this cycle checks.)
    if (cycle.joinSecondStart &&
        (manager->state() == State::Starting || manager->state() == State::Running)) {
        second.emplace(manager->start());
        out->secondStartRun = probe->cycle();
    }
    out->joined = bool(second);
    demandsAt(*probe, *manager, cycle, DemandMoment::AtStart);
    auto demandTimers = std::make_unique<QObject>();
    armDelayedDemands(*probe, *manager, cycle, demandTimers.get());
    std::unique_ptr<QTimer> stopTimer;
    if (cycle.stopRequest == StopRequest::AtOnce) {
        requestStop(probe, manager, cycle);
    } else if (cycle.stopRequest == StopRequest::AfterDelay) {
        stopTimer = std::make_unique<QTimer>();
        stopTimer->setSingleShot(true);
        QObject::connect(stopTimer.get(), &QTimer::timeout, manager,
                         [probe, manager, &cycle] { requestStop(probe, manager, cycle); });
        stopTimer->start(milliseconds(cycle.stopAfterMs));
    }
    QCoro::Task<> firstDone = capture(std::move(first), &out->start, &out->others);
    co_await firstDone;
    if (second) {
        QCoro::Task<> secondDone = capture(std::move(*second), &out->secondStart, &out->others);
        co_await secondDone;
    }
    stopTimer.reset();
    QElapsedTimer stopping; // re-entrancy: how long the stop takes, from the request
    if (manager->state() == State::Running) {
        QCoro::Task<> running = whileRunning(probe, manager, cycle);
        co_await running;
        // Crashes may stop the graph meanwhile; with restarts, a longer hold lets them happen.
        co_await PreciseSleep{milliseconds(cycle.holdMs + probe->extraHoldMs())};
        probe->restartsOpen = false; // from now on the driver stops the graph for good
        if (cycle.stopByWait) {
            stopping.start();
            requestStop(probe, manager, cycle);
            out->waited = true;
            QCoro::Task<> waited = capture(manager->wait(), &out->wait, &out->others);
            co_await waited;
            if (reentrant)
                checkStoppedNow(*probe, *manager, "wait()", stopping.elapsed());
        }
    }
    probe->restartsOpen = false;
    if (!settled(manager->state())) {
        stopping.start();
        QCoro::Task<> stopped = stopGraph(probe, manager, cycle, out);
        co_await stopped;
        if (reentrant)
            checkStoppedNow(*probe, *manager, "stop()", stopping.elapsed());
    }
    if (!out->waited) { // completes at once on a stopped graph, throwing the run's error
        QCoro::Task<> waited = capture(manager->wait(), &out->wait, &out->others);
        co_await waited;
        if (reentrant)
            checkStoppedNow(*probe, *manager, "wait()", -1);
    }
    demandTimers.reset();
    checkProgressNow(*probe, *manager, "the cycle's run ended");
    demandsAt(*probe, *manager, cycle, DemandMoment::AfterEnd);
    QCoro::Task<bool> demands = settleDemands(*probe, milliseconds(5000));
    co_await demands;
}

// Generous: the sum of every delay and timeout of the cycle, as if nothing ran in parallel,
// plus slack for a loaded machine and sanitizers. Only a hang exceeds it.
milliseconds cycleBound(const Scenario &scenario, int c)
{
    const Cycle &cycle = scenario.cycles[size_t(c)];
    qint64 total = 30000 + cycle.holdMs + cycle.stopAfterMs;
    for (const Behaviour &b : cycle.behaviours)
        total += b.startDelayMs + b.stopDelayMs + b.startTimeoutMs + b.stopTimeoutMs + 20 +
                 std::max(0, b.crashAfterMs) + std::max(0, b.daemonReturnAfterMs) +
                 std::max(0, b.poolTaskMs) + std::max(0, b.adoptedFutureMs);
    if (scenario.reentrancy) // restarts run the hooks again: room for a few runs
        total += 4 * nestedLoopBudgetMs(scenario, c);
    if (scenario.restarts) // every restart plays the cycle's delays and faults again
        total = total * 4 + scenario.restarts->extraHoldMs[size_t(c)];
    return milliseconds(total);
}

// Waits until every hook, task and producer of the scenario has ended (abandoned ones too).
bool quiesce(Probe &probe, milliseconds limit)
{
    QDeadlineTimer deadline(limit);
    while ((probe.liveCoroutines > 0 || *probe.livePool > 0) && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    // A pool callable posts its report before it is destroyed, an adopted future's watcher
    // hears of it through a posted event: let those arrive too.
    QCoreApplication::sendPostedEvents();
    QCoreApplication::processEvents();
    return probe.liveCoroutines == 0 && *probe.livePool == 0;
}

} // namespace

void installMessageTrap(bool verbose)
{
    s_verbose = verbose;
    qInstallMessageHandler(trapMessage);
}

Report runScenario(const Scenario &scenario)
{
    Report report;
    QElapsedTimer clock;
    clock.start();
    auto probe = std::make_unique<Probe>(scenario);
    QStringList trapped;
    s_trapped = &trapped;
    s_probe = probe.get();

    std::vector<std::unique_ptr<ProbeService>> services;
    std::vector<QService *> raw;
    for (int i = 0; i < scenario.size(); ++i) {
        services.push_back(std::make_unique<ProbeService>(probe.get(), i));
        raw.push_back(services.back().get());
    }
    for (int i = 0; i < scenario.size(); ++i) {
        for (const StageSpec &stage : scenario.deps[size_t(i)]) {
            QList<QService *> members;
            for (int s : stage.services)
                members.append(raw[size_t(s)]);
            services[size_t(i)]->deps.append(stage.group ? Stage(members) : Stage(members.first()));
        }
        QObject::connect(raw[size_t(i)], &QService::stateChanged, raw[size_t(i)],
                         [p = probe.get(), i](State state) {
                             p->record(p->cycle(), i).states.append(state);
                             p->mark(p->cycle(), i, MarkKind::State,
                                     p->record(p->cycle(), i).startCalls, int(state));
                             if (state == State::Starting)
                                 checkStartWanted(*p, i);
                             else if (state == State::Running)
                                 p->checkBeforeRunning(i, "reached Running", false);
                             else if (state == State::Stopping) {
                                 p->checkAfterStopped(i, "began stopping");
                                 if (!restartPending(*p, i))
                                     checkNoStartInFlight(*p, i);
                             }
                             if (p->reentrant())
                                 checkServiceTransition(*p, i, state);
                         });
        QObject::connect(raw[size_t(i)], &QService::errorOccurred, raw[size_t(i)],
                         [p = probe.get(), i] { ++p->record(p->cycle(), i).errorSignals; });
    }
    probe->setServices(raw);

    auto manager = std::make_unique<ServiceManager>(raw.back());
    // The library's default, set explicitly: no service here needs more than a few
    // milliseconds to stop, so this timeout expiring is a failure the checker reports (a
    // lost wake-up, say), while a machine stalled for a second or two is not.
    manager->setDefaultGracefulShutdownTimeout(std::chrono::seconds(10));
    probe->manager = manager.get();
    QObject::connect(manager.get(), &ServiceManager::stateChanged, manager.get(),
                     [p = probe.get(), m = manager.get()](State state) {
                         if (s_verbose)
                             fprintf(stderr, "cycle %d: manager %s\n", p->cycle(),
                                     qPrintable(stateName(state)));
                         if (p->reentrant())
                             beforeManagerState(*p, state);
                         p->cycleRun(p->cycle()).managerStates.append(state);
                         checkManagerState(*p, *m, state);
                         if (p->reentrant())
                             afterManagerState(*p, *m, state);
                     });
    QObject::connect(manager.get(), &ServiceManager::errorOccurred, manager.get(),
                     [p = probe.get()] { ++p->cycleRun(p->cycle()).managerErrorSignals; });
    const auto follow = [p = probe.get(), m = manager.get()](ProgressFigure figure) {
        return [p, m, figure](double value) { checkProgressChange(*p, *m, figure, value); };
    };
    QObject::connect(manager.get(), &ServiceManager::startProgressChanged, manager.get(),
                     follow(ProgressFigure::Start));
    QObject::connect(manager.get(), &ServiceManager::stopProgressChanged, manager.get(),
                     follow(ProgressFigure::Stop));
    QObject::connect(manager.get(), &ServiceManager::progressChanged, manager.get(),
                     follow(ProgressFigure::Current));

    if (scenario.restarts)
        setUpRestarts(*probe, *manager, raw);
    // Re-entrancy: the slots, and a ServiceModel whose signals some of them listen to.
    std::unique_ptr<ReentrancyRig> rig;
    if (scenario.reentrancy)
        rig = std::make_unique<ReentrancyRig>(*probe, *manager);

    std::vector<CycleOutcomes> outcomes(scenario.cycles.size());
    for (int c = 0; c < int(scenario.cycles.size()) && !report.hung; ++c) {
        probe->setCycle(c);
        // Read at each start of the graph (docs/lifecycle.md, "Start policies").
        for (int s = 0; s < scenario.size(); ++s)
            if (QService *service = probe->service(s))
                service->setStartPolicy(startPolicy(scenario.cycles[size_t(c)].policy(s)));
        const milliseconds bound = cycleBound(scenario, c);
        if (rig)
            rig->beginCycle();
        try {
            Test::runBlocking(driveCycle(manager.get(), scenario.cycles[size_t(c)],
                                         &outcomes[size_t(c)], probe.get()),
                              bound);
        } catch (const Test::Timeout &) {
            probe->violation(
                QStringLiteral("the cycle did not end within %1 ms").arg(bound.count()));
            report.hung = true;
            break;
        }
        if (rig) {
            rig->endCycle();
            // A deletion still pending happens now, after the run (it changes nothing then).
            QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        }
        ++report.cycles;
        outcomes[size_t(c)].lastRun = probe->cycle();
        QList<Failure> &final = probe->cycleRun(probe->cycle()).final;
        const std::optional<Error> error = manager->error();
        final = error ? error->failures() : QList<Failure>();
        checkCycleEnd(*probe, *manager, final);
        if (scenario.restarts)
            checkRestartCycleEnd(*probe, *manager);
        checkPoliciesAtEnd(*probe, *manager);
        if (std::any_of(probe->demands.begin(), probe->demands.end(),
                        [](const auto &demand) { return !demand->done; })) {
            report.hung = true; // a pending ensureRunning() may still resume into the scenario
            break;
        }
        // A graph with a deleted service cannot be read again: the scenario ends here.
        const bool last = c + 1 == int(scenario.cycles.size()) || probe->deletionRequested;
        if ((scenario.cycles[size_t(c)].quiesce || last) &&
            !quiesce(*probe, std::chrono::seconds(10))) {
            probe->violation(
                QStringLiteral("abandoned hooks or tasks still running 10 s after the cycle"));
            report.hung = true;
        }
        if (last)
            break;
    }
    if (!report.hung) {
        for (int s = 0; s < scenario.size(); ++s) {
            const QService *service = probe->service(s);
            if (service && service->pendingTaskCount() != 0)
                probe->violation(
                    QStringLiteral("s%1 counts %2 pending task(s) once everything ended")
                        .arg(s)
                        .arg(service->pendingTaskCount()));
        }
        for (int r = 0; r < int(probe->runs().size()); ++r) {
            const CycleRun &run = probe->runs()[size_t(r)];
            if (run.cycle < report.cycles)
                checkCycle(*probe, r, run.final,
                           outcomesOfRun(*probe, r, outcomes[size_t(run.cycle)]), report);
        }
    }
    for (int c = 0; c < int(scenario.cycles.size()); ++c) {
        report.deferred = report.deferred || probe->model(c).deferred;
        if (report.knownIssues[StageOrderIssue].isEmpty())
            report.knownIssues[StageOrderIssue] = probe->model(c).divergence;
    }
    for (KnownIssue issue : {HookRefusalIssue, ProgressIssue})
        report.knownIssues[issue] = probe->knownIssueSeen(issue);
    report.demands = int(probe->demands.size());
    report.violations = probe->violations();
    report.restarts = int(probe->runs().size() - scenario.cycles.size());
    for (int s = 0; s < scenario.size(); ++s) {
        if (probe->destroyedByTest(s)) {
            ++report.deletions;
            (void)services[size_t(s)].release(); // deleted by deleteLater() already
        }
    }
    if (report.hung) {
        // Suspended coroutines still point at these objects: leave them be.
        (void)rig.release();
        (void)manager.release();
        for (auto &service : services)
            (void)service.release();
        (void)probe.release();
    } else {
        probe->tearingDown = true;
        rig.reset();
        manager.reset();
        services.clear();
    }
    s_probe = nullptr;
    s_trapped = nullptr;
    report.violations += trapped;
    report.elapsedMs = clock.elapsed();
    return report;
}

} // namespace QLifecycle::Property
