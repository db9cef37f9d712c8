// Background tasks (docs/contract.md, Background tasks): the three kinds, cancellation that wakes
// waits at once and unwinds them, crashes, daemons, refusals, counts.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include "setonexit.h"
#include "workerservice.h"
#include <QLifecycle/testkit/harness.h>

#include <QtCore/QLoggingCategory>
#include <QtCore/QScopeGuard>
#include <QtCore/QThread>

#include <algorithm>
#include <atomic>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;
using namespace Qt::StringLiterals;

namespace {

QCoro::Task<> sleepForever(WorkerService *service, bool *cleanedUp, int *wokenBy)
{
    SetOnExit flag(cleanedUp); // RAII clean-up that must run when the task unwinds
    try {
        co_await service->sleepFor(std::chrono::hours(1));
    } catch (const Cancelled &) {
        ++*wokenBy;
        throw;
    }
}

QCoro::Task<> waitForeverOnFuture(WorkerService *service, QFuture<void> never, bool *cleanedUp)
{
    SetOnExit flag(cleanedUp); // RAII clean-up that must run when the task unwinds
    co_await service->waitFor(never);
}

QCoro::Task<> waitForeverOnSignal(WorkerService *service, QTimer *neverFires, bool *cleanedUp)
{
    SetOnExit flag(cleanedUp); // RAII clean-up that must run when the task unwinds
    co_await service->waitForSignal(neverFires, &QTimer::timeout);
}

QCoro::Task<int> answer(WorkerService *service)
{
    co_await service->sleepFor(1ms);
    co_return 42;
}

QCoro::Task<> failLater(WorkerService *service, QString message)
{
    co_await service->sleepFor(1ms);
    throw std::runtime_error(message.toStdString());
}

QCoro::Task<> returnSoon(WorkerService *service)
{
    co_await service->sleepFor(1ms);
}
} // namespace

class tst_Tasks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void coroutineTaskDeliversItsResult();
    void sleepingTaskIsWokenByStopAndUnwinds();
    void futureWaitIsWokenByStop();
    void signalWaitIsWokenByStop();
    void callableSeesCooperativeCancellation();
    void adoptedFutureIsCancelledOnStop();
    void taskExceptionIsACrash();
    void awaitedExceptionIsNotACrash();
    void daemonThatReturnsIsACrash();
    void tasksRefusedBeforeStartAndWhileStopping();
    void countsFollowTasks();
    void callableFailureIsReportedOnTheManagersThread();
    void daemonChildThatStopsIsACrash();
    void loggingIsQuietByDefaultAndVerboseWhenEnabled();
};

void tst_Tasks::coroutineTaskDeliversItsResult()
{
    WorkerService worker(QStringLiteral("worker"));
    QFuture<int> future;
    worker.onStart = [&](WorkerService *w) { future = w->addTask(answer(w)); };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    QTRY_VERIFY(future.isFinished());
    QCOMPARE(future.result(), 42);
    runBlocking(manager.stop());
    QCOMPARE(worker.taskCount(), 1);
    QCOMPARE(worker.finishedTaskCount(), 1);
}

void tst_Tasks::sleepingTaskIsWokenByStopAndUnwinds()
{
    WorkerService worker(QStringLiteral("worker"));
    bool cleanedUp = false;
    int wokenBy = 0;
    worker.onStart = [&](WorkerService *w) { w->addTask(sleepForever(w, &cleanedUp, &wokenBy)); };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    QCOMPARE(worker.pendingTaskCount(), 1);
    QSignalSpy done(&manager, &ServiceManager::stateChanged);
    manager.requestStop();
    // Woken at once, inside the stop request: no timer had to fire.
    QVERIFY(cleanedUp);
    QCOMPARE(wokenBy, 1);
    runBlocking(manager.wait(), 1s);
    QCOMPARE(worker.pendingAtStop, 0); // tasks ended before stop() was called
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_Tasks::futureWaitIsWokenByStop()
{
    WorkerService worker(QStringLiteral("worker"));
    bool cleanedUp = false;
    QPromise<void> never;
    never.start();
    worker.onStart = [&](WorkerService *w) {
        w->addTask(waitForeverOnFuture(w, never.future(), &cleanedUp));
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    manager.requestStop();
    QVERIFY(cleanedUp);
    runBlocking(manager.wait(), 1s);
    never.finish();
}

void tst_Tasks::signalWaitIsWokenByStop()
{
    WorkerService worker(QStringLiteral("worker"));
    bool cleanedUp = false;
    QTimer neverFires;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(waitForeverOnSignal(w, &neverFires, &cleanedUp));
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    manager.requestStop();
    QVERIFY(cleanedUp);
    runBlocking(manager.wait(), 1s);
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_Tasks::callableSeesCooperativeCancellation()
{
    WorkerService worker(QStringLiteral("worker"));
    std::atomic<int> iterations{0};
    std::atomic<bool> sawCancel{false};
    QFuture<int> sum;
    worker.onStart = [&](WorkerService *w) {
        w->addPoolTask([&iterations, &sawCancel](QPromise<void> &promise) {
            while (!promise.isCanceled())
                ++iterations;
            sawCancel = true;
        });
        sum = w->addPoolTask([] { return 2 + 3; });
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    QTRY_VERIFY(sum.isFinished());
    QCOMPARE(sum.result(), 5);
    runBlocking(manager.stop());
    QVERIFY(sawCancel);
    QCOMPARE(worker.pendingAtStop, 0);
}

void tst_Tasks::adoptedFutureIsCancelledOnStop()
{
    WorkerService worker(QStringLiteral("worker"));
    QPromise<int> promise;
    promise.start();
    QFuture<int> adopted;
    worker.onStart = [&](WorkerService *w) { adopted = w->addTask(promise.future()); };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    QVERIFY(!adopted.isCanceled());
    QCoro::Task<> stopping = manager.stop();
    QVERIFY(promise.isCanceled()); // the owner of the promise sees the request...
    promise.finish();              // ...and ends it
    runBlocking(std::move(stopping));
    QCOMPARE(worker.finishedTaskCount(), 1);
}

void tst_Tasks::taskExceptionIsACrash()
{
    WorkerService worker(QStringLiteral("worker"));
    worker.onStart = [](WorkerService *w) {
        w->addTask(failLater(w, QStringLiteral("boom")), {.name = QStringLiteral("fetch")});
    };
    ServiceManager manager(&worker);
    QSignalSpy errors(&worker, &QService::errorOccurred);
    QSignalSpy transitions(&worker, &QService::stateChanged);
    QTest::ignoreMessage(QtWarningMsg, "worker: task 'fetch' failed: boom");
    runBlocking(manager.start());
    const std::optional<Error> error = expectError(manager.wait());
    QVERIFY(error);
    QCOMPARE(error->primary().toString(),
             QStringLiteral("worker: crashed: task 'fetch' failed: boom"));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(states(transitions),
             (QList{State::Starting, State::Running, State::Stopping, State::Failed}));
    QCOMPARE(worker.stopCalls, 1); // it started, so its stop() still runs
}

QCoro::Task<> awaitAndHandle(WorkerService *service, QFuture<void> failing, bool *handled)
{
    try {
        co_await service->waitFor(failing);
    } catch (const std::runtime_error &) {
        *handled = true;
    }
}

void tst_Tasks::awaitedExceptionIsNotACrash()
{
    WorkerService worker(QStringLiteral("worker"));
    bool handled = false;
    worker.onStart = [&](WorkerService *w) {
        QFuture<void> failing = w->addTask(failLater(w, QStringLiteral("expected")));
        w->addTask(awaitAndHandle(w, failing, &handled));
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    QTRY_VERIFY(handled);
    QCOMPARE(manager.state(), State::Running);
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_Tasks::daemonThatReturnsIsACrash()
{
    WorkerService worker(QStringLiteral("worker"));
    worker.onStart = [](WorkerService *w) {
        w->addTask(returnSoon(w), {.name = QStringLiteral("poll"), .daemon = true});
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    const std::optional<Error> error = expectError(manager.wait());
    QVERIFY(error);
    QCOMPARE(error->primary().message,
             QStringLiteral("daemon task 'poll' exited while the service was running"));
}

void tst_Tasks::tasksRefusedBeforeStartAndWhileStopping()
{
    WorkerService worker(QStringLiteral("worker"));
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("worker is Stopped - not running")));
    const QFuture<int> early = worker.addPoolTask([] { return 1; });
    QVERIFY(early.isCanceled());
    QVERIFY(early.isFinished());
    QFuture<void> late;
    worker.onStop = [&](WorkerService *w) { late = w->addTask(returnSoon(w)); };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("worker is Stopping - not running")));
    runBlocking(manager.stop());
    QVERIFY(late.isCanceled());
    QCOMPARE(worker.taskCount(), 0);
}

void tst_Tasks::countsFollowTasks()
{
    WorkerService worker(QStringLiteral("worker"));
    bool cleanedUp = false;
    int wokenBy = 0;
    worker.onStart = [&](WorkerService *w) {
        for (int i = 0; i < 3; ++i)
            w->addTask(sleepForever(w, &cleanedUp, &wokenBy));
        w->addTask(returnSoon(w));
    };
    ServiceManager manager(&worker);
    QSignalSpy pending(&worker, &QService::pendingTaskCountChanged);
    runBlocking(manager.start());
    QCOMPARE(worker.taskCount(), 4);
    QTRY_COMPARE(worker.finishedTaskCount(), 1);
    QCOMPARE(worker.pendingTaskCount(), 3);
    runBlocking(manager.stop());
    QCOMPARE(worker.taskCount(), 4);
    QCOMPARE(worker.finishedTaskCount(), 4);
    QCOMPARE(worker.pendingTaskCount(), 0);
    QCOMPARE(wokenBy, 3);
    QVERIFY(pending.count() >= 2);
}

void tst_Tasks::callableFailureIsReportedOnTheManagersThread()
{
    WorkerService worker(QStringLiteral("worker"));
    std::atomic<bool> go{false};
    worker.onStart = [&go](WorkerService *w) {
        w->addPoolTask(
            [&go] {
                while (!go)
                    QThread::msleep(1);
                throw std::runtime_error("pool failure");
            },
            {.name = QStringLiteral("pool")});
    };
    ServiceManager manager(&worker);
    QList<QThread *> threads; // of every lifecycle signal, as it is emitted
    const auto record = [&threads] { threads.append(QThread::currentThread()); };
    runBlocking(manager.start());
    connect(&worker, &QService::stateChanged, this, record, Qt::DirectConnection);
    connect(&worker, &QService::errorOccurred, this, record, Qt::DirectConnection);
    connect(&manager, &ServiceManager::stateChanged, this, record, Qt::DirectConnection);
    connect(&manager, &ServiceManager::errorOccurred, this, record, Qt::DirectConnection);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("pool failure")));
    go = true; // the function fails on a thread of the pool
    const std::optional<Error> error = expectError(manager.wait());
    QVERIFY(error);
    QCOMPARE(error->primary().phase, Phase::Run);
    QCOMPARE(worker.state(), State::Failed);
    QVERIFY(threads.size() >= 4); // at least Stopping and Failed, of the service and the manager
    for (QThread *thread : std::as_const(threads))
        QCOMPARE(thread, QThread::currentThread());
}

void tst_Tasks::daemonChildThatStopsIsACrash()
{
    WorkerService parent(QStringLiteral("parent"));
    WorkerService child(QStringLiteral("child"));
    parent.onStart = [&child](WorkerService *w) {
        w->addChild(&child, {.name = QStringLiteral("listener"), .daemon = true});
    };
    ServiceManager manager(&parent);
    runBlocking(manager.start());
    QVERIFY(waitForState(&child, State::Running));
    QVERIFY(child.manager() && child.manager() != &manager); // run by a manager of its own
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("listener")));
    child.manager()->requestStop(); // the child stops while its parent runs
    const std::optional<Error> error = expectError(manager.wait());
    QVERIFY(error);
    QCOMPARE(error->primary().service, QStringLiteral("parent"));
    QCOMPARE(error->primary().phase, Phase::Run);
    QCOMPARE(error->primary().message,
             QStringLiteral("daemon task 'listener' exited while the service was running"));
    QCOMPARE(parent.state(), State::Failed);
    QCOMPARE(child.state(), State::Stopped);
}

namespace {
QStringList *s_lifecycleMessages = nullptr;
QtMessageHandler s_previousHandler = nullptr;

void collectLifecycleMessages(QtMsgType type, const QMessageLogContext &context,
                              const QString &message)
{
    if (s_lifecycleMessages && context.category &&
        QByteArrayView(context.category).startsWith("qlifecycle."))
        s_lifecycleMessages->append(QString::fromLatin1(context.category) + u": "_s + message);
    else if (s_previousHandler)
        s_previousHandler(type, context, message);
}
} // namespace

void tst_Tasks::loggingIsQuietByDefaultAndVerboseWhenEnabled()
{
    QStringList messages;
    s_lifecycleMessages = &messages;
    s_previousHandler = qInstallMessageHandler(collectLifecycleMessages);
    const auto restore = qScopeGuard([] {
        qInstallMessageHandler(s_previousHandler);
        s_lifecycleMessages = nullptr;
        QLoggingCategory::setFilterRules(QString());
    });
    const auto cleanRun = [] {
        WorkerService worker(QStringLiteral("worker"));
        worker.onStart = [](WorkerService *w) {
            w->addTask(returnSoon(w), {.name = QStringLiteral("poll")});
        };
        ServiceManager manager(&worker);
        runBlocking(manager.start());
        QTRY_COMPARE(worker.finishedTaskCount(), 1);
        runBlocking(manager.stop());
    };

    cleanRun();
    QVERIFY2(messages.isEmpty(), qPrintable(messages.join(u'\n'))); // quiet by default

    QLoggingCategory::setFilterRules(u"qlifecycle.*.debug=true"_s);
    cleanRun();
    const auto logged = [&messages](const QString &category, const QString &text) {
        return std::any_of(messages.begin(), messages.end(), [&](const QString &message) {
            return message.startsWith(category + u": "_s) && message.contains(text);
        });
    };
    QVERIFY2(logged(u"qlifecycle.service"_s, u"Running"_s), qPrintable(messages.join(u'\n')));
    QVERIFY2(logged(u"qlifecycle.task"_s, u"poll"_s), qPrintable(messages.join(u'\n')));
}

QTEST_GUILESS_MAIN(tst_Tasks)
#include "tst_tasks.moc"
