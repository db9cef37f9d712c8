// async-service scenarios S27-S33, S39, S40, S61 and S66: tasks and daemon tasks (run_task /
// run_daemon_task = addTask(...) / addTask(..., {.daemon = true})), their failures, and the one
// aggregate Error (MultiError).

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include "asyncservicekit.h"
#include "workerservice.h"
#include <QLifecycle/testkit/harness.h>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace {
const QString DaemonExit = QStringLiteral("daemon task '%1' exited while the service was running");

struct ChildProbe {
    QFuture<void> future;
    bool reachedFailure = false; // the child's own failure: must never happen
    bool cancelled = false;
};

// A child task that would fail after 1 s if nobody cancelled it.
QCoro::Task<> failAfterOneSecond(WorkerService *service, ChildProbe *probe)
{
    try {
        co_await service->sleepFor(1s);
    } catch (const Cancelled &) {
        probe->cancelled = true;
        throw;
    }
    probe->reachedFailure = true;
    throw std::runtime_error("the child should have been cancelled");
}

enum class Ending { Return, RequestStopThenReturn, Throw };

// Schedules the failing child, yields once, then ends as `ending` says.
QCoro::Task<> spawnChildThenEnd(WorkerService *service, ChildProbe *probe, Ending ending,
                                QString message)
{
    probe->future =
        service->addTask(failAfterOneSecond(service, probe), {.name = QStringLiteral("child")});
    co_await service->sleepFor(1ms);
    if (ending == Ending::RequestStopThenReturn)
        finishService(service); // manager.cancel()
    if (ending == Ending::Throw)
        throw std::runtime_error(message.toStdString());
}

QCoro::Task<> returnAfterEvent(WorkerService *service, AsyncEvent *event)
{
    co_await waitUntilSet(service, event);
}

QCoro::Task<> failWhenCancelled(WorkerService *service)
{
    bool cancelled = false;
    try {
        co_await waitUntilCancelled(service); // manager.wait_finished()
    } catch (const Cancelled &) {
        cancelled = true;
    }
    if (cancelled)
        throw std::invalid_argument("error after finished");
}

QCoro::Task<> errorFunction(AsyncEvent *ready, AsyncEvent *trigger, QString message)
{
    ready->set();
    co_await *trigger; // not cancellable: it fails even though the service is stopping
    throw std::invalid_argument(message.toStdString());
}

QCoro::Task<> triggerThenRaise(WorkerService *service, AsyncEvent *ready, AsyncEvent *trigger)
{
    co_await service->sleepFor(1ms);
    service->addTask(errorFunction(ready, trigger, QStringLiteral("error from errorFunction")),
                     {.name = QStringLiteral("errorFunction")});
    co_await waitUntilSet(service, ready);
    trigger->set();
    throw std::runtime_error("error from run");
}

QCoro::Task<> failWhenSet(AsyncEvent *event, QString message)
{
    co_await *event; // not cancellable
    throw std::runtime_error(message.toStdString());
}

QCoro::Task<> sleepOneSecond(WorkerService *service, bool *wokeNaturally, bool *cancelled)
{
    try {
        co_await service->sleepFor(1s); // the body under fail_after(1)
        *wokeNaturally = true;
    } catch (const Cancelled &) {
        *cancelled = true;
        throw;
    }
}

std::optional<Error> runExpectingCrash(ServiceManager &manager)
{
    runBlocking(manager.start(), 5s);
    return expectError(manager.wait(), 5s);
}
} // namespace

class tst_AsyncServiceTasks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void returningDaemonStopsTheGraphAsACrash();
    void daemonFailingAfterStopReportsOnlyItsError();
    void returningDaemonCancelsItsChild();
    void daemonReturningAfterStopRequestIsClean();
    void failingDaemonReportsOnlyItsError();
    void failingTaskReportsOnlyItsError();
    void twoFailuresAggregatePrimaryFirst();
    void taskExceptionIsThrownByWait();
    void daemonExitErrorNamesTheTask();
    void aggregateOrderIsTheOrderFailuresHappened();
    void crashCancelsSleepingSiblingAndReportsTheTaskError();
};

// S27
void tst_AsyncServiceTasks::returningDaemonStopsTheGraphAsACrash()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent event;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(returnAfterEvent(w, &event), {.name = QStringLiteral("daemon"), .daemon = true});
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QTest::ignoreMessage(QtWarningMsg, qPrintable(QStringLiteral("worker: ") +
                                                  DaemonExit.arg(QStringLiteral("daemon"))));
    event.set();
    const std::optional<Error> error = expectError(manager.wait(), 5s);
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().phase, Phase::Run);
    QVERIFY(error->primary().message.startsWith(QStringLiteral("daemon task")));
    QVERIFY(worker.isCancellationRequested());
    QCOMPARE(manager.state(), State::Failed);
}

// S28: QLifecycle always throws its one aggregate Error; assert that it holds exactly the daemon's
// own error (std::invalid_argument) and no daemon-exit failure.
void tst_AsyncServiceTasks::daemonFailingAfterStopReportsOnlyItsError()
{
    WorkerService worker(QStringLiteral("worker"));
    worker.onStart = [](WorkerService *w) {
        w->addTask(failWhenCancelled(w), {.name = QStringLiteral("daemon"), .daemon = true});
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QTest::ignoreMessage(QtWarningMsg, "worker: task 'daemon' failed: error after finished");
    const std::optional<Error> error = expectError(manager.stop(), 5s); // no hang
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(whatIf<std::invalid_argument>(error->primary().cause),
             QStringLiteral("error after finished"));
    QVERIFY(!error->message().contains(QStringLiteral("exited while")));
    QCOMPARE(manager.state(), State::Failed);
}

// S29
void tst_AsyncServiceTasks::returningDaemonCancelsItsChild()
{
    WorkerService worker(QStringLiteral("worker"));
    ChildProbe child;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(spawnChildThenEnd(w, &child, Ending::Return, {}),
                   {.name = QStringLiteral("daemon"), .daemon = true});
    };
    ServiceManager manager(&worker);
    QTest::ignoreMessage(QtWarningMsg, qPrintable(QStringLiteral("worker: ") +
                                                  DaemonExit.arg(QStringLiteral("daemon"))));
    const std::optional<Error> error = runExpectingCrash(manager);
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().message, DaemonExit.arg(QStringLiteral("daemon")));
    QVERIFY(child.cancelled);
    QVERIFY(!child.reachedFailure); // its failure never appears
    QVERIFY(child.future.isCanceled());
}

// S30
void tst_AsyncServiceTasks::daemonReturningAfterStopRequestIsClean()
{
    WorkerService worker(QStringLiteral("worker"));
    ChildProbe child;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(spawnChildThenEnd(w, &child, Ending::RequestStopThenReturn, {}),
                   {.name = QStringLiteral("daemon"), .daemon = true});
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    runBlocking(manager.wait(), 5s); // completes without error
    QCOMPARE(manager.state(), State::Stopped);
    QVERIFY(!manager.error());
    QVERIFY(child.cancelled);
    QVERIFY(!child.reachedFailure);
    QVERIFY(child.future.isCanceled());
}

// S31: one aggregate Error whose only failure is the daemon's exception (the cancelled child adds
// nothing, and neither does a daemon-exit failure).
void tst_AsyncServiceTasks::failingDaemonReportsOnlyItsError()
{
    WorkerService worker(QStringLiteral("worker"));
    ChildProbe child;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(spawnChildThenEnd(w, &child, Ending::Throw, QStringLiteral("Buggy daemon")),
                   {.name = QStringLiteral("daemon"), .daemon = true});
    };
    ServiceManager manager(&worker);
    QTest::ignoreMessage(QtWarningMsg, "worker: task 'daemon' failed: Buggy daemon");
    const std::optional<Error> error = runExpectingCrash(manager);
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(whatIf<std::runtime_error>(error->primary().cause), QStringLiteral("Buggy daemon"));
    QVERIFY(child.cancelled);
    QVERIFY(!child.reachedFailure);
}

// S32: as S31, with a task that is not a daemon.
void tst_AsyncServiceTasks::failingTaskReportsOnlyItsError()
{
    WorkerService worker(QStringLiteral("worker"));
    ChildProbe child;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(spawnChildThenEnd(w, &child, Ending::Throw, QStringLiteral("Buggy task")),
                   {.name = QStringLiteral("task")});
    };
    ServiceManager manager(&worker);
    QTest::ignoreMessage(QtWarningMsg, "worker: task 'task' failed: Buggy task");
    const std::optional<Error> error = runExpectingCrash(manager);
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().message, QStringLiteral("task 'task' failed: Buggy task"));
    QVERIFY(child.cancelled);
    QVERIFY(!child.reachedFailure);
}

// S33
void tst_AsyncServiceTasks::twoFailuresAggregatePrimaryFirst()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent ready;
    AsyncEvent trigger;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(triggerThenRaise(w, &ready, &trigger), {.name = QStringLiteral("run")});
    };
    ServiceManager manager(&worker);
    QTest::ignoreMessage(QtWarningMsg, "worker: task 'run' failed: error from run");
    QTest::ignoreMessage(QtWarningMsg,
                         "worker: task 'errorFunction' failed: error from errorFunction");
    const std::optional<Error> error = runExpectingCrash(manager);
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 2);
    QCOMPARE(whatIf<std::runtime_error>(error->failures().at(0).cause),
             QStringLiteral("error from run"));
    QCOMPARE(whatIf<std::invalid_argument>(error->failures().at(1).cause),
             QStringLiteral("error from errorFunction"));
    QCOMPARE(error->primary().message, error->failures().at(0).message);
}

static QCoro::Task<> setEventAndWaitForTheEnd(ServiceManager *manager, AsyncEvent *event)
{
    co_await manager->start();
    event->set();
    co_await manager->wait(); // leaving the block
}

// S39
void tst_AsyncServiceTasks::taskExceptionIsThrownByWait()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent event;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(failWhenSet(&event, QStringLiteral("task exception in run_task")));
    };
    ServiceManager manager(&worker);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("task exception in run_task")));
    const std::optional<Error> error = expectError(setEventAndWaitForTheEnd(&manager, &event), 5s);
    QVERIFY(error);
    QVERIFY(error->message().contains(QStringLiteral("task exception in run_task")));
    QCOMPARE(whatIf<std::runtime_error>(error->primary().cause),
             QStringLiteral("task exception in run_task"));
}

// S40: QLifecycle's message replaces "Daemon task daemon_task_fn[daemon=True] exited".
void tst_AsyncServiceTasks::daemonExitErrorNamesTheTask()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent event;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(returnAfterEvent(w, &event),
                   {.name = QStringLiteral("daemon_task_fn"), .daemon = true});
    };
    ServiceManager manager(&worker);
    const QString expected = DaemonExit.arg(QStringLiteral("daemon_task_fn"));
    QTest::ignoreMessage(QtWarningMsg, qPrintable(QStringLiteral("worker: ") + expected));
    const std::optional<Error> error = expectError(setEventAndWaitForTheEnd(&manager, &event), 5s);
    QVERIFY(error);
    QCOMPARE(error->primary().message, expected);
    QCOMPARE(error->primary().toString(), QStringLiteral("worker: crashed: ") + expected);
    QVERIFY(!error->primary().cause);
}

// S61: trio reports its two errors in any order; QLifecycle's aggregate lists failures in the order
// they happened, primary first. Here the newer task fails first.
void tst_AsyncServiceTasks::aggregateOrderIsTheOrderFailuresHappened()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent first;
    AsyncEvent second;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(failWhenSet(&second, QStringLiteral("second")),
                   {.name = QStringLiteral("older")});
        w->addTask(failWhenSet(&first, QStringLiteral("first")), {.name = QStringLiteral("newer")});
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QTest::ignoreMessage(QtWarningMsg, "worker: task 'newer' failed: first");
    QTest::ignoreMessage(QtWarningMsg, "worker: task 'older' failed: second");
    first.set();
    QTRY_COMPARE_WITH_TIMEOUT(worker.finishedTaskCount(), 1, 5000);
    QCOMPARE(worker.state(), State::Stopping); // waiting for 'older', which no stop interrupts
    second.set();
    const std::optional<Error> error = expectError(manager.wait(), 5s);
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 2);
    QCOMPARE(error->failures().at(0).message, QStringLiteral("task 'newer' failed: first"));
    QCOMPARE(error->failures().at(1).message, QStringLiteral("task 'older' failed: second"));
}

// S66
void tst_AsyncServiceTasks::crashCancelsSleepingSiblingAndReportsTheTaskError()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent event;
    bool wokeNaturally = false;
    bool cancelled = false;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(sleepOneSecond(w, &wokeNaturally, &cancelled), {.name = QStringLiteral("body")});
        w->addTask(failWhenSet(&event, QStringLiteral("task failure")),
                   {.name = QStringLiteral("task")});
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QTest::ignoreMessage(QtWarningMsg, "worker: task 'task' failed: task failure");
    event.set();
    const std::optional<Error> error = expectError(manager.wait(), 5s);
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().message, QStringLiteral("task 'task' failed: task failure"));
    QVERIFY(cancelled);      // the sleeping body was cancelled...
    QVERIFY(!wokeNaturally); // ...rather than reaching its own 1 s wake-up
}

QTEST_GUILESS_MAIN(tst_AsyncServiceTasks)
#include "tst_asyncservice_tasks.moc"
