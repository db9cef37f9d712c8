// Dependencies and ordering, and the manager (docs/contract.md, Ordering and The manager and the
// application): start and stop orders, parallel groups, diamonds and leases, no-ops, restart, stop
// during start.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>

#include <QtCore/QThread>

using namespace QLifecycle;
using namespace QLifecycle::Test;

class tst_Ordering : public QObject
{
    Q_OBJECT

private:
    QCoro::Task<> drivenFromCoroutineBody();

private Q_SLOTS:
    void sequentialStagesStartInOrderAndStopInReverse();
    void groupMembersStartTogetherInDeclarationOrder();
    void stageAfterGroupWaitsForWholeGroup();
    void independentBranchesDoNotWaitForEachOther();
    void dependenciesRunThroughoutDependentsStartAndStop();
    void sharedDependencyStopsAfterLastDependent();
    void failedStartTakesNoLease();
    void ordersAreDeterministic();
    void managerStateFollowsTheRun();
    void startOnRunningGraphIsNoop();
    void stopOnStoppedGraphIsNoop();
    void waitReturnsAfterRequestStop();
    void stopRequestedDuringStartIsHonoured();
    void stopRequestedBeforeAnyStartCompletes();
    void stoppedGraphStartsAgainWithFreshState();
    void requestStopFromAnotherThread();
    void drivenFromCoroutine() { runBlocking(drivenFromCoroutineBody()); }
    void servicesListedInStartOrder();
    void ownershipReleasedAfterRun();
};

void tst_Ordering::sequentialStagesStartInOrderAndStopInReverse()
{
    EventLog log;
    ScriptedService a(QStringLiteral("a"), &log), b(QStringLiteral("b"), &log),
        c(QStringLiteral("c"), &log), root(QStringLiteral("root"), &log);
    b.onStart.yield = true;
    root.deps = {&a, &b, &c};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QCOMPARE(log.events(), names("a:start a:started b:start b:started c:start c:started "
                                 "root:start root:started root:stop root:stopped c:stop "
                                 "c:stopped b:stop b:stopped a:stop a:stopped"));
}

void tst_Ordering::groupMembersStartTogetherInDeclarationOrder()
{
    EventLog log;
    ScriptedService a(QStringLiteral("a"), &log), b(QStringLiteral("b"), &log),
        c(QStringLiteral("c"), &log), root(QStringLiteral("root"), &log);
    for (ScriptedService *s : {&a, &b, &c})
        s->onStart.yield = s->onStop.yield = true;
    root.deps = {{&a, &b, &c}};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    // All three began before any returned: they ran in parallel, begun in declaration order.
    QCOMPARE(log.events().mid(0, 3), names("a:start b:start c:start"));
    runBlocking(manager.stop());
    const qsizetype firstStopped = std::min({log.indexOf(QStringLiteral("a:stopped")),
                                             log.indexOf(QStringLiteral("b:stopped")),
                                             log.indexOf(QStringLiteral("c:stopped"))});
    for (const char *name : {"a:stop", "b:stop", "c:stop"})
        QVERIFY2(log.indexOf(QString::fromLatin1(name)) < firstStopped,
                 qPrintable(log.events().join(QLatin1Char(' '))));
}

void tst_Ordering::stageAfterGroupWaitsForWholeGroup()
{
    EventLog log;
    ScriptedService b(QStringLiteral("b"), &log), c(QStringLiteral("c"), &log),
        d(QStringLiteral("d"), &log), root(QStringLiteral("root"), &log);
    b.onStart.delay = std::chrono::milliseconds(30);
    c.onStart.yield = true;
    root.deps = {{&b, &c}, &d}; // facet: b and c in parallel, then d, then root
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QVERIFY(log.indexOf(QStringLiteral("d:start")) > log.indexOf(QStringLiteral("b:started")));
    QVERIFY(log.indexOf(QStringLiteral("d:start")) > log.indexOf(QStringLiteral("c:started")));
    runBlocking(manager.stop());
    // Mirror: root, then d, then the group (reverse declaration order: c before b).
    QCOMPARE(log.only(QStringLiteral(":stop")), names("root d c b"));
    QVERIFY(log.indexOf(QStringLiteral("c:stop")) > log.indexOf(QStringLiteral("d:stopped")));
}

void tst_Ordering::independentBranchesDoNotWaitForEachOther()
{
    EventLog log;
    ScriptedService slow(QStringLiteral("slow"), &log), left(QStringLiteral("left"), &log),
        right(QStringLiteral("right"), &log), root(QStringLiteral("root"), &log);
    slow.onStart.hang = true; // released by hand below
    left.deps = {&slow};
    root.deps = {{&left, &right}};
    ServiceManager manager(&root);
    runBlocking([](ServiceManager *m) -> QCoro::Task<> {
        m->start();
        co_return;
    }(&manager));
    QVERIFY(waitForState(&right, State::Running));
    QCOMPARE(slow.state(), State::Starting); // right did not wait for the other branch
    QCOMPARE(left.state(), State::Stopped);
    slow.sleeper().wakeAll();
    QVERIFY(waitForState(&manager, State::Running));
    runBlocking(manager.stop());
}

void tst_Ordering::dependenciesRunThroughoutDependentsStartAndStop()
{
    ScriptedService a(QStringLiteral("a")), b(QStringLiteral("b")), c(QStringLiteral("c")),
        root(QStringLiteral("root"));
    a.onStop.yield = b.onStop.yield = root.onStop.yield = true;
    b.deps = {&a};
    root.deps = {{&b, &c}};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QCOMPARE(b.dependencyStatesAtStart, QList{State::Running});
    QCOMPARE(b.dependencyStatesAtStop, QList{State::Running});
    QCOMPARE(root.dependencyStatesAtStart, (QList{State::Running, State::Running}));
    QCOMPARE(root.dependencyStatesAtStop, (QList{State::Running, State::Running}));
}

void tst_Ordering::sharedDependencyStopsAfterLastDependent()
{
    EventLog log;
    ScriptedService shared(QStringLiteral("shared"), &log), x(QStringLiteral("x"), &log),
        y(QStringLiteral("y"), &log), root(QStringLiteral("root"), &log);
    x.deps = {&shared};
    y.deps = {&shared};
    x.onStop.delay = std::chrono::milliseconds(20); // x is the last dependent to stop
    root.deps = {{&x, &y}};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QCOMPARE(shared.startCalls, 1);
    QCOMPARE(shared.stopCalls, 1);
    QVERIFY(log.indexOf(QStringLiteral("shared:stop")) > log.indexOf(QStringLiteral("x:stopped")));
    QVERIFY(log.indexOf(QStringLiteral("shared:stop")) > log.indexOf(QStringLiteral("y:stopped")));
}

void tst_Ordering::failedStartTakesNoLease()
{
    EventLog log;
    ScriptedService shared(QStringLiteral("shared"), &log), ok(QStringLiteral("ok"), &log),
        broken(QStringLiteral("broken"), &log), root(QStringLiteral("root"), &log);
    ok.deps = {&shared};
    broken.deps = {&shared};
    broken.onStart.yield = broken.onStart.fail = true;
    ok.onStart.delay = std::chrono::milliseconds(20); // still starting when broken fails
    root.deps = {{&ok, &broken}};
    ServiceManager manager(&root);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    // shared was held by ok only: stopped once, after ok stopped; broken never stopped.
    QCOMPARE(shared.stopCalls, 1);
    QCOMPARE(broken.stopCalls, 0);
    QVERIFY(log.indexOf(QStringLiteral("shared:stop")) > log.indexOf(QStringLiteral("ok:stopped")));
    QCOMPARE(shared.state(), State::Stopped);
}

void tst_Ordering::ordersAreDeterministic()
{
    QStringList first;
    for (int round = 0; round < 3; ++round) {
        EventLog log;
        ScriptedService a(QStringLiteral("a"), &log), b(QStringLiteral("b"), &log),
            c(QStringLiteral("c"), &log), d(QStringLiteral("d"), &log),
            root(QStringLiteral("root"), &log);
        b.deps = {&a};
        c.deps = {&a};
        root.deps = {{&d, &c, &b}};
        ServiceManager manager(&root);
        runBlocking(manager.start());
        runBlocking(manager.stop());
        if (round == 0)
            first = log.events();
        QCOMPARE(log.events(), first);
    }
}

void tst_Ordering::managerStateFollowsTheRun()
{
    ScriptedService a(QStringLiteral("a")), root(QStringLiteral("root"));
    a.onStart.yield = a.onStop.yield = true;
    root.deps = {&a};
    ServiceManager manager(&root);
    QSignalSpy spy(&manager, &ServiceManager::stateChanged);
    runBlocking(manager.start());
    QCOMPARE(manager.state(), State::Running);
    runBlocking(manager.stop());
    QCOMPARE(states(spy),
             (QList{State::Starting, State::Running, State::Stopping, State::Stopped}));
}

void tst_Ordering::startOnRunningGraphIsNoop()
{
    ScriptedService root(QStringLiteral("root"));
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QSignalSpy spy(&root, &QService::stateChanged);
    runBlocking(manager.start());
    QCOMPARE(root.startCalls, 1);
    QCOMPARE(spy.count(), 0);
    runBlocking(manager.stop());
}

void tst_Ordering::stopOnStoppedGraphIsNoop()
{
    ScriptedService root(QStringLiteral("root"));
    ServiceManager manager(&root);
    runBlocking(manager.stop()); // never started
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QSignalSpy spy(&root, &QService::stateChanged);
    runBlocking(manager.stop());
    manager.requestStop();
    QCOMPARE(root.stopCalls, 1);
    QCOMPARE(spy.count(), 0);
}

void tst_Ordering::waitReturnsAfterRequestStop()
{
    ScriptedService root(QStringLiteral("root"));
    ServiceManager manager(&root);
    runBlocking(manager.wait()); // nothing runs: returns at once
    runBlocking(manager.start());
    QTimer::singleShot(0, &manager, &ServiceManager::requestStop);
    runBlocking(manager.wait());
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(root.stopReturns, 1);
}

void tst_Ordering::stopRequestedDuringStartIsHonoured()
{
    EventLog log;
    ScriptedService slow(QStringLiteral("slow"), &log), after(QStringLiteral("after"), &log),
        root(QStringLiteral("root"), &log);
    slow.onStart.delay = std::chrono::milliseconds(30);
    root.deps = {&slow, &after};
    ServiceManager manager(&root);
    connect(&slow, &QService::stateChanged, &manager, [&](State state) {
        if (state == State::Starting)
            manager.requestStop();
    });
    QSignalSpy managerStates(&manager, &ServiceManager::stateChanged);
    QSignalSpy slowStates(&slow, &QService::stateChanged);
    runBlocking(manager.start()); // completes (no error) once the graph has stopped
    QCOMPARE(manager.state(), State::Stopped);
    // Requested before slow's start() began: that start is never begun (it would be cancelled
    // anyway), slow goes back to Stopped, and nothing after it begins.
    QCOMPARE(log.events(), QStringList());
    QCOMPARE(states(slowStates), (QList{State::Starting, State::Stopped}));
    QCOMPARE(after.state(), State::Stopped);
    QCOMPARE(states(managerStates), (QList{State::Starting, State::Stopping, State::Stopped}));
}

void tst_Ordering::stopRequestedBeforeAnyStartCompletes()
{
    ScriptedService a(QStringLiteral("a")), b(QStringLiteral("b")), root(QStringLiteral("root"));
    a.onStart.yield = b.onStart.yield = true;
    root.deps = {{&a, &b}};
    ServiceManager manager(&root);
    QCoro::Task<> start = manager.start();
    manager.requestStop();
    runBlocking(manager.stop());
    QCOMPARE(a.stopCalls, 1);
    QCOMPARE(b.stopCalls, 1);
    QCOMPARE(root.startCalls, 0);
    for (QService *s : manager.services())
        QVERIFY(s->state() != State::Running);
    runBlocking(std::move(start));
}

void tst_Ordering::stoppedGraphStartsAgainWithFreshState()
{
    ScriptedService a(QStringLiteral("a")), root(QStringLiteral("root"));
    root.deps = {&a};
    ServiceManager manager(&root);
    for (int run = 1; run <= 3; ++run) {
        runBlocking(manager.start());
        QCOMPARE(a.state(), State::Running);
        runBlocking(manager.stop());
        QCOMPARE(a.startCalls, run);
        QCOMPARE(a.stopCalls, run);
        QCOMPARE(manager.state(), State::Stopped);
        QVERIFY(manager.errorString().isEmpty());
    }
}

void tst_Ordering::requestStopFromAnotherThread()
{
    ScriptedService root(QStringLiteral("root"));
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QThread *thread = QThread::create([&manager] { manager.requestStop(); });
    thread->start();
    QVERIFY(waitForState(&manager, State::Stopped));
    QVERIFY(thread->wait(5000));
    delete thread;
    QCOMPARE(root.stopReturns, 1);
}

QCoro::Task<> tst_Ordering::drivenFromCoroutineBody()
{
    ScriptedService a(QStringLiteral("a")), root(QStringLiteral("root"));
    a.onStart.yield = true;
    root.deps = {&a};
    ServiceManager manager(&root);
    co_await manager.start();
    QLC_CO_COMPARE(root.state(), State::Running);
    QTimer::singleShot(1, &manager, &ServiceManager::requestStop);
    co_await manager.wait();
    QLC_CO_COMPARE(a.state(), State::Stopped);
    co_await manager.stop(); // a no-op now
}

void tst_Ordering::servicesListedInStartOrder()
{
    ScriptedService a(QStringLiteral("a")), b(QStringLiteral("b")), root(QStringLiteral("root"));
    b.deps = {&a};
    root.deps = {&b};
    ServiceManager manager(&root);
    QVERIFY(manager.services().isEmpty());
    runBlocking(manager.start());
    QCOMPARE(manager.services(), (QList<QService *>{&a, &b, &root}));
    runBlocking(manager.stop());
}

void tst_Ordering::ownershipReleasedAfterRun()
{
    ScriptedService shared(QStringLiteral("shared")), x(QStringLiteral("x")),
        y(QStringLiteral("y"));
    x.deps = {&shared};
    y.deps = {&shared};
    ServiceManager first(&x), second(&y);
    runBlocking(first.start());
    QCOMPARE(shared.manager(), &first);
    runBlocking(first.stop());
    QCOMPARE(shared.manager(), nullptr);
    runBlocking(second.start()); // free again: another manager may run it now
    QCOMPARE(shared.manager(), &second);
    runBlocking(second.stop());
}

QTEST_GUILESS_MAIN(tst_Ordering)
#include "tst_ordering.moc"
