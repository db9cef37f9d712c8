// async-service scenarios S22-S26, S34-S38 and S41: the lifecycle of a service whose work
// (async-service's run()) is a task added in start(). async-service's flags map onto QLifecycle as:
// started = the manager went Starting, running = the manager is Running, cancelled = a stop was
// requested (isCancellationRequested(), or the work's future ended canceled), finished = the
// manager is Stopped or Failed after a run.

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
const QList<State> FailedRun{State::Starting, State::Running, State::Stopping, State::Failed};

QCoro::Task<> awaitEventThenFinish(WorkerService *service, AsyncEvent *event)
{
    co_await waitUntilSet(service, event);
    finishService(service); // run() returned: the service is done
}

QCoro::Task<> loopForever(WorkerService *service, int *iterations)
{
    for (;;) {
        co_await service->sleepFor(1ms);
        ++*iterations;
    }
}

QCoro::Task<> failAfterEvent(WorkerService *service, AsyncEvent *event, QString message)
{
    co_await waitUntilSet(service, event);
    throw std::runtime_error(message.toStdString());
}

QCoro::Task<> scheduleFailingTaskAndReturn(WorkerService *service, AsyncEvent *event)
{
    service->addTask(failAfterEvent(service, event, QStringLiteral("scheduled failure")),
                     {.name = QStringLiteral("failing")});
    co_return;
}

QCoro::Task<> setEventThenWait(WorkerService *service, AsyncEvent *event)
{
    co_await service->sleepFor(1ms);
    event->set();
    co_await waitUntilCancelled(service);
}

QCoro::Task<> scheduleSetterThenWait(WorkerService *service, AsyncEvent *event)
{
    service->addTask(setEventThenWait(service, event), {.name = QStringLiteral("setter")});
    co_await waitUntilCancelled(service);
}

QCoro::Task<> sleepThenSet(WorkerService *service, AsyncEvent *event)
{
    co_await service->sleepFor(10ms);
    event->set();
}

QCoro::Task<> scheduleSleeperAndReturn(WorkerService *service, AsyncEvent *event)
{
    service->addTask(sleepThenSet(service, event), {.name = QStringLiteral("sleep-then-set")});
    co_return;
}

QCoro::Task<> scheduleEndlessTaskAndReturn(WorkerService *service)
{
    service->addTask(waitUntilCancelled(service), {.name = QStringLiteral("endless")});
    co_return;
}

} // namespace

class tst_AsyncServiceLifecycle : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void newManagerIsStoppedWithNothingToWaitFor();
    void workThatEndsFinishesTheServiceWithoutCancelling();
    void endlessTaskStopsOnRequest();
    void workErrorFailsTheManager();
    void errorOfScheduledTaskFailsTheManager();
    void managerStateWhileRunningAndAfterStop();
    void secondStopAfterAStopIsANoop();
    void scheduledTaskRunsInTheBackground();
    void serviceRunsOnAfterItsWorkTaskReturns();
    void serviceWithEndlessTaskRunsUntilStopped();
    void errorIsRecordedOnlyAfterTheFailure();
};

// S22
void tst_AsyncServiceLifecycle::newManagerIsStoppedWithNothingToWaitFor()
{
    WorkerService worker(QStringLiteral("worker"));
    ServiceManager manager(&worker);
    QSignalSpy transitions(&manager, &ServiceManager::stateChanged);
    QCOMPARE(manager.state(), State::Stopped); // never started, not running, not finished
    QVERIFY(!manager.error());
    QVERIFY(manager.errorString().isEmpty());
    QVERIFY(manager.services().isEmpty());
    QCOMPARE(worker.state(), State::Stopped);
    QCOMPARE(worker.manager(), nullptr);
    QVERIFY(!worker.isCancellationRequested()); // not cancelled
    QCOMPARE(worker.taskCount(), 0);
    runBlocking(manager.wait(), 5s); // nothing runs: returns at once, without error
    QCOMPARE(transitions.count(), 0);
}

// S23
void tst_AsyncServiceLifecycle::workThatEndsFinishesTheServiceWithoutCancelling()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent event;
    QFuture<void> work;
    worker.onStart = [&](WorkerService *w) {
        work = w->addTask(awaitEventThenFinish(w, &event), {.name = QStringLiteral("run")});
    };
    ServiceManager manager(&worker);
    QSignalSpy transitions(&manager, &ServiceManager::stateChanged);
    runBlocking(manager.start(), 5s);
    QCOMPARE(states(transitions), (QList{State::Starting, State::Running})); // started
    QCOMPARE(manager.state(), State::Running);                               // running
    QVERIFY(!worker.isCancellationRequested());                              // not cancelled
    QVERIFY(!work.isFinished());                                             // not finished

    event.set();
    runBlocking(manager.wait(), 5s);
    QCOMPARE(states(transitions), CleanRun); // finished, cleanly
    QVERIFY(work.isFinished());
    QVERIFY(!work.isCanceled()); // the work ended by itself: it was not cancelled
    QVERIFY(!manager.error());
    QCOMPARE(worker.stopCalls, 1);
}

// S24
void tst_AsyncServiceLifecycle::endlessTaskStopsOnRequest()
{
    WorkerService worker(QStringLiteral("worker"));
    int iterations = 0;
    QFuture<void> work;
    worker.onStart = [&](WorkerService *w) { work = w->addTask(loopForever(w, &iterations)); };
    ServiceManager manager(&worker);
    QSignalSpy transitions(&manager, &ServiceManager::stateChanged);
    runBlocking(manager.start(), 5s);
    QTRY_VERIFY_WITH_TIMEOUT(iterations >= 3, 5000); // it loops, yielding
    QVERIFY(!worker.isCancellationRequested());

    manager.requestStop(); // manager.cancel()
    runBlocking(manager.wait(), 5s);
    QCOMPARE(states(transitions), CleanRun);   // started, finished, no longer running
    QVERIFY(worker.isCancellationRequested()); // cancelled
    QVERIFY(work.isCanceled());
    QCOMPARE(worker.pendingAtStop, 0);
}

// S25
void tst_AsyncServiceLifecycle::workErrorFailsTheManager()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent event;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(failAfterEvent(w, &event, QStringLiteral("Service throwing error")),
                   {.name = QStringLiteral("run")});
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QTest::ignoreMessage(QtWarningMsg, "worker: task 'run' failed: Service throwing error");
    event.set();
    const std::optional<Error> error = expectError(manager.wait(), 5s);
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().phase, Phase::Run);
    QCOMPARE(error->primary().message, QStringLiteral("task 'run' failed: Service throwing error"));
    QCOMPARE(whatIf<std::runtime_error>(error->primary().cause),
             QStringLiteral("Service throwing error"));
    QVERIFY(worker.isCancellationRequested()); // cancelled
    QCOMPARE(manager.state(), State::Failed);  // finished
    QCOMPARE(worker.state(), State::Failed);
}

// S26
void tst_AsyncServiceLifecycle::errorOfScheduledTaskFailsTheManager()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent event;
    QFuture<void> run;
    worker.onStart = [&](WorkerService *w) {
        run = w->addTask(scheduleFailingTaskAndReturn(w, &event), {.name = QStringLiteral("run")});
    };
    ServiceManager manager(&worker);
    QSignalSpy transitions(&worker, &QService::stateChanged);
    runBlocking(manager.start(), 5s);
    QVERIFY(run.isFinished()); // run() returned; the task it scheduled still runs
    QCOMPARE(worker.pendingTaskCount(), 1);
    QTest::ignoreMessage(QtWarningMsg, "worker: task 'failing' failed: scheduled failure");
    event.set();
    const std::optional<Error> error = expectError(manager.wait(), 5s);
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().toString(),
             QStringLiteral("worker: crashed: task 'failing' failed: scheduled failure"));
    QCOMPARE(whatIf<std::runtime_error>(error->primary().cause),
             QStringLiteral("scheduled failure"));
    QVERIFY(worker.isCancellationRequested());
    QCOMPARE(states(transitions), FailedRun);
}

// S34
void tst_AsyncServiceLifecycle::managerStateWhileRunningAndAfterStop()
{
    WorkerService worker(QStringLiteral("worker"));
    QFuture<void> work;
    worker.onStart = [&](WorkerService *w) { work = w->addTask(waitUntilCancelled(w)); };
    ServiceManager manager(&worker);
    QSignalSpy transitions(&manager, &ServiceManager::stateChanged);
    runBlocking(manager.start(), 5s);
    QCOMPARE(worker.manager(), &manager); // service.manager is manager
    QCOMPARE(manager.state(), State::Running);
    QVERIFY(!worker.isCancellationRequested());
    QVERIFY(!work.isFinished());

    runBlocking(manager.stop(), 5s); // leaving the block
    QCOMPARE(states(transitions), CleanRun);
    QVERIFY(worker.isCancellationRequested());
    QVERIFY(work.isCanceled());
    QCOMPARE(worker.manager(), nullptr); // no run owns it any more
}

static QCoro::Task<> stopInsideTheBlock(ServiceManager *manager, WorkerService *worker,
                                        const QFuture<void> *work, bool *completed)
{
    co_await manager->start();
    QLC_CO_COMPARE(manager->state(), State::Running);
    co_await manager->stop();
    QLC_CO_COMPARE(manager->state(), State::Stopped); // not running, finished
    QLC_CO_VERIFY(worker->isCancellationRequested()); // cancelled
    QLC_CO_VERIFY(work->isCanceled());
    co_await manager->stop(); // leaving the block: a harmless no-op on a stopped graph
    QLC_CO_COMPARE(manager->state(), State::Stopped);
    *completed = true;
}

// S35
void tst_AsyncServiceLifecycle::secondStopAfterAStopIsANoop()
{
    WorkerService worker(QStringLiteral("worker"));
    QFuture<void> work;
    worker.onStart = [&](WorkerService *w) { work = w->addTask(waitUntilCancelled(w)); };
    ServiceManager manager(&worker);
    QSignalSpy transitions(&manager, &ServiceManager::stateChanged);
    bool completed = false;
    runBlocking(stopInsideTheBlock(&manager, &worker, &work, &completed), 5s);
    QVERIFY(completed);
    QCOMPARE(states(transitions), CleanRun); // the second stop changed nothing
    QCOMPARE(worker.stopCalls, 1);
}

// S36
void tst_AsyncServiceLifecycle::scheduledTaskRunsInTheBackground()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent event;
    worker.onStart = [&](WorkerService *w) { w->addTask(scheduleSetterThenWait(w, &event)); };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QTRY_VERIFY_WITH_TIMEOUT(event.isSet(), 5000);
    QCOMPARE(worker.taskCount(), 2);
    QCOMPARE(worker.pendingTaskCount(), 2); // both wait until the service stops
    runBlocking(manager.stop(), 5s);
    QCOMPARE(worker.finishedTaskCount(), 2);
}

// S37
void tst_AsyncServiceLifecycle::serviceRunsOnAfterItsWorkTaskReturns()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent event;
    QFuture<void> run;
    worker.onStart = [&](WorkerService *w) {
        run = w->addTask(scheduleSleeperAndReturn(w, &event));
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QVERIFY(run.isFinished()); // run() returned at once
    QTRY_VERIFY_WITH_TIMEOUT(event.isSet(), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(worker.finishedTaskCount(), 2, 5000);
    QCOMPARE(manager.state(), State::Running); // still alive: only a stop ends it
    runBlocking(manager.stop(), 5s);
    QCOMPARE(manager.state(), State::Stopped);
}

// S38
void tst_AsyncServiceLifecycle::serviceWithEndlessTaskRunsUntilStopped()
{
    WorkerService worker(QStringLiteral("worker"));
    QFuture<void> run;
    worker.onStart = [&](WorkerService *w) { run = w->addTask(scheduleEndlessTaskAndReturn(w)); };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QVERIFY(run.isFinished());
    // wait_finished() with a 10 ms timeout times out: the service still runs.
    QVERIFY_THROWS_EXCEPTION(Timeout, runBlocking(manager.wait(), 10ms));
    QCOMPARE(manager.state(), State::Running);
    QCOMPARE(worker.pendingTaskCount(), 1);

    manager.requestStop();
    runBlocking(manager.wait(), 5s);
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(worker.pendingTaskCount(), 0);
}

// S41
void tst_AsyncServiceLifecycle::errorIsRecordedOnlyAfterTheFailure()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent event;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(failAfterEvent(w, &event, QStringLiteral("this is the error")),
                   {.name = QStringLiteral("run")});
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QVERIFY(!manager.error()); // did_error is false before
    QVERIFY(manager.errorString().isEmpty());
    QVERIFY(!worker.failure());

    QTest::ignoreMessage(QtWarningMsg, "worker: task 'run' failed: this is the error");
    event.set();
    QVERIFY(expectError(manager.wait(), 5s));
    const std::optional<Error> error = manager.error(); // did_error is true after
    QVERIFY(error);
    QCOMPARE(error->primary().message, QStringLiteral("task 'run' failed: this is the error"));
    QVERIFY(manager.errorString().contains(QStringLiteral("this is the error")));
    QVERIFY(worker.failure());
    QCOMPARE(worker.errorString(), QStringLiteral("crashed: task 'run' failed: this is the error"));
}

QTEST_GUILESS_MAIN(tst_AsyncServiceLifecycle)
#include "tst_asyncservice_lifecycle.moc"
