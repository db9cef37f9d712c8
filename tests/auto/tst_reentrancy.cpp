// Re-entrancy: slots on the library's signals (and hooks) that spin nested event loops, as a
// modal dialog does, stop requests arriving at awkward moments, late completions of abandoned
// work, and hooks whose timeouts throw or are negative. Every test asserts through the public
// API only, with bounded waits: a regression fails, it never hangs.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include "outcome.h"
#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>
#include <QLifecycle/testkit/virtualclock.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QFuture>
#include <QtCore/QScopeGuard>
#include <QtCore/QSemaphore>
#include <QtCore/QTimer>

#include <atomic>
#include <memory>
#include <stdexcept>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

#include "reentrantservice.h"

using namespace ReentrancyTest;

class tst_Reentrancy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // 2a: a modal dialog on errorOccurred while the graph stops.
    void errorDialogDuringStopStillStopsDependencies_data();
    void errorDialogDuringStopStillStopsDependencies();
    // 2b: a modal dialog on stateChanged(Stopped).
    void modalOnStoppedDoesNotEndRunBeforeDependencyStops();
    // 2c: a modal dialog on a dependency's stateChanged(Running), with a stop requested.
    void stopRequestedDuringModalOnRunningNeverStopsUnstartedDependent();
    void modalInPropertyObserverIsAsSafeAsInSlot();
    // 3a and 3b: hooks that spin nested loops before their first co_await.
    void siblingStartsWhileStartSpinsNestedLoop();
    void stopTimeoutFiresWhileStopSpinsNestedLoop();
    // 4: a stop requested from the Starting notification.
    void stopRequestedOnStartingCancelsCooperativeStart();
    // Code run from a hook's nested loop (a button in a modal dialog) is not the hook.
    void managerCallFromHookNestedLoopIsNotRefused();
    // 5: an abandoned task of run 1 throwing during run 2.
    void lateExceptionOfAbandonedTaskDoesNotFailNextRun();
    // 6: timeouts that throw.
    void throwingGracefulShutdownTimeoutIsStopFailure();
    void throwingStartTimeoutIsStartFailure();
    // 7: negative timeouts.
    void negativeDefaultGracefulShutdownTimeoutIsRefused();
    void negativeGracefulShutdownTimeoutIsStopFailure();
    void negativeDefaultStartTimeoutIsRefused();
    void negativeStartTimeoutIsStartFailure();
};

// root -> {mid, side}, mid -> base. mid's stop() throws after a suspension; a slot on
// errorOccurred (the service's or the manager's) spins a nested loop, during which side's stop
// ends.
void tst_Reentrancy::errorDialogDuringStopStillStopsDependencies_data()
{
    QTest::addColumn<bool>("onManager");
    QTest::newRow("service's errorOccurred") << false;
    QTest::newRow("manager's errorOccurred") << true;
}

void tst_Reentrancy::errorDialogDuringStopStillStopsDependencies()
{
    QFETCH(bool, onManager);
    EventLog log;
    ScriptedService base(QStringLiteral("base"), &log), mid(QStringLiteral("mid"), &log),
        side(QStringLiteral("side"), &log), root(QStringLiteral("root"), &log);
    mid.onStop.yield = mid.onStop.fail = true;
    side.onStop.delay = 50ms;
    mid.deps = {&base};
    root.deps = {{&mid, &side}};
    ServiceManager manager(&root);
    runBlocking(manager.start(), 3s);
    int dialogs = 0;
    const auto dialog = [&dialogs] {
        ++dialogs;
        spinNestedLoop(150ms);
    };
    if (onManager)
        connect(&manager, &ServiceManager::errorOccurred, this, dialog);
    else
        connect(&mid, &QService::errorOccurred, this, dialog);
    const std::optional<Error> error = expectError(manager.stop(), 5s);
    QVERIFY(error);
    QCOMPARE(error->primary().service, QStringLiteral("mid"));
    QCOMPARE(error->primary().phase, Phase::Stop);
    QCOMPARE(dialogs, 1);
    QCOMPARE(base.stopCalls, 1);
    QCOMPARE(base.state(), State::Stopped);
    QCOMPARE(unsettled(manager), QStringList());
    QCOMPARE(manager.state(), State::Failed);
}

// Same graph; mid's stop() succeeds after a suspension and a slot on its stateChanged(Stopped)
// spins a nested loop, during which side's stop ends. The manager must not reach Stopped while
// base (mid's dependency) still runs.
void tst_Reentrancy::modalOnStoppedDoesNotEndRunBeforeDependencyStops()
{
    EventLog log;
    ScriptedService base(QStringLiteral("base"), &log), mid(QStringLiteral("mid"), &log),
        side(QStringLiteral("side"), &log), root(QStringLiteral("root"), &log);
    mid.onStop.yield = true;
    side.onStop.delay = 50ms;
    mid.deps = {&base};
    root.deps = {{&mid, &side}};
    ServiceManager manager(&root);
    runBlocking(manager.start(), 3s);
    int dialogs = 0;
    connect(&mid, &QService::stateChanged, this, [&dialogs](State state) {
        if (state != State::Stopped)
            return;
        ++dialogs;
        spinNestedLoop(150ms);
    });
    QList<State> baseWhenManagerEnded;
    connect(&manager, &ServiceManager::stateChanged, this,
            [&baseWhenManagerEnded, &base](State state) {
                if (state == State::Stopped || state == State::Failed)
                    baseWhenManagerEnded.append(base.state());
            });
    QVERIFY_THROWS_NO_EXCEPTION(runBlocking(manager.stop(), 5s));
    QCOMPARE(dialogs, 1);
    QCOMPARE(baseWhenManagerEnded.size(), 1);
    QVERIFY2(baseWhenManagerEnded.first() != State::Running,
             "the manager ended while mid's dependency was still Running");
    QCOMPARE(base.stopCalls, 1);
    QCOMPARE(unsettled(manager), QStringList());
    QCOMPARE(manager.state(), State::Stopped);
}

// root -> dep. dep starts after a suspension; a slot on its stateChanged(Running) spins a
// nested loop inside which a timer requests the stop. root never started: it must never be
// stopped.
void tst_Reentrancy::stopRequestedDuringModalOnRunningNeverStopsUnstartedDependent()
{
    EventLog log;
    ScriptedService dep(QStringLiteral("dep"), &log), root(QStringLiteral("root"), &log);
    dep.onStart.yield = true;
    dep.onStop.delay = 300ms; // still stopping when the nested loop ends
    root.deps = {&dep};
    ServiceManager manager(&root);
    int dialogs = 0;
    connect(&dep, &QService::stateChanged, this, [&dialogs, &manager](State state) {
        if (state != State::Running || dialogs > 0)
            return;
        ++dialogs;
        QTimer::singleShot(20ms, &manager, &ServiceManager::requestStop);
        spinNestedLoop(150ms);
    });
    QSignalSpy rootStates(&root, &QService::stateChanged);
    QVERIFY_THROWS_NO_EXCEPTION(runBlocking(manager.start(), 5s));
    QVERIFY(waitForState(&manager, State::Stopped, 5s));
    QCOMPARE(dialogs, 1);
    QVERIFY2(!states(rootStates).contains(State::Stopping),
             "the dependent that never started went through Stopping");
    QCOMPARE(root.startCalls, 0);
    QCOMPARE(root.stopCalls, 0);
    QCOMPARE(rootStates.count(), 0);
    QCOMPARE(dep.stopCalls, 1);
    QCOMPARE(unsettled(manager), QStringList());
}

// The same, with the modal in a property observer (as a QML binding has) instead of a slot, and
// nothing connected to either service's signals: a change that only an observer watches must
// wait as a signal's would.
void tst_Reentrancy::modalInPropertyObserverIsAsSafeAsInSlot()
{
    EventLog log;
    ScriptedService dep(QStringLiteral("dep"), &log), root(QStringLiteral("root"), &log);
    dep.onStart.yield = true;
    dep.onStop.delay = 300ms;
    root.deps = {&dep};
    ServiceManager manager(&root);
    int dialogs = 0;
    const QPropertyChangeHandler observer =
        dep.bindableState().onValueChanged([&dialogs, &manager, &dep] {
            if (dep.state() != State::Running || dialogs > 0)
                return;
            ++dialogs;
            QTimer::singleShot(20ms, &manager, &ServiceManager::requestStop);
            spinNestedLoop(150ms);
        });
    QList<State> rootStates;
    const QPropertyChangeHandler rootObserver = root.bindableState().onValueChanged(
        [&rootStates, &root] { rootStates.append(root.state()); });
    QVERIFY_THROWS_NO_EXCEPTION(runBlocking(manager.start(), 5s));
    QVERIFY(waitForState(&manager, State::Stopped, 5s));
    QCOMPARE(dialogs, 1);
    QCOMPARE(rootStates, QList<State>());
    QCOMPARE(root.startCalls, 0);
    QCOMPARE(root.stopCalls, 0);
    QCOMPARE(dep.stopCalls, 1);
    QCOMPARE(unsettled(manager), QStringList());
}

// root -> {a, b}. a's start() spins a 300 ms nested loop before its first co_await: b, its
// independent sibling, must start (and run) meanwhile.
void tst_Reentrancy::siblingStartsWhileStartSpinsNestedLoop()
{
    EventLog log;
    ReentrantService a(QStringLiteral("a"), &log);
    ScriptedService b(QStringLiteral("b"), &log), root(QStringLiteral("root"), &log);
    a.startLoop = 300ms;
    root.deps = {{&a, &b}};
    ServiceManager manager(&root);
    runBlocking(manager.start(), 5s);
    QCOMPARE(manager.state(), State::Running);
    runBlocking(manager.stop(), 5s);
    const qsizetype loopEnd = log.indexOf(QStringLiteral("a:start-loop-end"));
    const qsizetype bStarted = log.indexOf(QStringLiteral("b:started"));
    QVERIFY(loopEnd >= 0);
    QVERIFY(bStarted >= 0);
    QVERIFY2(bStarted < loopEnd,
             qPrintable(QStringLiteral("b started only after a's nested loop: ") +
                        log.events().join(QLatin1Char(' '))));
}

// root -> x -> base. x's stop() spins a 600 ms nested loop before its first co_await, with a
// 100 ms graceful timeout: it times out, and base is stopped while the loop is still open.
void tst_Reentrancy::stopTimeoutFiresWhileStopSpinsNestedLoop()
{
    EventLog log;
    ReentrantService x(QStringLiteral("x"), &log);
    ScriptedService base(QStringLiteral("base"), &log), root(QStringLiteral("root"), &log);
    x.stopLoop = 600ms;
    x.stopTimeout = 100ms;
    x.deps = {&base};
    root.deps = {&x};
    ServiceManager manager(&root);
    runBlocking(manager.start(), 3s);
    QSignalSpy xStates(&x, &QService::stateChanged);
    const std::optional<Error> error = expectError(manager.stop(), 5s);
    QVERIFY2(error, "x's stop did not time out");
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().service, QStringLiteral("x"));
    QCOMPARE(error->primary().phase, Phase::Stop);
    QVERIFY2(error->primary().message.startsWith(QStringLiteral("timed out after 100 ms")),
             qPrintable(error->primary().message));
    QCOMPARE(states(xStates), (QList{State::Stopping, State::Failed}));
    const qsizetype baseStop = log.indexOf(QStringLiteral("base:stop"));
    const qsizetype loopEnd = log.indexOf(QStringLiteral("x:stop-loop-end"));
    QVERIFY(baseStop >= 0);
    QVERIFY2(loopEnd < 0 || baseStop < loopEnd,
             qPrintable(QStringLiteral("base stopped only after x's nested loop: ") +
                        log.events().join(QLatin1Char(' '))));
    QCOMPARE(base.stopCalls, 1);
    QCOMPARE(base.state(), State::Stopped);
    QCOMPARE(unsettled(manager), QStringList());
    QCOMPARE(manager.state(), State::Failed);
}

// A stop requested from a slot on stateChanged(Starting): the start, which waits in the
// service's cancellable sleepFor(), is cancelled at once and the service never runs.
void tst_Reentrancy::stopRequestedOnStartingCancelsCooperativeStart()
{
    ScriptedService slow(QStringLiteral("slow"));
    slow.onStart.delay = 2s;
    slow.onStart.cancellable = true;
    ServiceManager manager(&slow);
    int requests = 0;
    connect(&slow, &QService::stateChanged, this, [&requests, &manager](State state) {
        if (state != State::Starting)
            return;
        ++requests;
        manager.requestStop();
    });
    QSignalSpy slowStates(&slow, &QService::stateChanged);
    QElapsedTimer clock;
    clock.start();
    QVERIFY_THROWS_NO_EXCEPTION(runBlocking(manager.start(), 5s));
    QVERIFY(waitForState(&manager, State::Stopped, 5s));
    const qint64 elapsed = clock.elapsed();
    QCOMPARE(requests, 1);
    QCOMPARE(states(slowStates), (QList{State::Starting, State::Stopped}));
    QCOMPARE(slow.startReturns, 0);
    QCOMPARE(slow.stopCalls, 0);
    QVERIFY2(elapsed < 1000, qPrintable(QStringLiteral("the start ran for %1 ms").arg(elapsed)));
}

// Run 1: a thread-pool task ignores cancellation, the stop times out and abandons it. Run 2
// starts (without the task). Then the abandoned task throws: run 2 must not notice.
void tst_Reentrancy::lateExceptionOfAbandonedTaskDoesNotFailNextRun()
{
    ReentrantService svc(QStringLiteral("svc"));
    const auto task = std::make_shared<StubbornTask>();
    svc.stubbornTask = task;
    svc.stopTimeout = 100ms;
    ServiceManager manager(&svc);
    // Released before the manager is destroyed, whatever happens.
    const auto releaseGuard = qScopeGuard([task] { task->release.release(); });

    runBlocking(manager.start(), 3s);
    const QFuture<void> abandoned = svc.stubbornFuture;
    QTRY_VERIFY_WITH_TIMEOUT(task->entered, 3000); // running: cancelling it cannot skip it
    const std::optional<Error> firstStop = expectError(manager.stop(), 5s);
    QVERIFY2(firstStop, "run 1's stop did not time out");
    QCOMPARE(firstStop->primary().phase, Phase::Stop);
    QVERIFY(!abandoned.isFinished()); // still running, abandoned

    svc.stubbornTask.reset(); // run 2 has no such task
    QVERIFY_THROWS_NO_EXCEPTION(runBlocking(manager.start(), 3s));
    QCOMPARE(svc.state(), State::Running);
    QSignalSpy serviceErrors(&svc, &QService::errorOccurred);
    QSignalSpy managerErrors(&manager, &ServiceManager::errorOccurred);
    QSignalSpy svcStates(&svc, &QService::stateChanged);

    task->release.release(); // the abandoned task of run 1 throws now
    // Its exception reaches this thread with its future's end, in the same queued call.
    QTRY_VERIFY_WITH_TIMEOUT(abandoned.isFinished(), 3000);
    QTest::qWait(20); // and let anything it queued happen
    QCOMPARE(serviceErrors.count(), 0);
    QCOMPARE(managerErrors.count(), 0);
    QCOMPARE(states(svcStates), QList<State>());
    QCOMPARE(svc.state(), State::Running);
    QCOMPARE(manager.state(), State::Running);
    QVERIFY_THROWS_NO_EXCEPTION(runBlocking(manager.stop(), 3s));
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(svc.state(), State::Stopped);
}

// root -> x -> base; x's gracefulShutdownTimeout() throws.
void tst_Reentrancy::throwingGracefulShutdownTimeoutIsStopFailure()
{
    ReentrantService x(QStringLiteral("x"));
    ScriptedService base(QStringLiteral("base")), root(QStringLiteral("root"));
    x.deps = {&base};
    root.deps = {&x};
    ServiceManager manager(&root);
    runBlocking(manager.start(), 3s);
    x.throwingStopTimeout = true;
    const std::optional<Error> error = expectError(manager.stop(), 3s);
    QVERIFY2(error, "stop() did not end with a QLifecycle::Error");
    QCOMPARE(error->primary().service, QStringLiteral("x"));
    QCOMPARE(error->primary().phase, Phase::Stop);
    QCOMPARE(x.state(), State::Failed);
    QCOMPARE(base.stopCalls, 1);
    QCOMPARE(unsettled(manager), QStringList());
    QCOMPARE(manager.state(), State::Failed);
}

// root -> x -> base; x's startTimeout() throws.
void tst_Reentrancy::throwingStartTimeoutIsStartFailure()
{
    ReentrantService x(QStringLiteral("x"));
    ScriptedService base(QStringLiteral("base")), root(QStringLiteral("root"));
    x.deps = {&base};
    root.deps = {&x};
    x.throwingStartTimeout = true;
    ServiceManager manager(&root);
    const std::optional<Error> error = expectError(manager.start(), 3s);
    QVERIFY2(error, "start() did not end with a QLifecycle::Error");
    QCOMPARE(error->primary().service, QStringLiteral("x"));
    QCOMPARE(error->primary().phase, Phase::Start);
    QCOMPARE(x.state(), State::Failed);
    QCOMPARE(root.startCalls, 0);
    QCOMPARE(base.stopCalls, 1); // rolled back
    QCOMPARE(unsettled(manager), QStringList());
    QCOMPARE(manager.state(), State::Failed);
    QVERIFY_THROWS_NO_EXCEPTION(runBlocking(manager.stop(), 3s)); // nothing left to stop
    QCOMPARE(unsettled(manager), QStringList());
}

void tst_Reentrancy::negativeDefaultGracefulShutdownTimeoutIsRefused()
{
    ScriptedService root(QStringLiteral("root"));
    ServiceManager manager(&root);
    manager.setDefaultGracefulShutdownTimeout(200ms);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("(negative|-5)"),
                                            QRegularExpression::CaseInsensitiveOption));
    manager.setDefaultGracefulShutdownTimeout(-5ms);
    QCOMPARE(manager.defaultGracefulShutdownTimeout().count(), 200);
}

// root -> x -> base; x's gracefulShutdownTimeout() is negative and its stop() would hang.
void tst_Reentrancy::negativeGracefulShutdownTimeoutIsStopFailure()
{
    VirtualClock clock;
    ScriptedService x(QStringLiteral("x")), base(QStringLiteral("base")),
        root(QStringLiteral("root"));
    x.deps = {&base};
    root.deps = {&x};
    x.stopTimeout = -5ms;
    x.onStop.hang = true;
    ServiceManager manager(&root);
    // x runs, so it is still stopped: bounded by the manager's default timeout.
    manager.setDefaultGracefulShutdownTimeout(100ms);
    runBlocking(manager.start(), 3s);
    const auto stopped = launch(manager.stop());
    clock.advanceBy(100ms);
    QVERIFY(stopped->done);
    const std::optional<Error> error = stopped->error;
    QVERIFY2(error, "stop() did not end with a QLifecycle::Error");
    QCOMPARE(error->primary().service, QStringLiteral("x"));
    QCOMPARE(error->primary().phase, Phase::Stop);
    QVERIFY2(error->primary().message.contains(QStringLiteral("-5")),
             qPrintable(error->primary().message));
    QCOMPARE(x.state(), State::Failed);
    QCOMPARE(base.stopCalls, 1);
    QCOMPARE(unsettled(manager), QStringList());
    QCOMPARE(manager.state(), State::Failed);
}

void tst_Reentrancy::negativeDefaultStartTimeoutIsRefused()
{
    ScriptedService root(QStringLiteral("root"));
    ServiceManager manager(&root);
    manager.setDefaultStartTimeout(1s);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("(negative|-5)"),
                                            QRegularExpression::CaseInsensitiveOption));
    manager.setDefaultStartTimeout(-5ms);
    QCOMPARE(manager.defaultStartTimeout().value_or(-1ms).count(), 1000);
}

// root -> x -> base; x's startTimeout() is negative and its start() would hang.
void tst_Reentrancy::negativeStartTimeoutIsStartFailure()
{
    ScriptedService x(QStringLiteral("x")), base(QStringLiteral("base")),
        root(QStringLiteral("root"));
    x.deps = {&base};
    root.deps = {&x};
    x.startLimit = -5ms;
    x.onStart.hang = true;
    ServiceManager manager(&root);
    const std::optional<Error> error = expectError(manager.start(), 3s);
    QVERIFY2(error, "start() did not end with a QLifecycle::Error");
    QCOMPARE(error->primary().service, QStringLiteral("x"));
    QCOMPARE(error->primary().phase, Phase::Start);
    QVERIFY2(error->primary().message.contains(QStringLiteral("-5")),
             qPrintable(error->primary().message));
    QCOMPARE(x.state(), State::Failed);
    QCOMPARE(root.startCalls, 0);
    QCOMPARE(base.stopCalls, 1); // rolled back
    QCOMPARE(unsettled(manager), QStringList());
    QCOMPARE(manager.state(), State::Failed);
}

// A modal dialog in root's start() whose button waits for the graph: not the hook itself
// awaiting its manager (which is refused), so the call is accepted and waits normally.
void tst_Reentrancy::managerCallFromHookNestedLoopIsNotRefused()
{
    ReentrantService root(QStringLiteral("root"));
    root.startLoop = 150ms;
    ServiceManager manager(&root);
    std::optional<QCoro::Task<>> waiting;
    connect(&root, &QService::stateChanged, this, [&](State state) {
        if (state == State::Starting)
            QTimer::singleShot(20ms, &manager, [&] { waiting.emplace(manager.wait()); });
    });
    runBlocking(manager.start(), 3s);
    QVERIFY(waiting.has_value()); // called from inside the nested loop
    QVERIFY(!waiting->isReady()); // waiting for the graph, not refused
    manager.requestStop();
    QVERIFY_THROWS_NO_EXCEPTION(runBlocking(std::move(*waiting), 3s));
    QCOMPARE(manager.state(), State::Stopped);
}

QTEST_GUILESS_MAIN(tst_Reentrancy)
#include "tst_reentrancy.moc"
