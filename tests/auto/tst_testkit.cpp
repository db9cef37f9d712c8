// QLifecycle::Test, the kit users link in their own tests: each helper does what it says.

#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace {
QCoro::Task<int> answerLater(ScriptedService *service)
{
    co_await service->sleepFor(5ms);
    co_return 42;
}

QCoro::Task<> throwAfterSuspending(ScriptedService *service)
{
    co_await service->sleepFor(1ms);
    throw std::runtime_error("thrown after a suspension");
}

QCoro::Task<> never(Sleeper *sleeper)
{
    co_await sleeper->sleep(-1ms);
}

QCoro::Task<> checksInsideACoroutine(int *reached)
{
    QLC_CO_VERIFY(true);
    QLC_CO_COMPARE(1 + 1, 2);
    ++*reached;
    co_return;
}
} // namespace

class tst_TestKit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runBlockingReturnsTheResult();
    void runBlockingRethrowsInsteadOfHanging();
    void runBlockingTimesOut();
    void coroutineSafeChecks();
    void statesReadsASpy();
    void waitForStateWaitsForTheService();
    void expectErrorReturnsTheAggregate();
    void eventLogRecordsOrders();
    void scriptedStartCanFailAfterADelay();
    void scriptedHangPastItsTimeout();
    void scriptedWaitsIgnoreCancellationUnlessCancellable();
    void scriptedCrashAfterADelay();
};

void tst_TestKit::runBlockingReturnsTheResult()
{
    ScriptedService service(QStringLiteral("service"));
    QCOMPARE(runBlocking(answerLater(&service)), 42);
}

void tst_TestKit::runBlockingRethrowsInsteadOfHanging()
{
    ScriptedService service(QStringLiteral("service"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, runBlocking(throwAfterSuspending(&service), 5s));
}

void tst_TestKit::runBlockingTimesOut()
{
    Sleeper sleeper;
    QVERIFY_THROWS_EXCEPTION(Timeout, runBlocking(never(&sleeper), 20ms));
    sleeper.wakeAll(); // let the abandoned coroutine end
}

void tst_TestKit::coroutineSafeChecks()
{
    int reached = 0;
    runBlocking(checksInsideACoroutine(&reached));
    QCOMPARE(reached, 1);
}

void tst_TestKit::statesReadsASpy()
{
    ScriptedService a(QStringLiteral("a"));
    ServiceManager manager(&a);
    QSignalSpy spy(&a, &QService::stateChanged);
    runBlocking(manager.start());
    QCOMPARE(states(spy), (QList{State::Starting, State::Running}));
    runBlocking(manager.stop());
}

void tst_TestKit::waitForStateWaitsForTheService()
{
    ScriptedService a(QStringLiteral("a"));
    a.onStart.delay = 20ms;
    ServiceManager manager(&a);
    manager.requestStart();
    QCOMPARE(a.state(), State::Starting);
    QVERIFY(waitForState(&a, State::Running));
    QVERIFY(waitForState(&manager, State::Running));
    QVERIFY(!waitForState(&a, State::Stopped, 10ms)); // false on timeout
    runBlocking(manager.stop());
}

void tst_TestKit::expectErrorReturnsTheAggregate()
{
    ScriptedService a(QStringLiteral("a"));
    a.onStart.fail = true;
    a.onStart.failMessage = QStringLiteral("nope");
    ServiceManager manager(&a);
    const std::optional<Error> error = expectError(manager.start());
    QVERIFY(error);
    QCOMPARE(error->primary().message, QStringLiteral("nope"));
    ScriptedService fine(QStringLiteral("fine"));
    ServiceManager other(&fine);
    QVERIFY(!expectError(other.start()));
    runBlocking(other.stop());
}

void tst_TestKit::eventLogRecordsOrders()
{
    EventLog log;
    ScriptedService a(QStringLiteral("a"), &log), b(QStringLiteral("b"), &log);
    b.deps = {&a};
    ServiceManager manager(&b);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QCOMPARE(log.only(QStringLiteral(":start")), names("a b"));
    QCOMPARE(log.only(QStringLiteral(":stopped")), names("b a"));
    QCOMPARE(log.count(QStringLiteral("a:start")), 1);
}

void tst_TestKit::scriptedStartCanFailAfterADelay()
{
    ScriptedService a(QStringLiteral("a"));
    a.onStart.delay = 10ms;
    a.onStart.fail = true;
    ServiceManager manager(&a);
    QVERIFY(expectError(manager.start()));
    QCOMPARE(a.startCalls, 1);
    QCOMPARE(a.startReturns, 0);
    QCOMPARE(a.state(), State::Failed);
}

void tst_TestKit::scriptedHangPastItsTimeout()
{
    ScriptedService a(QStringLiteral("a"));
    a.onStop.hang = true;
    a.stopTimeout = 20ms;
    ServiceManager manager(&a);
    runBlocking(manager.start());
    const std::optional<Error> error = expectError(manager.stop());
    QVERIFY(error);
    QVERIFY(error->primary().message.startsWith(QStringLiteral("timed out after 20 ms")));
}

void tst_TestKit::scriptedWaitsIgnoreCancellationUnlessCancellable()
{
    ScriptedService stubborn(QStringLiteral("stubborn")), polite(QStringLiteral("polite"));
    stubborn.onStart.hang = true; // ignores the stop request
    polite.onStart.hang = true;
    polite.onStart.cancellable = true; // a stop request wakes it
    ServiceManager first(&stubborn), second(&polite);
    QCoro::Task<> startingStubborn = first.start();
    QCoro::Task<> startingPolite = second.start();
    first.requestStop();
    second.requestStop();
    QCOMPARE(polite.state(), State::Stopped); // cancelled at once: a cancelled start
    QCOMPARE(stubborn.state(), State::Starting);
    stubborn.sleeper().wakeAll();
    runBlocking(std::move(startingStubborn));
    runBlocking(std::move(startingPolite));
    QCOMPARE(stubborn.state(), State::Stopped);
}

void tst_TestKit::scriptedCrashAfterADelay()
{
    ScriptedService a(QStringLiteral("a"));
    a.crashAfter = 10ms;
    ServiceManager manager(&a);
    runBlocking(manager.start());
    const std::optional<Error> error = expectError(manager.wait());
    QVERIFY(error);
    QCOMPARE(error->primary().message,
             QStringLiteral("task 'scripted crash' failed: scripted crash"));
}

QTEST_GUILESS_MAIN(tst_TestKit)
#include "tst_testkit.moc"
