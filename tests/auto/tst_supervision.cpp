// Supervision (docs/supervision.md): restart policies, the restart set, backoff and intensity.

#include <QLifecycle/QLifecycle>
#include <QLifecycle/TestKit>

#include <QtCore/QObject>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include "restartkit.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;
using namespace Qt::StringLiterals;
using namespace restartkit;
using Mode = RestartPolicy::Mode;

namespace {
// A service whose start() adds a daemon task that returns (cleanly, or by throwing) at once.
class DaemonService : public QService
{
    Q_OBJECT
public:
    explicit DaemonService(const QString &name) { setObjectName(name); }
    using QService::setRestartPolicy;
    bool throwing = false;
    bool exitOnce = true; // only the first incarnation's daemon returns
    int starts = 0;

protected:
    QCoro::Task<> start() override
    {
        ++starts;
        if (starts == 1 || !exitOnce)
            addTask(daemon(throwing), {.name = u"loop"_s, .daemon = true});
        co_return;
    }

private:
    QCoro::Task<> daemon(bool fail)
    {
        co_await sleepFor(5ms);
        if (fail)
            throw std::runtime_error("lost the server");
    }
};
} // namespace

class tst_Supervision : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void withoutAPolicyAFailureStopsTheGraph();
    void aCrashRestartsTheServiceAndWhatNeedsItOnly();
    void everyMemberStopsBeforeAnyStartsAgain();
    void aFailedStartIsRetriedWithAGrowingDelay();
    void pastTheIntensityTheFailureIsFinalWithItsHistory();
    void theManagersIntensityBoundsEveryRestart();
    void aDaemonThatReturnsIsRestartedOnlyByAlways_data();
    void aDaemonThatReturnsIsRestartedOnlyByAlways();
    void aStopRequestedDuringTheDelayCancelsTheRestart();
    void anAbandonedStopIsNeverRestartedOver();
    void aStopFailurePastTheIntensityStopsTheGraph();
    void failuresInTheSameTurnMergeIntoOneRestart();
    void aBadPolicyIsRefused();
    void theModelShowsRestarts();
    void aDeferredServiceIsRestartedLikeAnother();
};

void tst_Supervision::withoutAPolicyAFailureStopsTheGraph()
{
    ScriptedService db(u"db"_s), api(u"api"_s);
    api.deps = {&db};
    db.crashAfter = 10ms;
    ServiceManager manager(&api);
    QSignalSpy scheduled(&manager, &ServiceManager::restartScheduled);
    runBlocking(manager.start());
    QTRY_COMPARE(manager.state(), State::Failed);
    QCOMPARE(scheduled.count(), 0);
    QCOMPARE(db.startCalls, 1);
    QVERIFY(manager.errorString().contains(u"scripted crash"_s));
}

// db <- cache <- api <- root, and a logger root also needs: a crash of db restarts db, cache,
// api and root (what needs db); the logger and the manager see nothing.
void tst_Supervision::aCrashRestartsTheServiceAndWhatNeedsItOnly()
{
    EventLog log;
    ScriptedService db(u"db"_s, &log), cache(u"cache"_s, &log), api(u"api"_s, &log),
        logger(u"logger"_s, &log), root(u"root"_s, &log);
    cache.deps = {&db};
    api.deps = {&cache};
    root.deps = {{&api, &logger}};
    db.setRestartPolicy(quick());
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QSignalSpy loggerStates(&logger, &QService::stateChanged);
    QSignalSpy managerStates(&manager, &ServiceManager::stateChanged);
    QSignalSpy scheduled(&manager, &ServiceManager::restartScheduled);
    QSignalSpy dbScheduled(&db, &QService::restartScheduled);
    log.clear();
    // The next incarnation of db does not crash.
    connect(&db, &QService::restartScheduled, this, [&] { db.crashAfter.reset(); });
    db.crashAfter = 5ms;
    // Crash now: a task of the running db throws.
    db.addTask(crashNow("lost the disk"));
    QTRY_COMPARE(db.startCalls, 2);
    QTRY_COMPARE(root.state(), State::Running);
    QCOMPARE(manager.state(), State::Running);
    QCOMPARE(managerStates.count(), 0);
    QCOMPARE(loggerStates.count(), 0); // outside the restart: not a signal
    QCOMPARE(logger.stopCalls, 0);
    QCOMPARE(log.only(u":stop"_s), names("root api cache db"));
    QCOMPARE(log.only(u":start"_s), names("db cache api root"));
    QCOMPARE(scheduled.count(), 1);
    QCOMPARE(scheduled.first().at(0).value<QService *>(), &db);
    QCOMPARE(scheduled.first().at(1).toLongLong(), 10);
    QCOMPARE(scheduled.first().at(2).toStringList(), names("db cache api root"));
    QCOMPARE(dbScheduled.count(), 1);
    QVERIFY(dbScheduled.first().at(1).toString().contains(u"lost the disk"_s));
    QCOMPARE(db.restartCount(), 1);
    QCOMPARE(api.restartCount(), 1);
    QCOMPARE(logger.restartCount(), 0);
    QCOMPARE(manager.restartCount(), 1);
    QCOMPARE(db.restartDelayMs(), -1);
    QVERIFY(db.errorString().isEmpty()); // running again
    QVERIFY(manager.errorString().isEmpty());
    QCOMPARE(root.stopCalls, 1);
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
}

// a <- b, a <- c, {b, c} <- d: every member has stopped before any starts again.
void tst_Supervision::everyMemberStopsBeforeAnyStartsAgain()
{
    EventLog log;
    ScriptedService a(u"a"_s, &log), b(u"b"_s, &log), c(u"c"_s, &log), d(u"d"_s, &log);
    b.deps = {&a};
    c.deps = {&a};
    d.deps = {{&b, &c}};
    c.onStop.delay = 30ms; // one member stops slowly
    a.setRestartPolicy(quick());
    ServiceManager manager(&d);
    runBlocking(manager.start());
    log.clear();
    a.addTask(crashNow("boom"));
    QTRY_COMPARE(d.state(), State::Running);
    QTRY_COMPARE(d.startCalls, 2);
    const QStringList events = log.events();
    qsizetype lastStopped = -1;
    for (const char *name : {"a", "b", "c", "d"})
        lastStopped = std::max(lastStopped, events.indexOf(QLatin1String(name) + u":stopped"_s));
    qsizetype firstStart = events.size();
    for (const char *name : {"a", "b", "c", "d"})
        firstStart = std::min(firstStart, events.indexOf(QLatin1String(name) + u":start"_s));
    QVERIFY2(lastStopped < firstStart, qPrintable(events.join(u' ')));
    QCOMPARE(log.only(u":stop"_s).first(), u"d"_s);
    QCOMPARE(log.only(u":stop"_s).last(), u"a"_s);
    QCOMPARE(log.only(u":start"_s).first(), u"a"_s);
    QCOMPARE(log.only(u":start"_s).last(), u"d"_s);
    for (ScriptedService *service : {&a, &b, &c, &d})
        QCOMPARE(service->stopCalls, 1); // every started incarnation stopped exactly once
    runBlocking(manager.stop());
}

void tst_Supervision::aFailedStartIsRetriedWithAGrowingDelay()
{
    ScriptedService db(u"db"_s), api(u"api"_s);
    api.deps = {&db};
    db.onStart.fail = true;
    db.setRestartPolicy(quick());
    ServiceManager manager(&api);
    QSignalSpy scheduled(&db, &QService::restartScheduled);
    connect(&db, &QService::restartScheduled, this, [&] {
        if (db.startCalls == 3)
            db.onStart.fail = false; // the third retry succeeds
    });
    QSignalSpy states(&db, &QService::stateChanged);
    runBlocking(manager.start(), 5s);
    QCOMPARE(manager.state(), State::Running);
    QCOMPARE(db.startCalls, 4);
    QCOMPARE(api.startCalls, 1); // it waited for db
    QCOMPARE(scheduled.count(), 3);
    QCOMPARE(scheduled.at(0).at(0).toLongLong(), 10);
    QCOMPARE(scheduled.at(1).at(0).toLongLong(), 20);
    QCOMPARE(scheduled.at(2).at(0).toLongLong(), 40);
    QCOMPARE(states.first().at(0).value<State>(), State::Starting);
    QCOMPARE(states.at(1).at(0).value<State>(), State::Failed); // shown between the attempts
    QCOMPARE(states.last().at(0).value<State>(), State::Running);
    QCOMPARE(db.restartCount(), 3);
    runBlocking(manager.stop());
}

void tst_Supervision::pastTheIntensityTheFailureIsFinalWithItsHistory()
{
    ScriptedService db(u"db"_s), api(u"api"_s);
    api.deps = {&db};
    db.onStart.fail = true;
    db.onStart.failMessage = u"connection refused"_s;
    db.setRestartPolicy(quick(Mode::OnFailure, 2));
    ServiceManager manager(&api);
    QSignalSpy exhausted(&manager, &ServiceManager::restartsExhausted);
    const std::optional<Error> error = expectError(manager.start(), 5s);
    QVERIFY(error);
    QCOMPARE(db.startCalls, 3); // the first start and two restarts
    QCOMPARE(api.startCalls, 0);
    QCOMPARE(manager.state(), State::Failed);
    QCOMPARE(exhausted.count(), 1);
    QCOMPARE(exhausted.first().at(0).value<QService *>(), &db);
    const QString message = error->message();
    QVERIFY2(message.contains(u"not restarted: more than 2 restart(s) within 60000 ms"_s),
             qPrintable(message));
    QVERIFY2(message.contains(u"restarted before after"_s), qPrintable(message));
    QCOMPARE(message.count(u"connection refused"_s), 3); // the final failure and the history
    QCOMPARE(error->failures().size(), 1);
}

void tst_Supervision::theManagersIntensityBoundsEveryRestart()
{
    ScriptedService db(u"db"_s), api(u"api"_s);
    api.deps = {&db};
    db.onStart.fail = true;
    db.setRestartPolicy(quick(Mode::OnFailure, 100));
    ServiceManager manager(&api);
    manager.setRestartIntensity(1, 60s);
    QCOMPARE(manager.maxRestarts(), 1);
    const std::optional<Error> error = expectError(manager.start(), 5s);
    QVERIFY(error);
    QCOMPARE(db.startCalls, 2);
    QVERIFY2(error->message().contains(u"more than 1 restart(s) of the graph"_s),
             qPrintable(error->message()));
}

void tst_Supervision::aDaemonThatReturnsIsRestartedOnlyByAlways_data()
{
    QTest::addColumn<Mode>("mode");
    QTest::addColumn<bool>("throwing");
    QTest::addColumn<bool>("restarted");
    QTest::newRow("on failure, returns") << Mode::OnFailure << false << false;
    QTest::newRow("always, returns") << Mode::Always << false << true;
    QTest::newRow("on failure, throws") << Mode::OnFailure << true << true;
    QTest::newRow("never, throws") << Mode::Never << true << false;
}

void tst_Supervision::aDaemonThatReturnsIsRestartedOnlyByAlways()
{
    QFETCH(Mode, mode);
    QFETCH(bool, throwing);
    QFETCH(bool, restarted);
    DaemonService service(u"sync"_s);
    service.throwing = throwing;
    service.setRestartPolicy(quick(mode));
    ServiceManager manager(&service);
    runBlocking(manager.start());
    if (restarted) {
        QTRY_COMPARE(service.starts, 2);
        QTRY_COMPARE(service.state(), State::Running);
        QCOMPARE(manager.state(), State::Running);
        runBlocking(manager.stop());
    } else {
        QTRY_COMPARE(manager.state(), State::Failed);
        QCOMPARE(service.starts, 1);
    }
}

void tst_Supervision::aStopRequestedDuringTheDelayCancelsTheRestart()
{
    ScriptedService db(u"db"_s), api(u"api"_s);
    api.deps = {&db};
    RestartPolicy policy = quick();
    policy.initialDelay = policy.maxDelay = 1h; // the delay would never pass in this test
    db.setRestartPolicy(policy);
    ServiceManager manager(&api);
    runBlocking(manager.start());
    QSignalSpy delay(&db, &QService::restartDelayMsChanged);
    db.addTask(crashNow("boom"));
    QTRY_COMPARE(db.state(), State::Failed); // stopped, waiting for the delay
    QCOMPARE(db.restartDelayMs(), 3600000);
    QCOMPARE(api.state(), State::Stopped);
    QCOMPARE(manager.state(), State::Running);
    runBlocking(manager.stop(), 1s); // at once: the delay is cancelled
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(db.startCalls, 1);
    QCOMPARE(db.stopCalls, 1);
    QCOMPARE(api.stopCalls, 1);
    QCOMPARE(db.restartDelayMs(), -1);
}

void tst_Supervision::anAbandonedStopIsNeverRestartedOver()
{
    ScriptedService db(u"db"_s), api(u"api"_s);
    api.deps = {&db};
    api.onStop.hang = true; // a dependent whose stop never ends
    api.stopTimeout = 30ms;
    db.setRestartPolicy(quick());
    ServiceManager manager(&api);
    QSignalSpy exhausted(&manager, &ServiceManager::restartsExhausted);
    runBlocking(manager.start());
    db.addTask(crashNow("boom"));
    QTRY_COMPARE(manager.state(), State::Failed);
    QCOMPARE(db.startCalls, 1);
    QCOMPARE(exhausted.count(), 1);
    QVERIFY2(manager.errorString().contains(u"its stop was abandoned"_s),
             qPrintable(manager.errorString()));
    api.sleeper().wakeAll();
}

// A member whose stop fails during a restart joins it; past the member's own intensity that
// failure is final: the graph stops and nothing starts again (found by tst_property --restarts,
// seed 502857).
void tst_Supervision::aStopFailurePastTheIntensityStopsTheGraph()
{
    ScriptedService db(u"db"_s), api(u"api"_s);
    api.deps = {&db};
    api.onStop.fail = true; // every stop of api throws
    db.setRestartPolicy(quick());
    api.setRestartPolicy(quick(Mode::OnFailure, 1));
    ServiceManager manager(&api);
    QSignalSpy exhausted(&manager, &ServiceManager::restartsExhausted);
    runBlocking(manager.start());
    db.addTask(crashNow("first")); // api's stop failure joins the restart: its one restart
    QTRY_COMPARE(api.startCalls, 2);
    QTRY_COMPARE(api.state(), State::Running);
    QCOMPARE(manager.state(), State::Running);
    QCOMPARE(exhausted.count(), 0);
    db.addTask(crashNow("second")); // api's second stop failure is past its intensity
    QTRY_COMPARE(manager.state(), State::Failed);
    QCOMPARE(exhausted.count(), 1);
    QCOMPARE(exhausted.first().at(0).value<QService *>(), &api);
    QCOMPARE(db.startCalls, 2);
    QCOMPARE(api.startCalls, 2);
    // db's crash was to be restarted: the stop gives that up, db keeps its error.
    QCOMPARE(db.state(), State::Failed);
    QVERIFY2(db.errorString().contains(u"second"_s), qPrintable(db.errorString()));
    QVERIFY2(manager.errorString().contains(u"not restarted"_s), qPrintable(manager.errorString()));
}

// Every leaf of a wide graph fails in the same turn: one restart takes them all.
void tst_Supervision::failuresInTheSameTurnMergeIntoOneRestart()
{
    constexpr int Count = 2000;
    ScriptedService root(u"root"_s);
    std::vector<std::unique_ptr<ScriptedService>> leaves;
    QList<QService *> group;
    for (int i = 0; i < Count; ++i) {
        leaves.push_back(std::make_unique<ScriptedService>(u"leaf%1"_s.arg(i)));
        leaves.back()->setRestartPolicy(quick());
        group.append(leaves.back().get());
    }
    root.deps = {Stage(group)};
    ServiceManager manager(&root);
    runBlocking(manager.start(), 30s);
    QSignalSpy rounds(&manager, &ServiceManager::restartCountChanged);
    for (const auto &leaf : leaves)
        leaf->addTask(crashNow("storm"));
    QTRY_COMPARE_WITH_TIMEOUT(root.startCalls, 2, 30000);
    QTRY_COMPARE(manager.restartCount(), 1);
    QCOMPARE(root.stopCalls, 1);
    for (const auto &leaf : leaves) {
        QCOMPARE(leaf->startCalls, 2);
        QCOMPARE(leaf->state(), State::Running);
    }
    QCOMPARE(manager.state(), State::Running);
    runBlocking(manager.stop(), 30s);
}

void tst_Supervision::aBadPolicyIsRefused()
{
    ScriptedService db(u"db"_s);
    RestartPolicy bad = quick();
    bad.multiplier = 0.5;
    QTest::ignoreMessage(QtWarningMsg,
                         "db: setRestartPolicy() refused: the multiplier must be at least 1");
    db.setRestartPolicy(bad);
    QCOMPARE(db.restartPolicy().mode, Mode::Never);
    bad = quick();
    bad.jitter = 2;
    QTest::ignoreMessage(QtWarningMsg,
                         "db: setRestartPolicy() refused: the jitter must be between 0 and 1");
    db.setRestartPolicy(bad);
    QCOMPARE(db.restartPolicy(), RestartPolicy());
    db.setRestartPolicy(quick());
    QCOMPARE(db.restartPolicy(), quick());
}

void tst_Supervision::theModelShowsRestarts()
{
    ScriptedService db(u"db"_s), api(u"api"_s);
    api.deps = {&db};
    RestartPolicy policy = quick();
    policy.initialDelay = 50ms;
    db.setRestartPolicy(policy);
    ServiceManager manager(&api);
    ServiceModel model;
    model.setManager(&manager);
    runBlocking(manager.start());
    int row = 0;
    while (row < model.rowCount() && model.serviceAt(row) != &db)
        ++row;
    QVERIFY(row < model.rowCount());
    const QModelIndex index = model.index(row);
    QCOMPARE(index.data(ServiceModel::RestartCountRole).toInt(), 0);
    QCOMPARE(index.data(ServiceModel::RestartDelayMsRole).toLongLong(), -1);
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    db.addTask(crashNow("boom"));
    QTRY_COMPARE(index.data(ServiceModel::RestartDelayMsRole).toLongLong(), 50);
    QTRY_COMPARE(index.data(ServiceModel::RestartCountRole).toInt(), 1);
    QTRY_COMPARE(db.state(), State::Running);
    QCOMPARE(index.data(ServiceModel::RestartDelayMsRole).toLongLong(), -1);
    bool countChanged = false;
    for (const QList<QVariant> &change : changes)
        countChanged = countChanged ||
                       change.at(2).value<QList<int>>().contains(ServiceModel::RestartCountRole);
    QVERIFY(countChanged);
    QCOMPARE(model.roleNames().value(ServiceModel::RestartDelayMsRole), "restartDelayMs");
    runBlocking(manager.stop());
}

// A service started on demand, with what it needs, is restarted like any other; the eager
// graph does not notice.
void tst_Supervision::aDeferredServiceIsRestartedLikeAnother()
{
    ScriptedService db(u"db"_s), report(u"report"_s), root(u"root"_s);
    report.deps = {&db};
    report.setStartPolicy(QService::StartPolicy::OnDemand);
    report.setRestartPolicy(quick());
    root.deps = {&db, &report};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QCOMPARE(report.startCalls, 0);
    runBlocking(manager.ensureRunning(&report));
    QSignalSpy rootStates(&root, &QService::stateChanged);
    QSignalSpy dbStates(&db, &QService::stateChanged);
    report.addTask(crashNow("out of paper"));
    QTRY_COMPARE(report.startCalls, 2);
    QTRY_COMPARE(report.state(), State::Running);
    QCOMPARE(report.restartCount(), 1);
    QCOMPARE(manager.state(), State::Running);
    QCOMPARE(rootStates.count(), 0);
    QCOMPARE(dbStates.count(), 0);
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(report.stopCalls, 2);
}

QTEST_GUILESS_MAIN(tst_Supervision)
#include "tst_supervision.moc"
