// async-service scenarios S46, S52-S57 and S65: the external-call guard. async-service's
// `@external_api` is QService::whileRunning(): the call runs only while the service is Running, and
// LifecycleError is thrown when it is not, or when the service stops running while the call is in
// flight.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include "asyncservicekit.h"
#include "setonexit.h"
#include "workerservice.h"
#include <QLifecycle/testkit/harness.h>

#include <QCoro/QCoroTimer>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace {

QCoro::Task<int> seven()
{
    co_await QCoro::sleepFor(1ms);
    co_return 7;
}

// An external call that waits for `event` with a plain (non-cancellable) await.
QCoro::Task<int> sevenWhenSet(AsyncEvent *event, bool *ended)
{
    SetOnExit exit(ended);
    co_await *event;
    co_return 7;
}

// An external call that waits for `event` with the service's cancellable wait.
QCoro::Task<int> sevenWhenSetCancellably(const WorkerService *service, const AsyncEvent *event,
                                         bool *ended)
{
    SetOnExit exit(ended);
    co_await waitUntilSet(service, event);
    co_return 7;
}

QCoro::Task<> setEvent(WorkerService *service, AsyncEvent *event)
{
    co_await service->sleepFor(1ms);
    event->set();
}

// An external API coroutine that schedules a task.
QCoro::Task<> scheduleSetEvent(WorkerService *service, AsyncEvent *event)
{
    service->addTask(setEvent(service, event), {.name = QStringLiteral("set_done")});
    co_return;
}

struct WorkProbe {
    bool ran = false;
    bool ended = false;
};

QCoro::Task<> gatedWork(const WorkerService *service, const AsyncEvent *gate, WorkProbe *probe)
{
    SetOnExit ended(&probe->ended);
    co_await waitUntilSet(service, gate);
    probe->ran = true;
}

// A plain (not coroutine) method of a service that schedules work.
QFuture<void> scheduleWork(WorkerService *service, const AsyncEvent *gate, WorkProbe *probe)
{
    return service->addTask(gatedWork(service, gate, probe), {.name = QStringLiteral("work")});
}

// S65's nursery: runs the guarded call as a concurrent task and keeps what it threw.
QCoro::Task<> nursery(QCoro::Task<int> call, std::optional<QString> *error, bool *done)
{
    try {
        co_await call;
    } catch (const LifecycleError &e) {
        error->emplace(e.message());
    }
    *done = true;
}

void startWithIdleTask(WorkerService &worker, ServiceManager &manager)
{
    worker.onStart = [](WorkerService *w) {
        w->addTask(waitUntilCancelled(w), {.name = QStringLiteral("run")});
    };
    runBlocking(manager.start(), 5s);
}
} // namespace

class tst_AsyncServiceGuard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void plainMethodAddsTasksOnlyWhileRunning();
    void callOnNeverRunServiceThrows();
    void callWhileRunningReturnsItsResult();
    void completedCallKeepsItsResultAfterStop();
    void callInFlightThrowsWhenStopped();
    void callAfterTheRunThrows();
    void guardedCallCanAddTasks();
    void cancellableCallInFlightThrowsWhenStoppedAndUnwinds();
};

// S46: after the run, async-service raises LifecycleError from run_task. QLifecycle refuses the
// task instead, with an already-canceled future and a warning (docs/contract.md, Background tasks).
void tst_AsyncServiceGuard::plainMethodAddsTasksOnlyWhileRunning()
{
    WorkerService worker(QStringLiteral("worker"));
    ServiceManager manager(&worker);
    startWithIdleTask(worker, manager);
    AsyncEvent gate;
    WorkProbe inside;
    const QFuture<void> accepted = scheduleWork(&worker, &gate, &inside);
    QVERIFY(!accepted.isCanceled());
    gate.set();
    QTRY_VERIFY_WITH_TIMEOUT(accepted.isFinished(), 5000);
    QVERIFY(inside.ran);
    QVERIFY(!accepted.isCanceled());
    runBlocking(manager.stop(), 5s);

    auto lateGate = std::make_unique<AsyncEvent>();
    WorkProbe after;
    QTest::ignoreMessage(QtWarningMsg,
                         "worker is Stopped - not running task 'work' (tasks may be added only "
                         "while the service is Starting or Running)");
    const QFuture<void> refused = scheduleWork(&worker, lateGate.get(), &after);
    QVERIFY(refused.isCanceled());
    QVERIFY(refused.isFinished());
    QCOMPARE(worker.taskCount(), 2); // 'run' and the accepted 'work' only
    // The refused coroutine had already begun (QCoro tasks start eagerly) and is suspended in
    // a cancellable wait of the service: refusing it must end it there, not leave it running.
    const bool endedPromptly = QTest::qWaitFor([&] { return after.ended; }, 1000);
    lateGate->set(); // what it waits for comes: a refused task must not go on
    QTRY_VERIFY_WITH_TIMEOUT(after.ended, 5000);
    QVERIFY(endedPromptly);
    QVERIFY(!after.ran);
}

// S52
void tst_AsyncServiceGuard::callOnNeverRunServiceThrows()
{
    WorkerService worker(QStringLiteral("worker"));
    const std::optional<QString> error =
        expectLifecycleError(worker.whileRunning([] { return seven(); }));
    QVERIFY(error);
    QCOMPARE(*error, QStringLiteral("worker is not running (Stopped)"));
}

// S53
void tst_AsyncServiceGuard::callWhileRunningReturnsItsResult()
{
    WorkerService worker(QStringLiteral("worker"));
    ServiceManager manager(&worker);
    startWithIdleTask(worker, manager);
    QCOMPARE(runBlocking(worker.whileRunning([] { return seven(); }), 5s), 7);
    runBlocking(manager.stop(), 5s);
}

// S54
void tst_AsyncServiceGuard::completedCallKeepsItsResultAfterStop()
{
    WorkerService worker(QStringLiteral("worker"));
    ServiceManager manager(&worker);
    startWithIdleTask(worker, manager);
    QCoro::Task<int> call = worker.whileRunning([] { return seven(); });
    QTRY_VERIFY_WITH_TIMEOUT(call.isReady(), 5000); // completed, result not retrieved
    manager.requestStop();
    runBlocking(manager.wait(), 5s);
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(runBlocking(std::move(call), 5s), 7);
}

// S55
void tst_AsyncServiceGuard::callInFlightThrowsWhenStopped()
{
    WorkerService worker(QStringLiteral("worker"));
    ServiceManager manager(&worker);
    startWithIdleTask(worker, manager);
    AsyncEvent event;
    bool innerEnded = false;
    QCoro::Task<int> call = worker.whileRunning([&] { return sevenWhenSet(&event, &innerEnded); });
    QVERIFY(!call.isReady()); // in flight
    manager.requestStop();
    const std::optional<QString> error = expectLifecycleError(std::move(call));
    QVERIFY(error);
    QCOMPARE(*error, QStringLiteral("worker is stopping while the call was in flight"));
    runBlocking(manager.wait(), 5s);
    const std::optional<QString> fresh =
        expectLifecycleError(worker.whileRunning([] { return seven(); }));
    QVERIFY(fresh);
    QCOMPARE(*fresh, QStringLiteral("worker is not running (Stopped)"));
    // The interrupted call itself was not cancellable: it ends when its event comes.
    QVERIFY(!innerEnded);
    event.set();
    QTRY_VERIFY_WITH_TIMEOUT(innerEnded, 5000);
}

// S56
void tst_AsyncServiceGuard::callAfterTheRunThrows()
{
    WorkerService worker(QStringLiteral("worker"));
    ServiceManager manager(&worker);
    startWithIdleTask(worker, manager);
    runBlocking(manager.stop(), 5s); // the background context exited
    const std::optional<QString> error =
        expectLifecycleError(worker.whileRunning([] { return seven(); }));
    QVERIFY(error);
    QCOMPARE(*error, QStringLiteral("worker is not running (Stopped)"));
}

// S57
void tst_AsyncServiceGuard::guardedCallCanAddTasks()
{
    WorkerService worker(QStringLiteral("worker"));
    ServiceManager manager(&worker);
    startWithIdleTask(worker, manager);
    AsyncEvent done;
    runBlocking(worker.whileRunning([&] { return scheduleSetEvent(&worker, &done); }), 5s);
    QTRY_VERIFY_WITH_TIMEOUT(done.isSet(), 5000);
    QCOMPARE(worker.taskCount(), 2);
    runBlocking(manager.stop(), 5s);
    QCOMPARE(manager.state(), State::Stopped);
}

// S65
void tst_AsyncServiceGuard::cancellableCallInFlightThrowsWhenStoppedAndUnwinds()
{
    WorkerService worker(QStringLiteral("worker"));
    ServiceManager manager(&worker);
    startWithIdleTask(worker, manager);
    auto event = std::make_unique<AsyncEvent>();
    bool innerEnded = false;
    std::optional<QString> error;
    bool nurseryDone = false;
    QCoro::Task<> running = nursery(worker.whileRunning([&] {
        return sevenWhenSetCancellably(&worker, event.get(), &innerEnded);
    }),
                                    &error, &nurseryDone);
    QVERIFY(!nurseryDone);
    manager.requestStop();
    QTRY_VERIFY_WITH_TIMEOUT(nurseryDone, 5000); // the nursery raises LifecycleError
    QVERIFY(error);
    QCOMPARE(*error, QStringLiteral("worker is stopping while the call was in flight"));
    runBlocking(manager.wait(), 5s);
    QVERIFY(expectLifecycleError(worker.whileRunning([] { return seven(); })));
    // The call was waiting in one of the service's cancellable waits: the stop wakes it with
    // Cancelled, so it unwinds rather than staying suspended.
    const bool unwound = QTest::qWaitFor([&] { return innerEnded; }, 1000);
    event.reset(); // wakes it in any case, so that no frame is left behind
    QTRY_VERIFY_WITH_TIMEOUT(innerEnded, 5000);
    QVERIFY2(unwound, "the guarded call's cancellable wait was not woken by the stop");
}

QTEST_GUILESS_MAIN(tst_AsyncServiceGuard)
#include "tst_asyncservice_guard.moc"
