// Timeouts and background tasks together (docs/contract.md): how a service's tasks end when it
// stops. Newest first, a task that ignores cancellation abandoned at the deadline (named, kept
// alive safely), a start that waits cooperatively cancelled by a stop request.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include "outcome.h"
#include "setonexit.h"
#include "workerservice.h"
#include <QLifecycle/testkit/eventlog.h>
#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/virtualclock.h>

#include <QtCore/QThread>

#include <atomic>
#include <memory>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace {
QCoro::Task<> logWhenCancelled(WorkerService *service, EventLog *log, QString name)
{
    try {
        co_await service->sleepFor(std::chrono::hours(1));
    } catch (const Cancelled &) {
        log->add(name + QStringLiteral(":cancelled"));
        throw;
    }
}

class CooperativeStart : public QService
{
public:
    bool cleanedUp = false;
    int stopCalls = 0;

protected:
    QCoro::Task<> start() override
    {
        SetOnExit cleanup(&cleanedUp);
        co_await sleepFor(std::chrono::hours(1)); // a slow connect, say
    }
    QCoro::Task<> stop() override
    {
        ++stopCalls;
        co_return;
    }
};
} // namespace

class tst_TaskShutdown : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tasksAreCancelledNewestFirst();
    void callableIgnoringCancellationIsAbandonedAtDeadline();
    void stopRequestCancelsCooperativeStart();
    void failedStartCancelsItsTasks();
    void isCancellationRequestedInsideATask();
};

void tst_TaskShutdown::tasksAreCancelledNewestFirst()
{
    EventLog log;
    WorkerService worker(QStringLiteral("worker"));
    worker.onStart = [&](WorkerService *w) {
        for (const char *name : {"first", "second", "third"})
            w->addTask(logWhenCancelled(w, &log, QString::fromLatin1(name)));
    };
    worker.onStop = [&](WorkerService *) { log.add(QStringLiteral("worker:stop")); };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QCOMPARE(log.events(), names("third:cancelled second:cancelled first:cancelled worker:stop"));
}

void tst_TaskShutdown::callableIgnoringCancellationIsAbandonedAtDeadline()
{
    auto release = std::make_shared<std::atomic<bool>>(false);
    auto finished = std::make_shared<std::atomic<bool>>(false);
    auto running = std::make_shared<std::atomic<bool>>(false);
    WorkerService base(QStringLiteral("base")), stubborn(QStringLiteral("stubborn"));
    stubborn.deps = {&base};
    stubborn.stopTimeout = 100ms;
    stubborn.onStart = [release, finished, running](WorkerService *w) {
        w->addPoolTask(
            [release, finished, running](QPromise<void> &) { // never looks at isCanceled()
                *running = true;
                while (!*release)
                    QThread::msleep(1);
                *finished = true;
            },
            {.name = QStringLiteral("crunch")});
    };
    {
        VirtualClock clock; // the 100 ms pass at once
        ServiceManager manager(&stubborn);
        runBlocking(manager.start());
        QTRY_VERIFY(*running); // a callable cancelled while still queued would be skipped
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "stubborn: stop failed: timed out after 100 ms.*tasks still "
                                 "running, abandoned: crunch")));
        const auto stopped = launch(manager.stop());
        clock.advanceBy(100ms);
        QVERIFY(stopped->done);
        const std::optional<Error> error = stopped->error;
        QVERIFY(error);
        QCOMPARE(error->failures().size(), 1);
        QVERIFY(error->primary().message.contains(QStringLiteral("crunch")));
        QCOMPARE(stubborn.stopCalls, 0);        // abandoned before its own stop()
        QCOMPARE(base.state(), State::Stopped); // the dependency was stopped anyway
        QCOMPARE(stubborn.state(), State::Failed);
        QVERIFY(!*finished);
    }
    // The manager is gone; the task ends later: nothing may touch freed memory (ASan build).
    *release = true;
    QTRY_VERIFY(*finished);
    QTRY_COMPARE(stubborn.pendingTaskCount(), 0);
    QCOMPARE(stubborn.state(), State::Failed);
}

void tst_TaskShutdown::stopRequestCancelsCooperativeStart()
{
    CooperativeStart slow;
    slow.setObjectName(QStringLiteral("slow"));
    ServiceManager manager(&slow);
    QSignalSpy transitions(&slow, &QService::stateChanged);
    QCoro::Task<> starting = manager.start();
    QCOMPARE(slow.state(), State::Starting);
    manager.requestStop();
    QVERIFY(slow.cleanedUp);              // woken at once, unwound
    runBlocking(std::move(starting), 2s); // a cancelled start is not an error
    QCOMPARE(states(transitions), (QList{State::Starting, State::Stopped}));
    QCOMPARE(slow.stopCalls, 0); // it never started, so it is not stopped
    QCOMPARE(manager.state(), State::Stopped);
    QVERIFY(!manager.error());
}

template<typename Service>
QCoro::Task<> failAfterTask(Service *service, bool *cleanedUp)
{
    SetOnExit cleanup(cleanedUp);
    co_await service->sleepFor(std::chrono::hours(1));
}

class FailingStart : public QService
{
public:
    using QService::sleepFor; // for failAfterTask(), its task's code
    bool taskCleanedUp = false;

protected:
    QCoro::Task<> start() override
    {
        addTask(failAfterTask(this, &taskCleanedUp));
        co_await sleepFor(1ms);
        throw std::runtime_error("no connection");
    }
};

void tst_TaskShutdown::failedStartCancelsItsTasks()
{
    FailingStart broken;
    ServiceManager manager(&broken);
    QVERIFY(expectError(manager.start()));
    QVERIFY(broken.taskCleanedUp);
    QCOMPARE(broken.pendingTaskCount(), 0);
    QCOMPARE(broken.state(), State::Failed);
}

QCoro::Task<> pollUntilCancelled(WorkerService *service, int *rounds, bool *sawRequest)
{
    while (!service->isCancellationRequested()) {
        ++*rounds;
        try {
            co_await service->sleepFor(1ms);
        } catch (const Cancelled &) {
            *sawRequest = service->isCancellationRequested();
            throw;
        }
    }
}

void tst_TaskShutdown::isCancellationRequestedInsideATask()
{
    WorkerService worker(QStringLiteral("worker"));
    int rounds = 0;
    bool sawRequest = false;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(pollUntilCancelled(w, &rounds, &sawRequest));
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    QTRY_VERIFY(rounds >= 2);
    QVERIFY(!worker.isCancellationRequested());
    runBlocking(manager.stop());
    QVERIFY(sawRequest);
}

QTEST_GUILESS_MAIN(tst_TaskShutdown)
#include "tst_taskshutdown.moc"
