// Failures (docs/contract.md, Failures): rollback of a failed start, exhaustive stop, the aggregate
// error, restart after Failed; and the validation errors (docs/contract.md, Ordering).

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>

using namespace QLifecycle;
using namespace QLifecycle::Test;

class tst_Failures : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral("left running"))); }

    void startFailureStopsWhatAlreadyStarted();
    void failedServiceOwnStopIsNotCalled();
    void neverStartedServicesAreUntouched();
    void siblingsStillStartingFinishThenStop();
    void aggregateErrorListsEveryFailurePrimaryFirst();
    void rollbackStopFailureIsAttachedToStartError();
    void throwingStopDoesNotPreventOtherStops();
    void everyStopFailureIsReported();
    void failedGraphStartsAgainWithFreshState();
    void restartFromASlotInsideRequestStopHasItsOwnStopReason();
    void errorsNameServiceAndPhase();
    void nonStdExceptionIsDescribed();
    void errorOccurredEmittedAtTheMomentOfFailure();
    void validationRefusesBeforeAnythingStarts_data();
    void validationRefusesBeforeAnythingStarts();
    void throwingDependenciesIsRefused();
};

void tst_Failures::startFailureStopsWhatAlreadyStarted()
{
    EventLog log;
    ScriptedService a(QStringLiteral("a"), &log), b(QStringLiteral("b"), &log),
        broken(QStringLiteral("broken"), &log), root(QStringLiteral("root"), &log);
    broken.onStart.fail = true;
    b.deps = {&a};
    root.deps = {&b, &broken};
    ServiceManager manager(&root);
    QSignalSpy aStates(&a, &QService::stateChanged), brokenStates(&broken, &QService::stateChanged);
    QSignalSpy managerStates(&manager, &ServiceManager::stateChanged);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(states(aStates),
             (QList{State::Starting, State::Running, State::Stopping, State::Stopped}));
    QCOMPARE(states(brokenStates), (QList{State::Starting, State::Failed}));
    QCOMPARE(states(managerStates), (QList{State::Starting, State::Stopping, State::Failed}));
    // Reverse order of what started: b, then a.
    QCOMPARE(log.only(QStringLiteral(":stop")), names("b a"));
    QCOMPARE(manager.state(), State::Failed);
}

void tst_Failures::failedServiceOwnStopIsNotCalled()
{
    ScriptedService broken(QStringLiteral("broken")), root(QStringLiteral("root"));
    broken.onStart.yield = broken.onStart.fail = true;
    root.deps = {&broken};
    ServiceManager manager(&root);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(broken.startCalls, 1);
    QCOMPARE(broken.stopCalls, 0);
    QCOMPARE(broken.state(), State::Failed);
    QCOMPARE(root.startCalls, 0);
    QCOMPARE(root.state(), State::Stopped);
}

void tst_Failures::neverStartedServicesAreUntouched()
{
    ScriptedService broken(QStringLiteral("broken")), later(QStringLiteral("later")),
        root(QStringLiteral("root"));
    broken.onStart.fail = true;
    root.deps = {&broken, &later};
    ServiceManager manager(&root);
    QSignalSpy laterStates(&later, &QService::stateChanged);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(laterStates.count(), 0);
    QCOMPARE(later.startCalls + later.stopCalls, 0);
}

void tst_Failures::siblingsStillStartingFinishThenStop()
{
    EventLog log;
    ScriptedService slow(QStringLiteral("slow"), &log), broken(QStringLiteral("broken"), &log),
        root(QStringLiteral("root"), &log);
    slow.onStart.delay = std::chrono::milliseconds(30);
    broken.onStart.yield = broken.onStart.fail = true;
    root.deps = {{&slow, &broken}};
    ServiceManager manager(&root);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(log.events(), names("slow:start broken:start slow:started slow:stop slow:stopped"));
    QCOMPARE(slow.state(), State::Stopped);
}

void tst_Failures::aggregateErrorListsEveryFailurePrimaryFirst()
{
    ScriptedService first(QStringLiteral("first")), second(QStringLiteral("second")),
        root(QStringLiteral("root"));
    first.onStart.yield = first.onStart.fail = true;
    first.onStart.failMessage = QStringLiteral("first boom");
    second.onStart.delay = std::chrono::milliseconds(20);
    second.onStart.fail = true;
    second.onStart.failMessage = QStringLiteral("second boom");
    root.deps = {{&first, &second}};
    ServiceManager manager(&root);
    const std::optional<Error> error = expectError(manager.start());
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 2);
    QCOMPARE(error->primary().toString(), QStringLiteral("first: start failed: first boom"));
    QCOMPARE(error->failures().at(1).toString(),
             QStringLiteral("second: start failed: second boom"));
    QCOMPARE(QString::fromUtf8(error->what()), error->message());
    QCOMPARE(manager.errorString(), error->message());
    QCOMPARE(manager.error()->failures().size(), 2);
}

void tst_Failures::rollbackStopFailureIsAttachedToStartError()
{
    ScriptedService a(QStringLiteral("a")), broken(QStringLiteral("broken")),
        root(QStringLiteral("root"));
    a.onStop.fail = true;
    a.onStop.failMessage = QStringLiteral("cannot close");
    broken.onStart.fail = true;
    root.deps = {&a, &broken};
    ServiceManager manager(&root);
    const std::optional<Error> error = expectError(manager.start());
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 2);
    QCOMPARE(error->primary().service, QStringLiteral("broken"));
    QCOMPARE(error->primary().phase, Phase::Start);
    QCOMPARE(error->failures().at(1).toString(), QStringLiteral("a: stop failed: cannot close"));
    QCOMPARE(a.state(), State::Failed);
}

void tst_Failures::throwingStopDoesNotPreventOtherStops()
{
    EventLog log;
    ScriptedService base(QStringLiteral("base"), &log), mid(QStringLiteral("mid"), &log),
        side(QStringLiteral("side"), &log), root(QStringLiteral("root"), &log);
    mid.onStop.fail = true;
    mid.deps = {&base};
    root.deps = {{&mid, &side}};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QSignalSpy midStates(&mid, &QService::stateChanged);
    const std::optional<Error> error = expectError(manager.stop());
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().phase, Phase::Stop);
    QCOMPARE(states(midStates), (QList{State::Stopping, State::Failed}));
    QCOMPARE(base.stopReturns, 1); // mid's dependency is still stopped
    QCOMPARE(side.stopReturns, 1);
    QCOMPARE(root.stopReturns, 1);
    QVERIFY(log.indexOf(QStringLiteral("base:stop")) > log.indexOf(QStringLiteral("mid:stop")));
    for (QService *service : manager.services())
        QVERIFY(service->state() != State::Running);
    QCOMPARE(manager.state(), State::Failed);
}

void tst_Failures::everyStopFailureIsReported()
{
    ScriptedService a(QStringLiteral("a")), b(QStringLiteral("b")), root(QStringLiteral("root"));
    a.onStop.fail = b.onStop.fail = root.onStop.fail = true;
    root.deps = {&a, &b};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    const std::optional<Error> error = expectError(manager.stop());
    QVERIFY(error);
    QStringList failed;
    for (const Failure &failure : error->failures())
        failed.append(failure.service);
    QCOMPARE(failed, names("root b a")); // in the order they happened, none dropped
}

void tst_Failures::failedGraphStartsAgainWithFreshState()
{
    ScriptedService flaky(QStringLiteral("flaky")), root(QStringLiteral("root"));
    flaky.onStart.fail = true;
    root.deps = {&flaky};
    ServiceManager manager(&root);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(flaky.state(), State::Failed);
    QVERIFY(!flaky.errorString().isEmpty());
    QVERIFY(flaky.failure());

    flaky.onStart.fail = false;
    QSignalSpy errors(&flaky, &QService::errorStringChanged);
    runBlocking(manager.start());
    QCOMPARE(flaky.state(), State::Running);
    QVERIFY(flaky.errorString().isEmpty()); // no stale error from the previous run
    QVERIFY(!flaky.failure());
    QCOMPARE(errors.count(), 1);
    QVERIFY(manager.errorString().isEmpty());
    QVERIFY(!manager.error());
    runBlocking(manager.stop()); // and no stale error resurfaces here
    QCOMPARE(manager.state(), State::Stopped);
}

// docs/lifecycle.md, "Stop reasons": a stop request belongs to the run it stops. Here that run
// ends inside requestStop(), and a slot on its Stopped starts the graph again at once; the new
// run fails: its reason is Failure, not the Requested of the call still on the stack.
void tst_Failures::restartFromASlotInsideRequestStopHasItsOwnStopReason()
{
    using Reason = ServiceManager::StopReason;
    ScriptedService flaky(QStringLiteral("flaky")), root(QStringLiteral("root"));
    root.deps = {&flaky};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    bool insideRequestStop = false, restarted = false, restartedInside = false;
    connect(&manager, &ServiceManager::stateChanged, this, [&](State state) {
        if (state != State::Stopped || std::exchange(restarted, true))
            return;
        restartedInside = insideRequestStop;
        flaky.onStart.fail = true; // the next run fails
        manager.requestStart();
    });
    QSignalSpy reasons(&manager, &ServiceManager::stopReasonChanged);
    insideRequestStop = true;
    manager.requestStop();
    insideRequestStop = false;
    QVERIFY(restartedInside); // the case under test: the restart began inside the call
    QVERIFY(waitForState(&manager, State::Failed));
    QCOMPARE(manager.stopReason(), Reason::Failure);
    QList<Reason> seen;
    for (const QList<QVariant> &arguments : reasons)
        seen.append(arguments.at(0).value<Reason>());
    QCOMPARE(seen, (QList{Reason::Requested, Reason::None, Reason::Failure}));
    QCOMPARE(flaky.state(), State::Failed);
}

void tst_Failures::errorsNameServiceAndPhase()
{
    ScriptedService db(QStringLiteral("db"));
    db.onStart.fail = true;
    db.onStart.failMessage = QStringLiteral("connection refused");
    ServiceManager manager(&db);
    QTest::ignoreMessage(QtWarningMsg, "db: start failed: connection refused");
    const std::optional<Error> error = expectError(manager.start());
    QVERIFY(error);
    QCOMPARE(error->primary().service, QStringLiteral("db"));
    QCOMPARE(error->primary().phase, Phase::Start);
    QCOMPARE(error->primary().message, QStringLiteral("connection refused"));
    QCOMPARE(db.errorString(), QStringLiteral("start failed: connection refused"));
}

void tst_Failures::nonStdExceptionIsDescribed()
{
    ScriptedService odd(QStringLiteral("odd"));
    odd.onStart.throwNonStd = true;
    ServiceManager manager(&odd);
    const std::optional<Error> error = expectError(manager.start());
    QVERIFY(error);
    QVERIFY(error->primary().message.contains(QStringLiteral("not a std::exception")));
    QVERIFY(error->primary().cause);
}

void tst_Failures::errorOccurredEmittedAtTheMomentOfFailure()
{
    ScriptedService broken(QStringLiteral("broken")), root(QStringLiteral("root"));
    broken.onStart.fail = true;
    root.deps = {&broken};
    ServiceManager manager(&root);
    QList<State> stateWhenEmitted;
    // The errors a slot can read already agree with the signal (docs/lifecycle.md, "A slot may
    // do anything"): both error strings name the failure, on either object's signal.
    QStringList errorStringsWhenEmitted;
    const auto readErrors = [&] {
        errorStringsWhenEmitted << broken.errorString() << manager.errorString();
    };
    connect(&broken, &QService::errorOccurred, this, [&](Phase phase, const QString &message) {
        QCOMPARE(phase, Phase::Start);
        QCOMPARE(message, QStringLiteral("scripted failure"));
        stateWhenEmitted.append(broken.state());
        readErrors();
    });
    connect(&manager, &ServiceManager::errorOccurred, this, readErrors);
    QSignalSpy managerErrors(&manager, &ServiceManager::errorOccurred);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(stateWhenEmitted, QList{State::Starting}); // before the state settled on Failed
    QCOMPARE(errorStringsWhenEmitted.size(), 4);
    for (const QString &text : std::as_const(errorStringsWhenEmitted))
        QVERIFY2(text.contains(QStringLiteral("scripted failure")), qPrintable(text));
    QCOMPARE(managerErrors.count(), 1);
    QCOMPARE(managerErrors.at(0).at(0).value<QService *>(), &broken);
}

void tst_Failures::validationRefusesBeforeAnythingStarts_data()
{
    QTest::addColumn<QString>("shape");
    QTest::addColumn<QString>("expected");
    QTest::newRow("cycle") << "cycle"
                           << "a: invalid dependencies: cycle: a -> b -> c -> a";
    QTest::newRow("null") << "null"
                          << "b: invalid dependencies: null dependency in stage 2";
    QTest::newRow("self") << "self"
                          << "c: invalid dependencies: depends on itself";
    QTest::newRow("twice") << "twice"
                           << "b: invalid dependencies: lists c more than once";
    QTest::newRow("contradictory order") << "order"
                                         << "cycle: c -> b -> c";
}

void tst_Failures::validationRefusesBeforeAnythingStarts()
{
    QFETCH(QString, shape);
    QFETCH(QString, expected);
    ScriptedService a(QStringLiteral("a")), b(QStringLiteral("b")), c(QStringLiteral("c")),
        root(QStringLiteral("root"));
    root.deps = {&a};
    a.deps = {&b};
    if (shape == QStringLiteral("cycle")) {
        b.deps = {&c};
        c.deps = {&a};
    } else if (shape == QStringLiteral("null")) {
        b.deps = {&c, static_cast<QService *>(nullptr)};
    } else if (shape == QStringLiteral("self")) {
        b.deps = {&c};
        c.deps = {{&c}};
    } else if (shape == QStringLiteral("twice")) {
        b.deps = {&c, {&c}};
    } else { // a says b before c, d says c before b: no order satisfies both
        ScriptedService *d = new ScriptedService(QStringLiteral("d"), nullptr, &root);
        root.deps = {{&a, d}};
        a.deps = {&b, &c};
        d->deps = {&c, &b};
    }
    ServiceManager manager(&root);
    QSignalSpy managerStates(&manager, &ServiceManager::stateChanged);
    const std::optional<Error> error = expectError(manager.start());
    QVERIFY(error);
    QVERIFY2(error->message().contains(expected), qPrintable(error->message()));
    QCOMPARE(error->primary().phase, Phase::Validate);
    for (ScriptedService *service : {&a, &b, &c, &root}) {
        QCOMPARE(service->startCalls, 0);
        QCOMPARE(service->state(), State::Stopped);
    }
    QCOMPARE(managerStates.count(), 0);
    QCOMPARE(manager.errorString(), error->message());
}

class ThrowingDependencies : public QService
{
protected:
    Dependencies dependencies() const override { throw std::runtime_error("no config"); }
};

void tst_Failures::throwingDependenciesIsRefused()
{
    ThrowingDependencies odd;
    odd.setObjectName(QStringLiteral("odd"));
    ServiceManager manager(&odd);
    const std::optional<Error> error = expectError(manager.start());
    QVERIFY(error);
    QCOMPARE(error->message(),
             QStringLiteral("odd: invalid dependencies: dependencies() threw: no config"));
    ServiceManager empty(nullptr);
    QVERIFY(expectError(empty.start()));
}

QTEST_GUILESS_MAIN(tst_Failures)
#include "tst_failures.moc"
