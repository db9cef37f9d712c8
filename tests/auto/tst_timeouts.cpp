// Timeouts (docs/contract.md, Timeouts): a stop over its graceful timeout is abandoned and the stop
// goes on; a start over its start timeout is a start failure; late completions are ignored.
// Timeouts pass on a VirtualClock (no real waiting), except where a hook blocks the thread.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include "outcome.h"
#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>
#include <QLifecycle/testkit/virtualclock.h>

#include <QtCore/QThread>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace {
// A hook that blocks the thread past its deadline, then returns without suspending: the
// deadline's timer gets no chance to fire before the hook's end is seen.
class BlockingService : public QService
{
public:
    using QService::QService;
    bool blockStart = false;
    bool blockStop = false;

    std::chrono::milliseconds gracefulShutdownTimeout() const override { return 20ms; }
    std::optional<std::chrono::milliseconds> startTimeout() const override { return 20ms; }

protected:
    QCoro::Task<> start() override
    {
        if (blockStart)
            QThread::msleep(80);
        co_return;
    }
    QCoro::Task<> stop() override
    {
        if (blockStop)
            QThread::msleep(80);
        co_return;
    }
};
} // namespace

class tst_Timeouts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stopTimeoutAbandonsAndGoesOn();
    void stopNeverHangsWithManagerDefault();
    void defaultGracefulTimeoutIsTenSeconds();
    void startTimeoutIsStartFailure();
    void abandonedStartFinishingLaterIsIgnored();
    void managerDefaultStartTimeoutApplies();
    void noStartTimeoutByDefault();
    void hookEndingPastItsDeadlineIsTimedOut_data();
    void hookEndingPastItsDeadlineIsTimedOut();
};

void tst_Timeouts::stopTimeoutAbandonsAndGoesOn()
{
    VirtualClock clock;
    EventLog log;
    ScriptedService base(QStringLiteral("base"), &log), stuck(QStringLiteral("stuck"), &log),
        root(QStringLiteral("root"), &log);
    stuck.onStop.hang = true;
    stuck.stopTimeout = 50ms;
    stuck.deps = {&base};
    root.deps = {&stuck};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QSignalSpy stuckStates(&stuck, &QService::stateChanged);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                           "^stuck: stop failed: timed out after 50 ms")));
    const auto stopped = launch(manager.stop());
    clock.advanceBy(50ms);
    QVERIFY(stopped->done);
    const std::optional<Error> error = stopped->error;
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().service, QStringLiteral("stuck"));
    QCOMPARE(error->primary().phase, Phase::Stop);
    QVERIFY(error->primary().message.startsWith(QStringLiteral("timed out after 50 ms")));
    QCOMPARE(states(stuckStates), (QList{State::Stopping, State::Failed}));
    QCOMPARE(base.stopReturns, 1); // the dependency is still stopped
    QCOMPARE(base.state(), State::Stopped);
    QCOMPARE(stuck.stopReturns, 0);
    QCOMPARE(stuck.sleeper().sleepingCount(), 1); // abandoned, kept alive safely
    QCOMPARE(manager.state(), State::Failed);
    stuck.sleeper().wakeAll(); // the abandoned stop ends later: nothing changes
    QCOMPARE(stuck.stopReturns, 1);
    QCOMPARE(stuck.state(), State::Failed);
}

void tst_Timeouts::stopNeverHangsWithManagerDefault()
{
    VirtualClock clock;
    ScriptedService a(QStringLiteral("a")), b(QStringLiteral("b")), root(QStringLiteral("root"));
    a.onStop.hang = b.onStop.hang = root.onStop.hang = true;
    root.deps = {{&a, &b}};
    ServiceManager manager(&root);
    manager.setDefaultGracefulShutdownTimeout(30ms);
    runBlocking(manager.start());
    QCOMPARE(root.gracefulShutdownTimeoutForTest(), 30ms); // the manager's, once in its run
    const auto stopped = launch(manager.stop());
    clock.advanceBy(60ms); // root's 30 ms, then a's and b's
    QVERIFY(stopped->done);
    const std::optional<Error> error = stopped->error;
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 3);
    for (QService *service : manager.services())
        QCOMPARE(service->state(), State::Failed);
}

void tst_Timeouts::defaultGracefulTimeoutIsTenSeconds()
{
    ScriptedService root(QStringLiteral("root"));
    QCOMPARE(root.gracefulShutdownTimeoutForTest(), 10s);
    ServiceManager manager(&root);
    QCOMPARE(manager.defaultGracefulShutdownTimeout(), 10s);
    root.stopTimeout = 30s;
    QCOMPARE(root.gracefulShutdownTimeoutForTest(), 30s);
}

void tst_Timeouts::startTimeoutIsStartFailure()
{
    VirtualClock clock;
    EventLog log;
    ScriptedService ok(QStringLiteral("ok"), &log), stuck(QStringLiteral("stuck"), &log),
        root(QStringLiteral("root"), &log);
    stuck.onStart.hang = true;
    stuck.startLimit = 40ms;
    root.deps = {&ok, &stuck};
    ServiceManager manager(&root);
    QSignalSpy stuckStates(&stuck, &QService::stateChanged);
    const auto started = launch(manager.start());
    clock.advanceBy(40ms);
    QVERIFY(started->done);
    const std::optional<Error> error = started->error;
    QVERIFY(error);
    QCOMPARE(error->primary().toString(),
             QStringLiteral("stuck: start failed: timed out after 40 ms"));
    QCOMPARE(states(stuckStates), (QList{State::Starting, State::Failed}));
    QCOMPARE(stuck.stopCalls, 0);
    QCOMPARE(ok.stopReturns, 1); // rolled back
    QCOMPARE(root.startCalls, 0);
}

void tst_Timeouts::abandonedStartFinishingLaterIsIgnored()
{
    VirtualClock clock;
    ScriptedService late(QStringLiteral("late"));
    late.onStart.hang = true;
    late.startLimit = 20ms;
    ServiceManager manager(&late);
    const auto started = launch(manager.start());
    clock.advanceBy(20ms);
    QVERIFY(started->done && started->error);
    QCOMPARE(late.state(), State::Failed);
    QSignalSpy spy(&late, &QService::stateChanged);
    late.sleeper().wakeAll();
    QCOMPARE(late.startReturns, 1); // its start did finish in the end...
    QCOMPARE(spy.count(), 0);       // ...but the run had moved on
    QCOMPARE(late.state(), State::Failed);
    late.onStart.hang = false;
    runBlocking(manager.start()); // and the next run is not disturbed
    QCOMPARE(late.state(), State::Running);
    runBlocking(manager.stop());
}

void tst_Timeouts::managerDefaultStartTimeoutApplies()
{
    VirtualClock clock;
    ScriptedService slow(QStringLiteral("slow"));
    slow.onStart.hang = true;
    ServiceManager manager(&slow);
    manager.setDefaultStartTimeout(25ms);
    QCOMPARE(manager.defaultStartTimeout(), std::optional(25ms));
    const auto started = launch(manager.start());
    clock.advanceBy(25ms);
    QVERIFY(started->done);
    const std::optional<Error> error = started->error;
    QVERIFY(error);
    QCOMPARE(error->primary().message, QStringLiteral("timed out after 25 ms"));
}

void tst_Timeouts::noStartTimeoutByDefault()
{
    VirtualClock clock;
    ScriptedService slow(QStringLiteral("slow"));
    slow.onStart.delay = 60ms;
    ServiceManager manager(&slow);
    QCOMPARE(manager.defaultStartTimeout(), std::nullopt);
    const auto started = launch(manager.start());
    QVERIFY(clock.advanceUntilIdle()); // its 60 ms delay, and no deadline
    QVERIFY(started->done && !started->error);
    QCOMPARE(clock.nowMs(), 60);
    QCOMPARE(slow.state(), State::Running);
    runBlocking(manager.stop());
}

QTEST_GUILESS_MAIN(tst_Timeouts)
void tst_Timeouts::hookEndingPastItsDeadlineIsTimedOut_data()
{
    QTest::addColumn<bool>("starting");
    QTest::newRow("start") << true;
    QTest::newRow("stop") << false;
}

void tst_Timeouts::hookEndingPastItsDeadlineIsTimedOut()
{
    QFETCH(bool, starting);
    BlockingService service;
    service.setObjectName(QStringLiteral("blocking"));
    (starting ? service.blockStart : service.blockStop) = true;
    ServiceManager manager(&service);
    QTest::ignoreMessage(
        QtWarningMsg,
        QRegularExpression(QStringLiteral("^blocking: %1 failed: timed out after 20 ms")
                               .arg(starting ? QStringLiteral("start") : QStringLiteral("stop"))));
    if (!starting)
        runBlocking(manager.start());
    const std::optional<Error> error = expectError(starting ? manager.start() : manager.stop());
    QVERIFY(error);
    QCOMPARE(error->primary().phase, starting ? Phase::Start : Phase::Stop);
    QVERIFY2(error->primary().message.startsWith(QStringLiteral("timed out after 20 ms")),
             qPrintable(error->primary().message));
    QCOMPARE(service.state(), State::Failed);
    QCOMPARE(manager.state(), State::Failed);
}

#include "tst_timeouts.moc"
