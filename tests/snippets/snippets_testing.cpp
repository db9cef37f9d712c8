// The code shown in docs/testing.md: each test below is what the page describes, run.

// [snippet:testing-include]
#include <QLifecycle/TestKit>

using namespace QLifecycle;
using namespace QLifecycle::Test;
// [/snippet:testing-include]

#include "docexamples.h"

#include <QLifecycle/ServiceManager>

using namespace std::chrono_literals;

namespace {
QCoro::Task<int> answerLater(ScriptedService *service)
{
    co_await service->sleepFor(5ms);
    co_return 42;
}

QCoro::Task<> checksInsideACoroutine(ScriptedService *service)
{
    // [snippet:testing-co-verify]
    const int answer = co_await answerLater(service);
    QLC_CO_VERIFY(answer > 0);
    QLC_CO_COMPARE(answer, 42);
    // [/snippet:testing-co-verify]
}
} // namespace

class tst_DocExamplesTesting : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void runBlockingRunsCoroutines()
    {
        ScriptedService service(QStringLiteral("service"));
        ServiceManager manager(&service);
        ScriptedService failing(QStringLiteral("failing"));
        failing.onStart.fail = true;
        ServiceManager broken(&failing);
        // [snippet:testing-run-blocking]
        runBlocking(manager.start()); // 10 s by default
        QCOMPARE(runBlocking(answerLater(&service)), 42);
        QVERIFY_THROWS_EXCEPTION(QLifecycle::Error, runBlocking(broken.start(), 2s));
        // [/snippet:testing-run-blocking]
        runBlocking(checksInsideACoroutine(&service));
        runBlocking(manager.stop());
    }

    void expectErrorReturnsTheError()
    {
        ScriptedService db(QStringLiteral("db"));
        db.onStop.fail = true;
        db.onStop.failMessage = QStringLiteral("cannot close");
        ServiceManager manager(&db);
        runBlocking(manager.start());
        // [snippet:testing-expect-error]
        const std::optional<Error> error = expectError(manager.stop());
        QVERIFY(error);
        QCOMPARE(error->primary().toString(), QStringLiteral("db: stop failed: cannot close"));
        // [/snippet:testing-expect-error]
    }

    void statesReadASpy()
    {
        ScriptedService db(QStringLiteral("db"));
        ServiceManager manager(&db);
        // [snippet:testing-states]
        QSignalSpy spy(&db, &QService::stateChanged);
        manager.requestStart();
        QVERIFY(waitForState(&manager, State::Running)); // spins the event loop; false on timeout
        runBlocking(manager.stop());
        QCOMPARE(states(spy),
                 (QList{State::Starting, State::Running, State::Stopping, State::Stopped}));
        // [/snippet:testing-states]
    }

    void scriptedServicesDoAsTheyAreTold()
    {
        // [snippet:testing-scripted]
        EventLog log;
        ScriptedService db(QStringLiteral("db"), &log), api(QStringLiteral("api"), &log);
        api.deps = {&db};
        db.onStart.delay = 20ms;       // start takes a while
        db.onStart.fail = true;        // ...then throws std::runtime_error
        api.onStop.hang = true;        // stop never ends by itself
        api.stopTimeout = 50ms;        // ...so this timeout will abandon it
        db.onStart.cancellable = true; // its waits end at once when a stop is requested
        api.crashAfter = 100ms;        // a task that throws 100 ms after the start
        // [/snippet:testing-scripted]
        ServiceManager manager(&api);
        const std::optional<Error> error = expectError(manager.start());
        QVERIFY(error);
        QCOMPARE(error->primary().toString(), QStringLiteral("db: start failed: scripted failure"));
        QCOMPARE(log.events(), names("db:start"));
    }

    void virtualTimeDrivesTimeouts()
    {
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("timed out")));
        // [snippet:testing-virtual-time]
        VirtualClock clock; // the library's clock and timers until it is destroyed
        ScriptedService stuck(QStringLiteral("stuck"));
        stuck.onStart.hang = true; // a start() that never ends
        stuck.startLimit = 30s;
        ServiceManager manager(&stuck);
        manager.requestStart();
        clock.advanceBy(29s); // nothing waits for real
        QCOMPARE(stuck.state(), State::Starting);
        clock.advanceBy(1s); // its start timeout passes
        QCOMPARE(manager.state(), State::Failed);
        QVERIFY(manager.errorString().contains(QStringLiteral("timed out after 30000 ms")));
        QCOMPARE(clock.pendingTimers(), 0);
        // [/snippet:testing-virtual-time]
    }

    void eventLogsGiveOrders()
    {
        EventLog log;
        ScriptedService a(QStringLiteral("A"), &log), b1(QStringLiteral("b1"), &log),
            b2(QStringLiteral("b2"), &log), c(QStringLiteral("c"), &log);
        b1.deps = {&c};
        b2.deps = {&c};
        a.deps = {&b1, &b2};
        ServiceManager manager(&a);
        runBlocking(manager.start());
        runBlocking(manager.stop());
        // [snippet:testing-event-log]
        QCOMPARE(log.only(QStringLiteral(":start")), names("c b1 b2 A"));
        QCOMPARE(log.only(QStringLiteral(":stop")), names("A b2 b1 c"));
        // [/snippet:testing-event-log]
    }
};

QObject *makeTestingExamples()
{
    return new tst_DocExamplesTesting;
}

#include "snippets_testing.moc"
