// async-service scenarios S44, S45, S47-S49 and S62-S64: what a stop does to a service's tasks:
// daemons and loops end cleanly, clean-up code runs to its end (awaits included) before the
// service's stop(), and tasks added once the stop began are dropped.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include "asyncservicekit.h"
#include "setonexit.h"
#include "workerservice.h"
#include <QLifecycle/testkit/harness.h>

#include <QCoro/QCoroAsyncGenerator>
#include <QCoro/QCoroTimer>

#include <QtCore/QThread>

#include <atomic>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace {

QCoro::Task<> sleepHundredSeconds(WorkerService *service, bool *wokeNaturally, bool *cancelled)
{
    try {
        co_await service->sleepFor(100s);
        *wokeNaturally = true;
    } catch (const Cancelled &) {
        *cancelled = true;
        throw;
    }
}

QCoro::AsyncGenerator<int> endlessCounter(WorkerService *service)
{
    for (int i = 0;; ++i) {
        co_await service->sleepFor(1ms);
        co_yield i;
    }
}

QCoro::Task<> consumeEndlessGenerator(WorkerService *service, int *received)
{
    auto generator = endlessCounter(service);
    auto it = co_await generator.begin();
    while (it != generator.end()) {
        *received = *it + 1;
        co_await ++it;
    }
}

QCoro::Task<> waitWithFinally(WorkerService *service, bool *cleanedUp)
{
    SetOnExit finally(cleanedUp);
    co_await waitUntilCancelled(service);
}

QCoro::Task<> waitWithAwaitingFinally(WorkerService *service, bool *cleanedUp)
{
    bool cancelled = false;
    try {
        co_await waitUntilCancelled(service);
    } catch (const Cancelled &) {
        cancelled = true;
    }
    co_await QCoro::sleepFor(1ms); // the `finally` awaits once before setting the flag
    *cleanedUp = true;
    if (cancelled)
        throw Cancelled();
}

struct LateTask {
    QFuture<void> future;
    bool sleptAndRan = false; // what run_task(sleep, 1) would have done
    bool ended = false;
};

QCoro::Task<> sleepThenRun(WorkerService *service, LateTask *late)
{
    SetOnExit ended(&late->ended);
    co_await service->sleepFor(1s);
    late->sleptAndRan = true;
}

QCoro::Task<> cancelSelfThenAddTask(WorkerService *service, LateTask *late)
{
    co_await service->sleepFor(1ms); // running now
    finishService(service);          // manager.cancel()
    late->future = service->addTask(sleepThenRun(service, late));
}

QCoro::Task<> busyWhileRunning(WorkerService *service, int *iterations)
{
    do {
        co_await QCoro::sleepFor(0ms); // a checkpoint that no stop interrupts
        ++*iterations;
    } while (service->state() == State::Running);
}

struct CleanupReport {
    bool cancelled = false;
    bool cancellableWaitThrew = false;
    bool cancellableWaitReturned = false;
    int nonCancellableSteps = 0;
    bool reachedEnd = false;
};

QCoro::Task<> cleanupAfterCancelled(WorkerService *service, CleanupReport *report)
{
    try {
        co_await waitUntilCancelled(service);
    } catch (const Cancelled &) {
        report->cancelled = true;
    }
    // A cancellable wait of a cancelled task throws Cancelled at once (trio's unshielded await).
    try {
        co_await service->sleepFor(std::chrono::hours(1));
        report->cancellableWaitReturned = true;
    } catch (const Cancelled &) {
        report->cancellableWaitThrew = true;
    }
    // Awaits of things that are not cancellable run to completion (trio's shielded await).
    co_await QCoro::sleepFor(1ms);
    ++report->nonCancellableSteps;
    co_await QCoro::sleepFor(0ms);
    ++report->nonCancellableSteps;
    report->reachedEnd = true;
}
} // namespace

class tst_AsyncServiceStopping : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sleepingDaemonStopsCleanly();
    void endlessAsyncGeneratorStopsOnRequest();
    void taskAddedOnceTheStopBeganIsDropped();
    void cleanupRunsOnStop();
    void cleanupThatAwaitsCompletesBeforeStop();
    void busyDaemonReturningDuringStopIsClean();
    void cleanupAfterCancelledRunsItsNonCancellableAwaits();
    void callableAddedOnceTheStopBeganIsDropped();
};

// S44
void tst_AsyncServiceStopping::sleepingDaemonStopsCleanly()
{
    WorkerService worker(QStringLiteral("worker"));
    bool wokeNaturally = false;
    bool cancelled = false;
    QFuture<void> daemon;
    worker.onStart = [&](WorkerService *w) {
        daemon = w->addTask(sleepHundredSeconds(w, &wokeNaturally, &cancelled),
                            {.name = QStringLiteral("sleeper"), .daemon = true});
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    runBlocking(manager.stop(), 5s); // clean: a daemon cancelled by the stop is no crash
    QCOMPARE(manager.state(), State::Stopped);
    QVERIFY(!manager.error());
    QVERIFY(cancelled);
    QVERIFY(!wokeNaturally);
    QVERIFY(daemon.isCanceled());
}

// S45
void tst_AsyncServiceStopping::endlessAsyncGeneratorStopsOnRequest()
{
    WorkerService worker(QStringLiteral("worker"));
    int received = 0;
    QFuture<void> run;
    worker.onStart = [&](WorkerService *w) {
        run = w->addTask(consumeEndlessGenerator(w, &received));
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QTRY_VERIFY_WITH_TIMEOUT(received >= 3, 5000);
    manager.requestStop();
    runBlocking(manager.wait(), 5s); // a clean exit
    QCOMPARE(manager.state(), State::Stopped);
    QVERIFY(!manager.error());
    QVERIFY(run.isCanceled());
}

// S47
void tst_AsyncServiceStopping::taskAddedOnceTheStopBeganIsDropped()
{
    // S47 (and docs/contract.md, Background tasks): once the stop began, addTask returns an
    // already-canceled future, logs a warning and runs nothing.
    WorkerService worker(QStringLiteral("worker"));
    LateTask late;
    worker.onStart = [&](WorkerService *w) { w->addTask(cancelSelfThenAddTask(w, &late)); };
    ServiceManager manager(&worker);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                           "^worker is Stopping - not running a task")));
    runBlocking(manager.start(), 5s);
    runBlocking(manager.wait(), 5s); // no error, finishes promptly
    QCOMPARE(manager.state(), State::Stopped);
    QVERIFY(!manager.error());
    QVERIFY(late.future.isCanceled());
    QVERIFY(late.future.isFinished());
    QVERIFY(late.ended);             // its first wait threw Cancelled at once...
    QVERIFY(!late.sleptAndRan);      // ...so nothing after it ran
    QCOMPARE(worker.taskCount(), 1); // the dropped task was never counted
}

// S48
void tst_AsyncServiceStopping::cleanupRunsOnStop()
{
    WorkerService worker(QStringLiteral("worker"));
    bool cleanedUp = false;
    bool cleanedUpAtStop = false;
    worker.onStart = [&](WorkerService *w) { w->addTask(waitWithFinally(w, &cleanedUp)); };
    worker.onStop = [&](WorkerService *) { cleanedUpAtStop = cleanedUp; };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QVERIFY(!cleanedUp); // before the stop
    manager.requestStop();
    runBlocking(manager.wait(), 5s);
    QVERIFY(cleanedUp);
    QVERIFY(cleanedUpAtStop);
    QCOMPARE(manager.state(), State::Stopped);
}

// S49
void tst_AsyncServiceStopping::cleanupThatAwaitsCompletesBeforeStop()
{
    WorkerService worker(QStringLiteral("worker"));
    bool cleanedUp = false;
    bool cleanedUpAtStop = false;
    worker.onStart = [&](WorkerService *w) { w->addTask(waitWithAwaitingFinally(w, &cleanedUp)); };
    worker.onStop = [&](WorkerService *) { cleanedUpAtStop = cleanedUp; };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QVERIFY(!cleanedUp);
    manager.requestStop();
    runBlocking(manager.wait(), 5s);
    QVERIFY(cleanedUp);
    QVERIFY(cleanedUpAtStop); // the stop waited for the awaiting clean-up
    QCOMPARE(worker.pendingAtStop, 0);
    QCOMPARE(manager.state(), State::Stopped);
}

// S62
void tst_AsyncServiceStopping::busyDaemonReturningDuringStopIsClean()
{
    WorkerService worker(QStringLiteral("worker"));
    int iterations = 0;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(busyWhileRunning(w, &iterations),
                   {.name = QStringLiteral("busy"), .daemon = true});
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QTRY_VERIFY_WITH_TIMEOUT(iterations >= 3, 5000);
    QCOMPARE(manager.state(), State::Running);
    manager.requestStop();
    runBlocking(manager.wait(), 5s); // the daemon returning during the stop is not an error
    QCOMPARE(manager.state(), State::Stopped);
    QVERIFY(!manager.error());
    QCOMPARE(worker.finishedTaskCount(), 1);
}

// S63: trio's shielded/unshielded distinction does not exist here. What QLifecycle guarantees
// instead: after Cancelled, a cancellable wait throws Cancelled again at once (the task is
// cancelled), and awaits of things that are not cancellable complete, so the clean-up runs to its
// end before the service's stop().
void tst_AsyncServiceStopping::cleanupAfterCancelledRunsItsNonCancellableAwaits()
{
    WorkerService worker(QStringLiteral("worker"));
    CleanupReport report;
    bool reachedEndAtStop = false;
    worker.onStart = [&](WorkerService *w) { w->addTask(cleanupAfterCancelled(w, &report)); };
    worker.onStop = [&](WorkerService *) { reachedEndAtStop = report.reachedEnd; };
    worker.stopTimeout = 5s;
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QVERIFY(!report.cancelled);
    runBlocking(manager.stop(), 5s);
    QVERIFY(report.cancelled);
    QVERIFY(report.cancellableWaitThrew);
    QVERIFY(!report.cancellableWaitReturned);
    QCOMPARE(report.nonCancellableSteps, 2);
    QVERIFY(report.reachedEnd);
    QVERIFY(reachedEndAtStop);
    QCOMPARE(manager.state(), State::Stopped);
}

static QCoro::Task<> cancelSelfThenAddCallable(WorkerService *service, QFuture<void> *late,
                                               std::atomic<bool> *ran)
{
    co_await service->sleepFor(1ms);
    finishService(service);
    *late = service->addPoolTask([ran] {
        ran->store(true);
        QThread::sleep(1); // trio.sleep(1)
    });
}

// S64: the trio variant of S47, with a function run on a thread pool; same contract.
void tst_AsyncServiceStopping::callableAddedOnceTheStopBeganIsDropped()
{
    WorkerService worker(QStringLiteral("worker"));
    QFuture<void> late;
    std::atomic<bool> ran{false};
    worker.onStart = [&](WorkerService *w) {
        w->addTask(cancelSelfThenAddCallable(w, &late, &ran));
    };
    ServiceManager manager(&worker);
    QTest::ignoreMessage(
        QtWarningMsg, QRegularExpression(QStringLiteral("^worker is Stopping - not running task")));
    runBlocking(manager.start(), 5s);
    runBlocking(manager.wait(), 5s);
    QCOMPARE(manager.state(), State::Stopped);
    QVERIFY(!manager.error());
    QVERIFY(late.isCanceled());
    QVERIFY(!ran.load());
}

QTEST_GUILESS_MAIN(tst_AsyncServiceStopping)
#include "tst_asyncservice_stopping.moc"
