// facet's own scenarios S1-S21, ported to QLifecycle.
// S1-S12 come from facet's asyncio suite: here they are driven from a coroutine
// (co_await manager.start()/stop(), the equivalent of `async with`). S13-S21 come from its
// blocking suite: here they are driven from plain test functions through the event loop.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>

using namespace QLifecycle;
using namespace QLifecycle::Test;

namespace {
class WithTask;
QCoro::Task<> endless(WithTask *service, int *cancellations);
QCoro::Task<> raises(WithTask *service);

class WithTask : public QService
{
public:
    using QService::sleepFor; // for its tasks' code below
    bool endlessTask = true;
    int cancellations = 0;

protected:
    QCoro::Task<> start() override
    {
        if (endlessTask)
            addTask(endless(this, &cancellations));
        else
            addTask(raises(this));
        co_await sleepFor(std::chrono::milliseconds(1));
    }
};

// S8's endless background task: counts how often it saw the cancellation.
QCoro::Task<> endless(WithTask *service, int *cancellations)
{
    try {
        for (;;)
            co_await service->sleepFor(std::chrono::milliseconds(1));
    } catch (const Cancelled &) {
        ++*cancellations;
        throw;
    }
}

// S9's task that raises.
QCoro::Task<> raises(WithTask *service)
{
    co_await service->sleepFor(std::chrono::milliseconds(1));
    throw std::runtime_error("task failed");
}

// A service whose start() adds one background task, then yields once.

bool primaryIsRuntimeError(const Error &error)
{
    try {
        std::rethrow_exception(error.primary().cause);
    } catch (const std::runtime_error &) {
        return true;
    } catch (...) {
        return false;
    }
}
} // namespace

class tst_FacetScenarios : public QObject
{
    Q_OBJECT

private:
    QCoro::Task<> simpleBody();
    QCoro::Task<> failingStartBody();
    QCoro::Task<> rollbackBody(bool brokenFirst);
    QCoro::Task<> parallelRollbackBody();
    QCoro::Task<> endlessTaskBody();
    QCoro::Task<> failingTaskBody();
    QCoro::Task<> diamondBody();
    QCoro::Task<> sharedAcrossManagersBody();
    QCoro::Task<> dependencyFailsBody();
    QCoro::Task<> parallelGroupBody();
    QCoro::Task<> bareServiceBody();

private Q_SLOTS:
    // S1-S12 (facet's asyncio suite), driven from a coroutine
    // S1
    void serviceStartsAndStops() { runBlocking(simpleBody()); }
    // S2
    void failingStartDoesNotCallOwnStop() { runBlocking(failingStartBody()); }
    // S3
    void startFailureStopsTheServiceStartedBeforeIt() { runBlocking(rollbackBody(false)); }
    // S4
    void startFailureLeavesLaterServicesUntouched() { runBlocking(rollbackBody(true)); }
    // S5
    void parallelStartFailureStopsTheStartedSibling() { runBlocking(parallelRollbackBody()); }
    // S6
    void diamondStartsSharedDependencyOnceInStrictOrder() { runBlocking(diamondBody()); }
    // S7
    void serviceOfAnotherRunningManagerIsRefused() { runBlocking(sharedAcrossManagersBody()); }
    // S8
    void endlessTaskIsCancelledOnceOnStop() { runBlocking(endlessTaskBody()); }
    // S9
    void failingTaskFailsTheRunAndTheServiceStartsAgain() { runBlocking(failingTaskBody()); }
    // S10
    void dependencyFailureSkipsDependent() { runBlocking(dependencyFailsBody()); }
    // S11
    void parallelGroupStartsAndStopsEachOnce() { runBlocking(parallelGroupBody()); }
    // S12
    void serviceWithoutHooksStartsAndStops() { runBlocking(bareServiceBody()); }

    // S13-S21 (facet's blocking suite), driven from plain test functions
    void startAndStopPassThroughEachStateOnce();
    void failingStartGoesFromStartingToFailed();
    void serviceStartedBeforeAFailureIsStoppedAgain();
    void serviceAfterAFailureSeesNoTransition();
    void diamondKeepsStrictOrderWhenStartsSuspend();
    void secondManagerRefusalNamesTheSharedService();
    void dependencyFailureSkipsDependentBlocking();
    void parallelGroupStartsAndStopsEachOnceBlocking();
    void serviceWithoutHooksEndsStoppedWithItsManager();
};

QCoro::Task<> tst_FacetScenarios::simpleBody()
{
    ScriptedService simple(QStringLiteral("simple"));
    ServiceManager manager(&simple);
    co_await manager.start();
    QLC_CO_COMPARE(simple.startReturns, 1); // started
    QLC_CO_COMPARE(simple.stopCalls, 0);    // not stopped
    QLC_CO_COMPARE(simple.state(), State::Running);
    co_await manager.stop();
    QLC_CO_COMPARE(simple.stopReturns, 1);
    QLC_CO_COMPARE(simple.state(), State::Stopped);
}

QCoro::Task<> tst_FacetScenarios::failingStartBody()
{
    ScriptedService broken(QStringLiteral("broken"));
    broken.onStart.fail = true;
    ServiceManager manager(&broken);
    QLC_CO_VERIFY(broken.state() != State::Running);
    bool threw = false;
    try {
        co_await manager.start();
    } catch (const Error &error) {
        threw = true;
        QLC_CO_VERIFY(primaryIsRuntimeError(error));
        QLC_CO_COMPARE(error.primary().service, QStringLiteral("broken"));
    }
    QLC_CO_VERIFY(threw);
    QLC_CO_COMPARE(broken.startReturns, 0); // started = false
    QLC_CO_COMPARE(broken.stopCalls, 0);    // its own stop is not called
    QLC_CO_VERIFY(broken.state() != State::Running);
}

QCoro::Task<> tst_FacetScenarios::rollbackBody(bool brokenFirst)
{
    ScriptedService valid(QStringLiteral("valid")), broken(QStringLiteral("broken"));
    broken.onStart.fail = true;
    ScriptedService root(QStringLiteral("root"));
    if (brokenFirst)
        root.deps = {&broken, &valid};
    else
        root.deps = {&valid, &broken};
    ServiceManager manager(&root);
    bool threw = false;
    try {
        co_await manager.start();
    } catch (const Error &error) {
        threw = primaryIsRuntimeError(error);
    }
    QLC_CO_VERIFY(threw);
    if (brokenFirst) { // S4: valid is never started
        QLC_CO_COMPARE(valid.startCalls, 0);
        QLC_CO_COMPARE(valid.stopCalls, 0);
    } else { // S3: valid started, then the rollback stopped it
        QLC_CO_COMPARE(valid.startReturns, 1);
        QLC_CO_COMPARE(valid.stopReturns, 1);
    }
    QLC_CO_VERIFY(valid.state() != State::Running);
    QLC_CO_COMPARE(root.startCalls, 0);
}

QCoro::Task<> tst_FacetScenarios::parallelRollbackBody()
{
    ScriptedService valid(QStringLiteral("valid")), broken(QStringLiteral("broken"));
    broken.onStart.yield = true; // fails after one yield, as in facet's test
    broken.onStart.fail = true;
    ScriptedService root(QStringLiteral("root"));
    root.deps = {{&broken, &valid}};
    ServiceManager manager(&root);
    bool threw = false;
    try {
        co_await manager.start();
    } catch (const Error &error) {
        threw = primaryIsRuntimeError(error);
    }
    QLC_CO_VERIFY(threw);
    QLC_CO_COMPARE(valid.startReturns, 1);
    QLC_CO_COMPARE(valid.stopReturns, 1);
    QLC_CO_COMPARE(valid.state(), State::Stopped);
}

QCoro::Task<> tst_FacetScenarios::endlessTaskBody()
{
    WithTask service;
    ServiceManager manager(&service);
    co_await manager.start();
    QLC_CO_COMPARE(service.pendingTaskCount(), 1);
    co_await manager.stop(); // exits without raising
    QLC_CO_COMPARE(service.cancellations, 1);
    QLC_CO_COMPARE(service.state(), State::Stopped);
}

QCoro::Task<> tst_FacetScenarios::failingTaskBody()
{
    WithTask service;
    service.endlessTask = false;
    ServiceManager manager(&service);
    for (int run = 1; run <= 2; ++run) { // the same instance, started again
        // Like facet's run(): the task may fail while the start is still going on (then the
        // start raises) or once it runs (then wait() raises).
        bool raised = false;
        try {
            co_await manager.start();
            co_await manager.wait();
        } catch (const Error &error) {
            raised = error.primary().phase == Phase::Run &&
                     error.primary().message.endsWith(QStringLiteral("failed: task failed"));
        }
        QLC_CO_VERIFY(raised);
        QLC_CO_COMPARE(service.state(), State::Failed);
    }
}

QCoro::Task<> tst_FacetScenarios::diamondBody()
{
    EventLog log;
    ScriptedService c(QStringLiteral("c"), &log), b1(QStringLiteral("b1"), &log),
        b2(QStringLiteral("b2"), &log), a(QStringLiteral("A"), &log);
    b1.deps = {&c};
    b2.deps = {&c};
    a.deps = {&b1, &b2};
    ServiceManager manager(&a);
    co_await manager.start();
    for (QService *service : {static_cast<QService *>(&a), static_cast<QService *>(&b1),
                              static_cast<QService *>(&b2), static_cast<QService *>(&c)})
        QLC_CO_COMPARE(service->state(), State::Running);
    co_await manager.stop();
    QLC_CO_COMPARE(c.startCalls, 1);
    QLC_CO_COMPARE(c.stopCalls, 1);
    QLC_CO_COMPARE(log.only(QStringLiteral(":start")),
                   (QStringList{QStringLiteral("c"), QStringLiteral("b1"), QStringLiteral("b2"),
                                QStringLiteral("A")}));
    QLC_CO_COMPARE(log.only(QStringLiteral(":stop")),
                   (QStringList{QStringLiteral("A"), QStringLiteral("b2"), QStringLiteral("b1"),
                                QStringLiteral("c")}));
}

// S7 in facet enters a second service sharing `c` while the first runs. QLifecycle refuses
// a service owned by another running manager, so the second start is refused, naming `c`,
// and `c` keeps running for its own manager until that one stops.
QCoro::Task<> tst_FacetScenarios::sharedAcrossManagersBody()
{
    ScriptedService c(QStringLiteral("c")), b1(QStringLiteral("b1")), b2(QStringLiteral("b2")),
        a(QStringLiteral("A")), b(QStringLiteral("B"));
    b1.deps = {&c};
    b2.deps = {&c};
    a.deps = {&b1, &b2};
    b.deps = {&c};
    ServiceManager first(&a), second(&b);
    co_await first.start();
    bool refused = false;
    try {
        co_await second.start();
    } catch (const Error &error) {
        refused = error.primary().phase == Phase::Validate &&
                  error.primary().service == QStringLiteral("c");
    }
    QLC_CO_VERIFY(refused);
    QLC_CO_COMPARE(b.startCalls, 0);
    QLC_CO_COMPARE(c.state(), State::Running);
    co_await first.stop();
    QLC_CO_COMPARE(c.state(), State::Stopped);
    QLC_CO_COMPARE(c.stopCalls, 1);
}

QCoro::Task<> tst_FacetScenarios::dependencyFailsBody()
{
    ScriptedService a(QStringLiteral("A")), b(QStringLiteral("B"));
    b.onStart.fail = true;
    a.deps = {&b};
    ServiceManager manager(&a);
    bool threw = false;
    try {
        co_await manager.start();
    } catch (const Error &) {
        threw = true;
    }
    QLC_CO_VERIFY(threw);
    QLC_CO_COMPARE(a.startCalls, 0);
    QLC_CO_COMPARE(a.stopCalls, 0);
    QLC_CO_COMPARE(b.startCalls, 1);
    QLC_CO_COMPARE(b.stopCalls, 0);
}

QCoro::Task<> tst_FacetScenarios::parallelGroupBody()
{
    ScriptedService s1(QStringLiteral("s1")), s2(QStringLiteral("s2")), s3(QStringLiteral("s3")),
        root(QStringLiteral("root"));
    root.deps = {{&s1, &s2, &s3}};
    ServiceManager manager(&root);
    co_await manager.start();
    co_await manager.stop();
    for (ScriptedService *service : {&s1, &s2, &s3}) {
        QLC_CO_COMPARE(service->startCalls, 1);
        QLC_CO_COMPARE(service->stopCalls, 1);
    }
}

QCoro::Task<> tst_FacetScenarios::bareServiceBody()
{
    QService bare;
    ServiceManager manager(&bare);
    co_await manager.start();
    QLC_CO_COMPARE(bare.state(), State::Running);
    co_await manager.stop();
    QLC_CO_COMPARE(bare.state(), State::Stopped);
}

// S13
void tst_FacetScenarios::startAndStopPassThroughEachStateOnce()
{
    ScriptedService simple(QStringLiteral("simple"));
    ServiceManager manager(&simple);
    QSignalSpy spy(&simple, &QService::stateChanged);
    runBlocking(manager.start());
    QCOMPARE(simple.startReturns, 1);
    QCOMPARE(simple.stopCalls, 0);
    runBlocking(manager.stop());
    QCOMPARE(simple.stopReturns, 1);
    QCOMPARE(states(spy),
             (QList{State::Starting, State::Running, State::Stopping, State::Stopped}));
}

// S14
void tst_FacetScenarios::failingStartGoesFromStartingToFailed()
{
    ScriptedService broken(QStringLiteral("broken"));
    broken.onStart.fail = true;
    ServiceManager manager(&broken);
    QSignalSpy spy(&broken, &QService::stateChanged);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(broken.startReturns, 0);
    QCOMPARE(broken.stopCalls, 0);
    QCOMPARE(states(spy), (QList{State::Starting, State::Failed}));
}

// S15
void tst_FacetScenarios::serviceStartedBeforeAFailureIsStoppedAgain()
{
    ScriptedService valid(QStringLiteral("valid")), broken(QStringLiteral("broken")),
        root(QStringLiteral("root"));
    broken.onStart.fail = true;
    root.deps = {&valid, &broken};
    ServiceManager manager(&root);
    QSignalSpy spy(&valid, &QService::stateChanged);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(states(spy),
             (QList{State::Starting, State::Running, State::Stopping, State::Stopped}));
}

// S16
void tst_FacetScenarios::serviceAfterAFailureSeesNoTransition()
{
    ScriptedService valid(QStringLiteral("valid")), broken(QStringLiteral("broken")),
        root(QStringLiteral("root"));
    broken.onStart.fail = true;
    root.deps = {&broken, &valid};
    ServiceManager manager(&root);
    QSignalSpy spy(&valid, &QService::stateChanged);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(spy.count(), 0);
    QCOMPARE(valid.startCalls, 0);
}

// S17
void tst_FacetScenarios::diamondKeepsStrictOrderWhenStartsSuspend()
{
    EventLog log;
    ScriptedService c(QStringLiteral("c"), &log), b1(QStringLiteral("b1"), &log),
        b2(QStringLiteral("b2"), &log), a(QStringLiteral("A"), &log);
    c.onStart.yield = b1.onStart.yield = b2.onStart.yield = true; // real suspensions this time
    b1.deps = {&c};
    b2.deps = {&c};
    a.deps = {&b1, &b2};
    ServiceManager manager(&a);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QCOMPARE(log.only(QStringLiteral(":start")), names("c b1 b2 A"));
    QCOMPARE(log.only(QStringLiteral(":stop")), names("A b2 b1 c"));
    QCOMPARE(c.startCalls, 1);
    QCOMPARE(c.stopCalls, 1);
}

// S18
void tst_FacetScenarios::secondManagerRefusalNamesTheSharedService()
{
    ScriptedService c(QStringLiteral("c")), a(QStringLiteral("A")), b(QStringLiteral("B"));
    a.deps = {&c};
    b.deps = {&c};
    ServiceManager first(&a), second(&b);
    runBlocking(first.start());
    const std::optional<Error> error = expectError(second.start());
    QVERIFY(error);
    QVERIFY2(error->message().contains(QStringLiteral("c: invalid dependencies: already run by "
                                                      "another ServiceManager")),
             qPrintable(error->message()));
    QCOMPARE(c.state(), State::Running);
    runBlocking(first.stop());
    QCOMPARE(c.state(), State::Stopped);
}

// S19
void tst_FacetScenarios::dependencyFailureSkipsDependentBlocking()
{
    ScriptedService a(QStringLiteral("A")), b(QStringLiteral("B"));
    b.onStart.fail = true;
    a.deps = {&b};
    ServiceManager manager(&a);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(a.startCalls, 0);
    QCOMPARE(a.stopCalls, 0);
    QCOMPARE(b.startCalls, 1);
    QCOMPARE(b.stopCalls, 0);
}

// S20: facet's blocking variant starts the group sequentially; QLifecycle always starts a
// group in parallel (docs/contract.md, Ordering). What the scenario asserts still holds: each once.
void tst_FacetScenarios::parallelGroupStartsAndStopsEachOnceBlocking()
{
    ScriptedService s1(QStringLiteral("s1")), s2(QStringLiteral("s2")), s3(QStringLiteral("s3")),
        root(QStringLiteral("root"));
    root.deps = {{&s1, &s2, &s3}};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    for (ScriptedService *service : {&s1, &s2, &s3}) {
        QCOMPARE(service->startCalls, 1);
        QCOMPARE(service->stopCalls, 1);
    }
}

// S21
void tst_FacetScenarios::serviceWithoutHooksEndsStoppedWithItsManager()
{
    QService bare;
    ServiceManager manager(&bare);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QCOMPARE(bare.state(), State::Stopped);
    QCOMPARE(manager.state(), State::Stopped);
}

QTEST_GUILESS_MAIN(tst_FacetScenarios)
#include "tst_facetscenarios.moc"
