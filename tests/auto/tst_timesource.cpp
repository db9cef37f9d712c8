// The time source (docs/testing.md, "Testing with virtual time"): the system's clock and
// timers, the test kit's VirtualClock, and the library's time rules (start and stop timeouts,
// the cancellable sleeps of tasks) passing under advanceBy() without real waiting.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TimeSource>

#include "outcome.h"
#include "workerservice.h"
#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>
#include <QLifecycle/testkit/virtualclock.h>

#include <QtCore/QThread>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace {
QCoro::Task<> sleepAnHour(WorkerService *service, std::shared_ptr<bool> woke)
{
    co_await service->sleepFor(1h);
    *woke = true;
}
} // namespace

class tst_TimeSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void systemSourceIsCurrentByDefault();
    void systemTimerCallsBackFromTheEventLoop();
    void systemTimerIsCancelledByItsDestruction();
    void systemTimerCallsBackOnTheContextsThread();
    void virtualClockInstallsItselfAndRestores();
    void virtualTimersFireInDueThenArmingOrder();
    void virtualTimerArmedByACallFiresWithinTheAdvance();
    void virtualTimerIsCancelledByItsDestruction();
    void virtualTimerIsCancelledByItsContextsDestruction();
    void advanceUntilIdleStopsAtItsLimit();
    void startTimeoutPassesUnderAdvanceBy();
    void gracefulStopTimeoutPassesUnderAdvanceBy();
    void cancellableSleepOfAnHourEndsUnderAdvanceBy();
    void scriptedDelayFollowsTheVirtualClock();
};

void tst_TimeSource::systemSourceIsCurrentByDefault()
{
    QCOMPARE(TimeSource::current(), TimeSource::system());
    const qint64 first = TimeSource::system()->nowMs();
    QVERIFY(first >= 0);
    QVERIFY(TimeSource::system()->nowMs() >= first);
}

void tst_TimeSource::systemTimerCallsBackFromTheEventLoop()
{
    QObject context;
    int calls = 0;
    const auto now = TimeSource::system()->callAfter(0, &context, [&calls] { ++calls; });
    QCOMPARE(calls, 0); // never inside callAfter()
    QTRY_COMPARE(calls, 1);
    std::unique_ptr<TimeSource::Timer> self;
    self = TimeSource::system()->callAfter(5, &context, [&calls, &self] {
        ++calls;
        self.reset(); // a timer destroyed inside its own call
    });
    QTRY_COMPARE(calls, 2);
    QVERIFY(!self);
}

void tst_TimeSource::systemTimerIsCancelledByItsDestruction()
{
    QObject context;
    bool cancelledCalled = false, laterCalled = false;
    auto cancelled = TimeSource::system()->callAfter(
        5, &context, [&cancelledCalled] { cancelledCalled = true; });
    const auto later =
        TimeSource::system()->callAfter(30, &context, [&laterCalled] { laterCalled = true; });
    cancelled.reset();
    QTRY_VERIFY(laterCalled); // the later one fired: the cancelled one would have by then
    QVERIFY(!cancelledCalled);
}

void tst_TimeSource::systemTimerCallsBackOnTheContextsThread()
{
    QObject context; // on this thread
    QThread *calledOn = nullptr;
    std::unique_ptr<TimeSource::Timer> timer;
    QThread *arming = QThread::create([&] {
        timer = TimeSource::system()->callAfter(
            1, &context, [&calledOn] { calledOn = QThread::currentThread(); });
    });
    arming->start();
    QVERIFY(arming->wait(5000));
    delete arming;
    QTRY_COMPARE(calledOn, QThread::currentThread());
}

void tst_TimeSource::virtualClockInstallsItselfAndRestores()
{
    {
        VirtualClock outer;
        QCOMPARE(TimeSource::current(), &outer);
        QCOMPARE(outer.nowMs(), 0);
        {
            VirtualClock inner(5s);
            QCOMPARE(TimeSource::current(), &inner);
            QCOMPARE(inner.nowMs(), 5000);
        }
        QCOMPARE(TimeSource::current(), &outer);
    }
    QCOMPARE(TimeSource::current(), TimeSource::system());
}

void tst_TimeSource::virtualTimersFireInDueThenArmingOrder()
{
    VirtualClock clock;
    QObject context;
    QStringList calls;
    auto arm = [&](qint64 delay, const QString &name) {
        return clock.callAfter(delay, &context, [&calls, &clock, name] {
            calls << QStringLiteral("%1@%2").arg(name).arg(clock.nowMs());
        });
    };
    const auto c = arm(30, QStringLiteral("c"));
    const auto a1 = arm(10, QStringLiteral("a1"));
    const auto a2 = arm(10, QStringLiteral("a2"));
    const auto b = arm(20, QStringLiteral("b"));
    QCOMPARE(clock.pendingTimers(), 4);
    QCOMPARE(clock.nextDueMs(), 10);
    clock.advanceBy(9ms);
    QCOMPARE(calls, QStringList());
    QCOMPARE(clock.nowMs(), 9);
    clock.advanceBy(16ms);
    QCOMPARE(calls, (QStringList{QStringLiteral("a1@10"), QStringLiteral("a2@10"),
                                 QStringLiteral("b@20")}));
    QCOMPARE(clock.nowMs(), 25); // where the advance ends, not at the last timer
    QCOMPARE(clock.pendingTimers(), 1);
    clock.advanceBy(5ms);
    QCOMPARE(calls.last(), QStringLiteral("c@30"));
    QCOMPARE(clock.pendingTimers(), 0);
    QCOMPARE(clock.nextDueMs(), -1);
}

void tst_TimeSource::virtualTimerArmedByACallFiresWithinTheAdvance()
{
    VirtualClock clock;
    QObject context;
    QList<qint64> calls;
    std::unique_ptr<TimeSource::Timer> first, second, third;
    first = clock.callAfter(10, &context, [&] {
        calls << clock.nowMs();
        // Armed through the event loop, as a resumed coroutine would.
        QMetaObject::invokeMethod(
            &context,
            [&] {
                second = clock.callAfter(5, &context, [&] {
                    calls << clock.nowMs();
                    third = clock.callAfter(50, &context, [&] { calls << clock.nowMs(); });
                });
            },
            Qt::QueuedConnection);
    });
    clock.advanceBy(20ms);
    QCOMPARE(calls, (QList<qint64>{10, 15}));
    QCOMPARE(clock.nextDueMs(), 65);
}

void tst_TimeSource::virtualTimerIsCancelledByItsDestruction()
{
    VirtualClock clock;
    QObject context;
    bool called = false;
    auto timer = clock.callAfter(10, &context, [&called] { called = true; });
    QCOMPARE(clock.pendingTimers(), 1);
    timer.reset();
    QCOMPARE(clock.pendingTimers(), 0);
    clock.advanceBy(1h);
    QVERIFY(!called);
}

void tst_TimeSource::virtualTimerIsCancelledByItsContextsDestruction()
{
    VirtualClock clock;
    bool called = false;
    auto context = std::make_unique<QObject>();
    const auto timer = clock.callAfter(10, context.get(), [&called] { called = true; });
    QCOMPARE(clock.pendingTimers(), 1);
    context.reset();
    QCOMPARE(clock.pendingTimers(), 0);
    QVERIFY(clock.advanceUntilIdle());
    QVERIFY(!called);
}

void tst_TimeSource::advanceUntilIdleStopsAtItsLimit()
{
    VirtualClock clock;
    QObject context;
    int chained = 0;
    std::unique_ptr<TimeSource::Timer> timer;
    std::function<void()> again = [&] {
        if (++chained < 3)
            timer = clock.callAfter(1000, &context, again);
    };
    timer = clock.callAfter(1000, &context, again);
    QVERIFY(clock.advanceUntilIdle()); // a chain that ends: idle
    QCOMPARE(chained, 3);
    QCOMPARE(clock.nowMs(), 3000);

    int ticks = 0;
    std::function<void()> periodic = [&] {
        ++ticks;
        timer = clock.callAfter(1000, &context, periodic);
    };
    timer = clock.callAfter(1000, &context, periodic);
    QVERIFY(!clock.advanceUntilIdle(10s)); // a periodic timer never idles
    QCOMPARE(ticks, 10);
    QCOMPARE(clock.nowMs(), 13000);
    QCOMPARE(clock.pendingTimers(), 1);
    timer.reset();
}

void tst_TimeSource::startTimeoutPassesUnderAdvanceBy()
{
    VirtualClock clock;
    ScriptedService stuck(QStringLiteral("stuck"));
    stuck.onStart.hang = true; // a start() that awaits what never comes
    stuck.startLimit = 30s;
    ServiceManager manager(&stuck);
    const auto outcome = launch(manager.start());
    clock.advanceBy(29999ms);
    QVERIFY(!outcome->done);
    QCOMPARE(stuck.state(), State::Starting);
    clock.advanceBy(1ms);
    QVERIFY(outcome->done);
    QVERIFY(outcome->error);
    QCOMPARE(outcome->error->primary().toString(),
             QStringLiteral("stuck: start failed: timed out after 30000 ms"));
    QCOMPARE(stuck.state(), State::Failed);
    QCOMPARE(manager.state(), State::Failed);
    QCOMPARE(clock.nowMs(), 30000);
}

void tst_TimeSource::gracefulStopTimeoutPassesUnderAdvanceBy()
{
    VirtualClock clock;
    ScriptedService stuck(QStringLiteral("stuck"));
    stuck.onStop.hang = true;
    stuck.stopTimeout = 10s;
    ServiceManager manager(&stuck);
    runBlocking(manager.start());
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                           "^stuck: stop failed: timed out after 10000 ms")));
    const auto outcome = launch(manager.stop());
    clock.advanceBy(9s);
    QVERIFY(!outcome->done);
    QCOMPARE(stuck.state(), State::Stopping);
    clock.advanceBy(1s);
    QVERIFY(outcome->done);
    QVERIFY(outcome->error);
    QVERIFY(
        outcome->error->primary().message.startsWith(QStringLiteral("timed out after 10000 ms")));
    QCOMPARE(stuck.state(), State::Failed);
    QCOMPARE(manager.state(), State::Failed);
}

void tst_TimeSource::cancellableSleepOfAnHourEndsUnderAdvanceBy()
{
    VirtualClock clock;
    WorkerService worker(QStringLiteral("worker"));
    const auto woke = std::make_shared<bool>(false);
    worker.onStart = [woke](WorkerService *w) { w->addTask(sleepAnHour(w, woke)); };
    ServiceManager manager(&worker);
    runBlocking(manager.start());
    clock.advanceBy(59min);
    QVERIFY(!*woke);
    QCOMPARE(worker.pendingTaskCount(), 1);
    clock.advanceBy(1min);
    QVERIFY(*woke);
    QCOMPARE(clock.nowMs(), 3600000);
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_TimeSource::scriptedDelayFollowsTheVirtualClock()
{
    VirtualClock clock;
    ScriptedService slow(QStringLiteral("slow"));
    slow.onStart.delay = 10min;
    ServiceManager manager(&slow);
    const auto outcome = launch(manager.start());
    QVERIFY(clock.advanceUntilIdle());
    QVERIFY(outcome->done);
    QVERIFY(!outcome->error);
    QCOMPARE(slow.state(), State::Running);
    QCOMPARE(clock.nowMs(), 600000);
    runBlocking(manager.stop());
}

QTEST_GUILESS_MAIN(tst_TimeSource)
#include "tst_timesource.moc"
