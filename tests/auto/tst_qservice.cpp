// QService (docs/contract.md, States and Observing): defaults, names, read-only bindable
// properties, exactly one stateChanged per transition, durations, the QDebug operator, the Error
// type.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>

#include <QtCore/QProperty>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

class Database : public QService
{
    Q_OBJECT
};

class tst_QService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults();
    void nameIsObjectNameElseClassName();
    void stateIsReadOnlyFromOutside();
    void bindingsFollowState();
    void exactlyOneStateChangedPerTransition();
    void crashedServiceGoesThroughStoppingToFailed();
    void durationsAreRecorded();
    void debugOperatorShowsNameAndState();
    void errorAggregatesAndDescribes();
};

void tst_QService::defaults()
{
    QService service;
    QCOMPARE(service.state(), State::Stopped);
    QVERIFY(service.errorString().isEmpty());
    QVERIFY(!service.failure());
    QCOMPARE(service.startDurationMs(), -1);
    QCOMPARE(service.stopDurationMs(), -1);
    QCOMPARE(service.manager(), nullptr);
}

void tst_QService::nameIsObjectNameElseClassName()
{
    Database db;
    QCOMPARE(db.name(), QStringLiteral("Database"));
    QSignalSpy spy(&db, &QService::nameChanged);
    db.setObjectName(QStringLiteral("primary-db"));
    QCOMPARE(db.name(), QStringLiteral("primary-db"));
    QCOMPARE(spy.count(), 1);
    QCOMPARE(db.property("name").toString(), QStringLiteral("primary-db"));
}

void tst_QService::stateIsReadOnlyFromOutside()
{
    QService service;
    QBindable<State> bindable = service.bindableState();
    QVERIFY(bindable.isReadOnly());
    bindable.setValue(State::Running); // ignored
    QCOMPARE(service.state(), State::Stopped);
    QVERIFY(!service.setProperty("state", QVariant::fromValue(State::Running)));
    QCOMPARE(service.state(), State::Stopped);
    QVERIFY(service.bindableErrorString().isReadOnly());
}

void tst_QService::bindingsFollowState()
{
    ScriptedService a(QStringLiteral("a")), root(QStringLiteral("root"));
    root.deps = {&a};
    QProperty<bool> allRunning;
    allRunning.setBinding([&] {
        return a.bindableState().value() == State::Running &&
               root.bindableState().value() == State::Running;
    });
    ServiceManager manager(&root);
    QProperty<bool> managerRunning;
    managerRunning.setBinding([&] { return manager.bindableState().value() == State::Running; });
    QVERIFY(!allRunning);
    runBlocking(manager.start());
    QVERIFY(allRunning);
    QVERIFY(managerRunning);
    runBlocking(manager.stop());
    QVERIFY(!allRunning);
    QVERIFY(!managerRunning);
}

void tst_QService::exactlyOneStateChangedPerTransition()
{
    ScriptedService a(QStringLiteral("a"));
    a.onStart.yield = a.onStop.yield = true;
    ServiceManager manager(&a);
    QSignalSpy spy(&a, &QService::stateChanged);
    QList<State> seenThroughProperty;
    connect(&a, &QService::stateChanged, this, [&](State state) {
        QCOMPARE(a.state(), state); // the property already holds the new value
        seenThroughProperty.append(state);
    });
    for (int run = 0; run < 2; ++run) {
        runBlocking(manager.start());
        runBlocking(manager.stop());
    }
    const QList<State> cycle{State::Starting, State::Running, State::Stopping, State::Stopped};
    QCOMPARE(states(spy), cycle + cycle);
    QCOMPARE(seenThroughProperty, cycle + cycle);
}

// A failure while Running (the stop-failure path stands in for a crash until tasks exist):
// the service started, so it passes through Stopping, its stop() runs, and it ends Failed.
void tst_QService::crashedServiceGoesThroughStoppingToFailed()
{
    ScriptedService a(QStringLiteral("a"));
    a.onStop.fail = true;
    ServiceManager manager(&a);
    QSignalSpy spy(&a, &QService::stateChanged);
    runBlocking(manager.start());
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.stop()));
    QCOMPARE(states(spy), (QList{State::Starting, State::Running, State::Stopping, State::Failed}));
    QCOMPARE(a.stopCalls, 1);
}

void tst_QService::durationsAreRecorded()
{
    ScriptedService a(QStringLiteral("a"));
    a.onStart.delay = 20ms;
    ServiceManager manager(&a);
    QSignalSpy startSpy(&a, &QService::startDurationMsChanged);
    runBlocking(manager.start());
    QVERIFY(a.startDurationMs() >= 0);
    QCOMPARE(startSpy.count(), 1);
    QCOMPARE(a.stopDurationMs(), -1);
    runBlocking(manager.stop());
    QVERIFY(a.stopDurationMs() >= 0);
}

void tst_QService::debugOperatorShowsNameAndState()
{
    ScriptedService a(QStringLiteral("db"));
    QString text;
    QDebug(&text).nospace() << &a;
    QCOMPARE(text, QStringLiteral("QService(db, Stopped)"));
    text.clear();
    QDebug(&text).nospace() << static_cast<QService *>(nullptr);
    QCOMPARE(text, QStringLiteral("QService(nullptr)"));
}

void tst_QService::errorAggregatesAndDescribes()
{
    const Error single(QStringLiteral("db"), Phase::Stop, QStringLiteral("timed out"));
    QCOMPARE(single.failures().size(), 1);
    QCOMPARE(single.message(), QStringLiteral("db: stop failed: timed out"));
    const Error several({Failure{QStringLiteral("a"), Phase::Start, QStringLiteral("x"), {}},
                         Failure{QStringLiteral("b"), Phase::Run, QStringLiteral("y"), {}}});
    QCOMPARE(several.message(), QStringLiteral("a: start failed: x\nb: crashed: y"));
    QCOMPARE(several.primary().service, QStringLiteral("a"));
    QCOMPARE(describeException(std::make_exception_ptr(std::runtime_error("boom"))),
             QStringLiteral("boom"));
    QCOMPARE(phaseName(Phase::Validate), QStringLiteral("validate"));
    const Error empty(QList<Failure>{});
    QVERIFY(!empty.message().isEmpty());
}

QTEST_GUILESS_MAIN(tst_QService)
#include "tst_qservice.moc"
