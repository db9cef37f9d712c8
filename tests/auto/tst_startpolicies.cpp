// Start policies (docs/lifecycle.md, "Start policies"): deferred services start after the
// eager ones run, in order, with what they need; on demand through ensureRunning(); leases,
// stop order and failures hold across deferred starts; the progress figures count them apart.
// The first frame of a real window is tested in tst_desktop.

#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

#include <QtCore/QCoreApplication>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;
using Policy = QService::StartPolicy;

class tst_StartPolicies : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void deferredStartAfterTheManagerRuns_data();
    void deferredStartAfterTheManagerRuns();
    void afterFirstFrameBeforeWhenIdle();
    void deferredDependenciesStartWithIt();
    void deferredDependentStartsAnOnDemandService();
    void onDemandStartsOnlyWhenAsked();
    void ensureRunningRefusesWithTheServiceNamed();
    void failedDeferredStartStopsTheGraph();
    void stopLeavesNeverStartedServicesAlone();
    void stopDuringADeferredStartCancelsIt();
    void progressCountsDeferredServicesApart();
    void policyIsReadAtEachStart();
};

void tst_StartPolicies::deferredStartAfterTheManagerRuns_data()
{
    QTest::addColumn<Policy>("policy");
    QTest::newRow("after first frame") << Policy::AfterFirstFrame;
    QTest::newRow("when idle") << Policy::WhenIdle;
}

void tst_StartPolicies::deferredStartAfterTheManagerRuns()
{
    QFETCH(Policy, policy);
    EventLog log;
    ScriptedService db(QStringLiteral("db"), &log), report(QStringLiteral("report"), &log),
        app(QStringLiteral("app"), &log);
    report.setStartPolicy(policy);
    report.deps = {&db};
    app.deps = {{&db, &report}};
    ServiceManager manager(&app);
    runBlocking(manager.start());
    // The manager is Running with the services that start with the graph; app did not wait
    // for the deferred report, which has not begun.
    QCOMPARE(manager.state(), State::Running);
    QCOMPARE(app.state(), State::Running);
    QCOMPARE(report.state(), State::Stopped);
    QCOMPARE(report.startCalls, 0);
    QCOMPARE(manager.deferredCount(), 1);
    QCOMPARE(manager.startProgress(), 1.0);
    QSignalSpy managerStates(&manager, &ServiceManager::stateChanged);
    QVERIFY(waitForState(&report, State::Running));
    QCOMPARE(manager.deferredCount(), 0);
    QCOMPARE(managerStates.count(), 0); // a deferred start changes nothing of the manager's state
    QCOMPARE(log.only(QStringLiteral(":start")), names("db app report"));
    runBlocking(manager.stop());
    // Leases hold: app (which depends on report) stops first, db (which report needs) last.
    QCOMPARE(log.only(QStringLiteral(":stopped")), names("app report db"));
}

void tst_StartPolicies::afterFirstFrameBeforeWhenIdle()
{
    EventLog log;
    ScriptedService idle(QStringLiteral("idle"), &log), frame(QStringLiteral("frame"), &log),
        app(QStringLiteral("app"), &log);
    idle.setStartPolicy(Policy::WhenIdle);
    frame.setStartPolicy(Policy::AfterFirstFrame);
    frame.onStart.delay = 30ms; // the idle one waits for it all the same
    app.deps = {{&idle, &frame}};
    ServiceManager manager(&app);
    runBlocking(manager.start());
    QCOMPARE(manager.deferredCount(), 2);
    QVERIFY(waitForState(&idle, State::Running));
    QCOMPARE(log.only(QStringLiteral(":started")), names("app frame idle"));
    runBlocking(manager.stop());
}

void tst_StartPolicies::deferredDependenciesStartWithIt()
{
    EventLog log;
    // index is needed only by the deferred search: it starts with search, not with the graph.
    ScriptedService index(QStringLiteral("index"), &log), search(QStringLiteral("search"), &log),
        shared(QStringLiteral("shared"), &log), app(QStringLiteral("app"), &log);
    search.setStartPolicy(Policy::WhenIdle);
    search.deps = {{&index, &shared}};
    app.deps = {{&shared, &search}};
    ServiceManager manager(&app);
    runBlocking(manager.start());
    QCOMPARE(log.only(QStringLiteral(":start")), names("shared app"));
    QCOMPARE(manager.deferredCount(), 2);
    QVERIFY(waitForState(&search, State::Running));
    QCOMPARE(log.only(QStringLiteral(":start")), names("shared app index search"));
    QCOMPARE(search.dependencyStatesAtStart, (QList<State>{State::Running, State::Running}));
    runBlocking(manager.stop());
    QCOMPARE(log.only(QStringLiteral(":stopped")), names("app search index shared"));
}

void tst_StartPolicies::deferredDependentStartsAnOnDemandService()
{
    // A deferred service that an eager one needs is still deferred: the eager one starts
    // without it. What starts an on-demand service without ensureRunning() is a deferred
    // dependent starting.
    EventLog log;
    ScriptedService helper(QStringLiteral("helper"), &log), viewer(QStringLiteral("viewer"), &log),
        app(QStringLiteral("app"), &log);
    helper.setStartPolicy(Policy::OnDemand);
    viewer.setStartPolicy(Policy::AfterFirstFrame);
    viewer.deps = {&helper};
    app.deps = {{&viewer, &helper}};
    ServiceManager manager(&app);
    runBlocking(manager.start());
    QCOMPARE(helper.state(), State::Stopped);
    QVERIFY(waitForState(&viewer, State::Running));
    // The on-demand helper started because its deferred dependent did, before it.
    QCOMPARE(log.only(QStringLiteral(":started")), names("app helper viewer"));
    runBlocking(manager.stop());
}

QCoro::Task<> ensure(ServiceManager &manager, QService *service)
{
    co_await manager.ensureRunning(service);
}

void tst_StartPolicies::onDemandStartsOnlyWhenAsked()
{
    EventLog log;
    ScriptedService exporter(QStringLiteral("exporter"), &log), db(QStringLiteral("db"), &log),
        app(QStringLiteral("app"), &log);
    exporter.setStartPolicy(Policy::OnDemand);
    exporter.deps = {&db};
    exporter.onStart.delay = 20ms;
    app.deps = {{&db, &exporter}};
    ServiceManager manager(&app);
    runBlocking(manager.start());
    // Nothing starts it by itself: not after the first frame, not when idle.
    QTest::qWait(50);
    QCOMPARE(exporter.state(), State::Stopped);
    QCOMPARE(manager.deferredCount(), 1);
    runBlocking(ensure(manager, &exporter));
    QCOMPARE(exporter.state(), State::Running);
    QCOMPARE(exporter.startCalls, 1);
    QCOMPARE(manager.deferredCount(), 0);
    runBlocking(ensure(manager, &exporter)); // running already: at once, no second start
    QCOMPARE(exporter.startCalls, 1);
    runBlocking(manager.stop());
    QCOMPARE(log.only(QStringLiteral(":stopped")), names("app exporter db"));
}

void tst_StartPolicies::ensureRunningRefusesWithTheServiceNamed()
{
    ScriptedService lone(QStringLiteral("lone")), app(QStringLiteral("app"));
    ServiceManager manager(&app);
    // Not started yet.
    std::optional<Error> error = expectError(ensure(manager, &app));
    QVERIFY(error);
    QVERIFY2(error->message().contains(QStringLiteral("app")), qPrintable(error->message()));
    QVERIFY2(error->message().contains(QStringLiteral("not running")),
             qPrintable(error->message()));
    runBlocking(manager.start());
    // Not in the graph.
    error = expectError(ensure(manager, &lone));
    QVERIFY(error);
    QVERIFY2(error->message().contains(QStringLiteral("lone")), qPrintable(error->message()));
    QVERIFY2(error->message().contains(QStringLiteral("not in the graph")),
             qPrintable(error->message()));
    // No service at all.
    error = expectError(ensure(manager, nullptr));
    QVERIFY(error);
    QVERIFY2(error->message().contains(QStringLiteral("nullptr")), qPrintable(error->message()));
    runBlocking(manager.stop());
}

void tst_StartPolicies::failedDeferredStartStopsTheGraph()
{
    EventLog log;
    ScriptedService broken(QStringLiteral("broken"), &log), db(QStringLiteral("db"), &log),
        app(QStringLiteral("app"), &log);
    broken.setStartPolicy(Policy::OnDemand);
    broken.onStart.fail = true;
    broken.deps = {&db};
    app.deps = {{&db, &broken}};
    ServiceManager manager(&app);
    runBlocking(manager.start());
    QTest::ignoreMessage(QtWarningMsg, "broken: start failed: scripted failure");
    const std::optional<Error> error = expectError(ensure(manager, &broken));
    QVERIFY(error);
    QVERIFY2(error->message().contains(QStringLiteral("broken: start failed")),
             qPrintable(error->message()));
    // Fail fast: the whole graph stops, as for a crash, and says why.
    QVERIFY(waitForState(&manager, State::Failed));
    QCOMPARE(manager.stopReason(), ServiceManager::StopReason::Failure);
    QCOMPARE(broken.state(), State::Failed);
    QCOMPARE(broken.stopCalls, 0); // a failed start is not stopped
    QCOMPARE(log.only(QStringLiteral(":stopped")), names("app db"));
}

void tst_StartPolicies::stopLeavesNeverStartedServicesAlone()
{
    ScriptedService later(QStringLiteral("later")), app(QStringLiteral("app"));
    later.setStartPolicy(Policy::OnDemand);
    app.deps = {&later};
    ServiceManager manager(&app);
    QSignalSpy laterStates(&later, &QService::stateChanged);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QCOMPARE(later.startCalls, 0);
    QCOMPARE(later.stopCalls, 0);
    QCOMPARE(laterStates.count(), 0); // never Starting, never Stopping
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(manager.stopReason(), ServiceManager::StopReason::Requested);
}

void tst_StartPolicies::stopDuringADeferredStartCancelsIt()
{
    ScriptedService slow(QStringLiteral("slow")), db(QStringLiteral("db")),
        app(QStringLiteral("app"));
    slow.setStartPolicy(Policy::WhenIdle);
    slow.onStart.delay = 10s;
    slow.onStart.cancellable = true;
    slow.deps = {&db};
    app.deps = {{&slow, &db}};
    ServiceManager manager(&app);
    runBlocking(manager.start());
    QVERIFY(waitForState(&slow, State::Starting));
    QCOMPARE(manager.state(), State::Running);
    runBlocking(manager.stop(), 5s);
    QCOMPARE(manager.state(), State::Stopped); // a cancelled start is no failure
    QCOMPARE(slow.state(), State::Stopped);
    QCOMPARE(slow.stopCalls, 0);
    QCOMPARE(db.state(), State::Stopped);
}

void tst_StartPolicies::progressCountsDeferredServicesApart()
{
    ScriptedService a(QStringLiteral("a")), b(QStringLiteral("b")), later(QStringLiteral("later")),
        app(QStringLiteral("app"));
    later.setStartPolicy(Policy::OnDemand);
    a.onStop.delay = b.onStop.delay = 10ms;
    app.deps = {{&a, &b, &later}};
    ServiceManager manager(&app);
    QList<double> starts, stops, progress;
    connect(&manager, &ServiceManager::startProgressChanged, this,
            [&](double p) { starts.append(p); });
    connect(&manager, &ServiceManager::stopProgressChanged, this,
            [&](double p) { stops.append(p); });
    QList<QPair<State, double>> atStateChange;
    connect(&manager, &ServiceManager::stateChanged, this, [&](State state) {
        atStateChange.append({state, manager.progress()});
    });
    runBlocking(manager.start());
    // Of the 3 services that start with the graph; the deferred one is counted apart.
    QCOMPARE(starts.last(), 1.0);
    QCOMPARE(starts.size(), 3);
    QCOMPARE(manager.deferredCount(), 1);
    QCOMPARE(manager.stopProgress(), 0.0);
    runBlocking(manager.stop());
    // Stop progress rises from 0 to 1; nothing shows 100 % when the stop begins.
    QCOMPARE(stops.last(), 1.0);
    for (int i = 1; i < stops.size(); ++i)
        QVERIFY(stops[i] > stops[i - 1]);
    const auto stopping =
        std::find_if(atStateChange.cbegin(), atStateChange.cend(),
                     [](const auto &seen) { return seen.first == State::Stopping; });
    QVERIFY(stopping != atStateChange.cend());
    QCOMPARE(stopping->second, 0.0);
    QCOMPARE(manager.progress(), 0.0); // no operation under way
    QCOMPARE(manager.stopProgress(), 1.0);
}

void tst_StartPolicies::policyIsReadAtEachStart()
{
    ScriptedService later(QStringLiteral("later")), app(QStringLiteral("app"));
    app.deps = {&later};
    ServiceManager manager(&app);
    QSignalSpy changed(&later, &QService::startPolicyChanged);
    later.setStartPolicy(Policy::OnDemand);
    later.setStartPolicy(Policy::OnDemand); // no change, no signal
    QCOMPARE(changed.count(), 1);
    runBlocking(manager.start());
    QCOMPARE(later.state(), State::Stopped);
    runBlocking(manager.stop());
    later.setStartPolicy(Policy::Eager);
    runBlocking(manager.start());
    QCOMPARE(later.state(), State::Running);
    QCOMPARE(manager.deferredCount(), 0);
    runBlocking(manager.stop());
}

QTEST_GUILESS_MAIN(tst_StartPolicies)
#include "tst_startpolicies.moc"
