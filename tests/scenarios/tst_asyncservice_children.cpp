// async-service scenarios S42, S43, S50 and S60: child services (run_child_service =
// addChild(child)), a separate manager run inside a task, and many tasks.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include "asyncservicekit.h"
#include "workerservice.h"
#include <QLifecycle/testkit/harness.h>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace {
const QList<State> CleanRun{State::Starting, State::Running, State::Stopping, State::Stopped};

QCoro::Task<> awaitEventThenFinish(WorkerService *service, AsyncEvent *event)
{
    co_await waitUntilSet(service, event);
    finishService(service); // the child's run() returned: it is done
}

QCoro::Task<> waitUntilRunning(const WorkerService *waiter, const WorkerService *service)
{
    while (service->state() == State::Stopped || service->state() == State::Starting)
        co_await waiter->waitForSignal(service, &QService::stateChanged);
}

struct ChildRun {
    QFuture<void> future;
    bool childWasRunning = false;
};

// run(): starts the child, awaits its start, and returns; the parent lives as long as its
// child (as async-service's does) and is done once the child is.
QCoro::Task<> startChildThenFinishWithIt(WorkerService *parent, WorkerService *child, ChildRun *run)
{
    run->future = parent->addChild(child);
    co_await waitUntilRunning(parent, child);
    run->childWasRunning = child->state() == State::Running;
    co_await parent->waitFor(run->future);
    finishService(parent);
}

QCoro::Task<> startDaemonChildThenWait(WorkerService *parent, WorkerService *child,
                                       AsyncEvent *ready, QFuture<void> *future)
{
    *future = parent->addChild(child, {.name = QStringLiteral("child"), .daemon = true});
    co_await waitUntilRunning(parent, child);
    ready->set();
    co_await waitUntilCancelled(parent);
}

struct Sleepers {
    int running = 0; // tasks that began
    int cancelled = 0;
};

QCoro::Task<> sleepUntilCancelled(const WorkerService *service, const QObject *never,
                                  Sleepers *sleepers)
{
    ++sleepers->running;
    try {
        co_await service->waitForSignal(never, &QObject::objectNameChanged);
    } catch (const Cancelled &) {
        ++sleepers->cancelled;
        throw;
    }
}

struct SubReport {
    State managerStateAfterStop = State::Starting;
    bool stopThrew = false;
    bool cancelled = false;
};

// A separate ServiceManager for `sub`, run as a plain task of `parent`: the task owns it, so
// when the task is cancelled it stops it before ending.
QCoro::Task<> runSeparateManager(WorkerService *parent, WorkerService *sub, AsyncEvent *ready,
                                 SubReport *report)
{
    ServiceManager subManager(sub);
    co_await subManager.start();
    ready->set();
    try {
        co_await waitUntilCancelled(parent);
    } catch (const Cancelled &) {
        report->cancelled = true;
    }
    try {
        co_await subManager.stop();
    } catch (const Error &) {
        report->stopThrew = true;
    }
    report->managerStateAfterStop = subManager.state();
    if (report->cancelled)
        throw Cancelled();
}
} // namespace

class tst_AsyncServiceChildren : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void childServiceEndingFinishesParentCleanly();
    void daemonChildStopsCleanlyWithItsParent();
    void hundredThousandTasksRunAndStop();
    void separateManagerInATaskIsStoppedNotCancelled();
};

// S42
void tst_AsyncServiceChildren::childServiceEndingFinishesParentCleanly()
{
    WorkerService parent(QStringLiteral("parent"));
    WorkerService child(QStringLiteral("child"));
    AsyncEvent event;
    ChildRun childRun;
    QFuture<void> run;
    child.onStart = [&](WorkerService *w) { w->addTask(awaitEventThenFinish(w, &event)); };
    parent.onStart = [&](WorkerService *w) {
        run = w->addTask(startChildThenFinishWithIt(w, &child, &childRun),
                         {.name = QStringLiteral("run")});
    };
    ServiceManager manager(&parent);
    QSignalSpy parentStates(&parent, &QService::stateChanged);
    QSignalSpy childStates(&child, &QService::stateChanged);
    runBlocking(manager.start(), 5s);
    QTRY_COMPARE_WITH_TIMEOUT(child.state(), State::Running, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(childRun.childWasRunning, 5000); // run() awaited the child's start
    QCOMPARE(manager.state(), State::Running);
    QVERIFY(!parent.isCancellationRequested());

    event.set();
    runBlocking(manager.wait(), 5s); // clean, like S23
    QCOMPARE(states(parentStates), CleanRun);
    QVERIFY(!manager.error());
    QCOMPARE(states(childStates), CleanRun);
    QCOMPARE(child.stopCalls, 1);
    QVERIFY(childRun.future.isFinished());
    QVERIFY(!childRun.future.isCanceled()); // the child ended by itself, not cancelled
    QVERIFY(!run.isCanceled());
}

// S43
void tst_AsyncServiceChildren::daemonChildStopsCleanlyWithItsParent()
{
    WorkerService parent(QStringLiteral("parent"));
    WorkerService child(QStringLiteral("child"));
    AsyncEvent ready;
    QFuture<void> childFuture;
    State childStateAtParentStop = State::Running;
    child.onStart = [](WorkerService *w) { w->addTask(waitUntilCancelled(w)); };
    parent.onStart = [&](WorkerService *w) {
        w->addTask(startDaemonChildThenWait(w, &child, &ready, &childFuture));
    };
    parent.onStop = [&](WorkerService *) { childStateAtParentStop = child.state(); };
    ServiceManager manager(&parent);
    QSignalSpy childStates(&child, &QService::stateChanged);
    runBlocking(manager.start(), 5s);
    QTRY_VERIFY_WITH_TIMEOUT(ready.isSet(), 5000);
    QCOMPARE(child.state(), State::Running);

    runBlocking(manager.stop(), 5s); // no daemon-exit error
    QCOMPARE(manager.state(), State::Stopped);
    QVERIFY(!manager.error());
    QCOMPARE(states(childStates), CleanRun);
    QCOMPARE(childStateAtParentStop, State::Stopped); // the child stopped before parent's stop()
    QCOMPARE(child.stopCalls, 1);
    QVERIFY(childFuture.isCanceled());
}

// S50: async-service caps a service at 1000 children (TooManyChildrenException). QLifecycle has no
// limit (docs/contract.md, Background tasks): assert that 100 000 tasks, added from outside, all
// run and all stop.
void tst_AsyncServiceChildren::hundredThousandTasksRunAndStop()
{
    constexpr int Count = 100000;
    WorkerService worker(QStringLiteral("worker"));
    QObject never;
    Sleepers sleepers;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(waitUntilCancelled(w), {.name = QStringLiteral("run")});
    };
    ServiceManager manager(&worker);
    // Cancelling 100 000 tasks is quick, but not under valgrind on a loaded machine: the point
    // is that they all end, not how fast.
    manager.setDefaultGracefulShutdownTimeout(60s);
    runBlocking(manager.start(), 5s);
    for (int i = 0; i < Count; ++i)
        worker.addTask(sleepUntilCancelled(&worker, &never, &sleepers));
    QCOMPARE(sleepers.running, Count);
    QCOMPARE(worker.taskCount(), Count + 1);
    QCOMPARE(worker.pendingTaskCount(), Count + 1);
    QCOMPARE(manager.state(), State::Running); // is_running, and not did_error
    QVERIFY(!manager.error());

    runBlocking(manager.stop(), 90s);
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(sleepers.cancelled, Count);
    QCOMPARE(worker.finishedTaskCount(), Count + 1);
    QCOMPARE(worker.pendingAtStop, 0);
}

// S60: the sub-manager ends Stopped without error ("interrupted, not cancelled"): nothing stops it
// but the task that owns it, which stops it before the parent's own stop().
void tst_AsyncServiceChildren::separateManagerInATaskIsStoppedNotCancelled()
{
    WorkerService parent(QStringLiteral("parent"));
    WorkerService sub(QStringLiteral("sub"));
    AsyncEvent ready;
    SubReport report;
    State subStateAtParentStop = State::Running;
    sub.onStart = [](WorkerService *w) { w->addTask(waitUntilCancelled(w)); };
    parent.onStart = [&](WorkerService *w) {
        w->addTask(runSeparateManager(w, &sub, &ready, &report), {.name = QStringLiteral("sub")});
    };
    parent.onStop = [&](WorkerService *) { subStateAtParentStop = sub.state(); };
    ServiceManager manager(&parent);
    QSignalSpy parentStates(&manager, &ServiceManager::stateChanged);
    QSignalSpy subStates(&sub, &QService::stateChanged);
    runBlocking(manager.start(), 5s);
    QTRY_VERIFY_WITH_TIMEOUT(ready.isSet(), 5000);
    QCOMPARE(sub.state(), State::Running);
    QVERIFY(sub.manager() != &manager); // a manager of its own

    runBlocking(manager.stop(), 5s);
    QCOMPARE(states(parentStates), CleanRun); // parent: not running, cancelled, finished
    QVERIFY(parent.isCancellationRequested());
    QVERIFY(report.cancelled);
    QCOMPARE(report.managerStateAfterStop, State::Stopped); // sub: finished, not failed
    QVERIFY(!report.stopThrew);
    QCOMPARE(states(subStates), CleanRun);
    QCOMPARE(subStateAtParentStop, State::Stopped);
    QCOMPARE(sub.stopCalls, 1);
}

QTEST_GUILESS_MAIN(tst_AsyncServiceChildren)
#include "tst_asyncservice_children.moc"
