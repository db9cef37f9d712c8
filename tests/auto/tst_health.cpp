// Health (docs/health.md): pushed and polled, only while Running and never overlapping, timed
// out and throwing checks, escalation to a failure, the reset on restart, the manager's
// aggregate and report, the model's roles.

#include <QLifecycle/ServiceManager>
#include <QLifecycle/ServiceModel>

#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QPointer>
#include <QtCore/QThread>

#include <QCoro/QCoroTimer>

#include <memory>
#include <stdexcept>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

using Health = QService::Health;

namespace {

// Counts the health check frames alive: one lives in each, and dies with it. The count is
// shared, not static: a late check of an earlier test may end during a later one.
class FrameCount
{
public:
    explicit FrameCount(std::shared_ptr<int> live) : m_live(std::move(live)) { ++*m_live; }
    ~FrameCount() { --*m_live; }
    FrameCount(const FrameCount &) = delete;
    FrameCount &operator=(const FrameCount &) = delete;

private:
    std::shared_ptr<int> m_live;
};

// A service whose health check a test scripts, and which counts its calls.
class Probe : public ScriptedService
{
    Q_OBJECT
public:
    using QService::setHealth;
    using QService::setHealthCheckInterval;
    using QService::setHealthCheckTimeout;
    using QService::setRestartPolicy;
    using QService::setUnhealthyGracePeriod;
    using ScriptedService::ScriptedService;

    std::chrono::milliseconds checkTakes{0}; // how long each check takes
    bool checkThrows = false;
    HealthStatus result;
    int checks = 0;
    std::shared_ptr<int> liveFrames = std::make_shared<int>(0); // check frames alive
    int concurrent = 0;
    int maxConcurrent = 0;
    QList<State> statesAtCheck;
    QList<qint64> checkStarts; // ms of `clock`
    QElapsedTimer clock;

Q_SIGNALS:
    void checked();

protected:
    QCoro::Task<HealthStatus> checkHealth() override
    {
        const FrameCount frame(liveFrames);
        const QPointer<Probe> self(this);
        ++checks;
        maxConcurrent = std::max(maxConcurrent, ++concurrent);
        statesAtCheck.append(state());
        checkStarts.append(clock.elapsed());
        const std::chrono::milliseconds takes = checkTakes;
        if (takes.count() > 0)
            co_await QCoro::sleepFor(takes);
        if (!self)
            co_return Health::Healthy;
        --concurrent;
        Q_EMIT checked();
        if (checkThrows)
            throw std::runtime_error("disk full");
        // A copy: QCoro 0.8's return_value(U &&) moves even from an lvalue such as a member.
        co_return HealthStatus(result);
    }
};

} // namespace

class tst_Health : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pushedHealthIsShownWithItsReason();
    void pushedFromAnotherThreadArrivesOnTheServiceThread();
    void checksRunOnlyWhileRunning();
    void aSlowCheckIsNeverOverlapped();
    void aCheckThatTimesOutIsUnhealthy();
    void aCheckThatThrowsIsUnhealthy();
    void everyCheckFrameIsFreed();
    void unhealthyPastTheGracePeriodFailsTheRun();
    void unhealthyInterruptedInTimeIsNoFailure();
    void unhealthyPastTheGracePeriodIsRestartedOnFailure();
    void aNewStartResetsHealth();
    void managerAggregatesTheWorstHealth();
    void healthReportListsEveryService();
    void modelShowsHealthRoles();
    void slotsOnHealthMaySpinLoopsAndStopTheGraph();
};

void tst_Health::pushedHealthIsShownWithItsReason()
{
    Probe db(QStringLiteral("db"));
    ServiceManager manager(&db);
    runBlocking(manager.start());
    QSignalSpy health(&db, &QService::healthChanged);
    QSignalSpy reason(&db, &QService::healthReasonChanged);
    QString reasonSeenWithHealth;
    connect(&db, &QService::healthChanged, this, [&] { reasonSeenWithHealth = db.healthReason(); });
    QCOMPARE(db.health(), Health::Healthy);
    db.setHealth(Health::Degraded, QStringLiteral("slow disk"));
    QCOMPARE(db.health(), Health::Degraded);
    QCOMPARE(db.healthReason(), QStringLiteral("slow disk"));
    QCOMPARE(health.count(), 1);
    QCOMPARE(health.at(0).at(0).value<Health>(), Health::Degraded);
    QCOMPARE(reason.count(), 1);
    QCOMPARE(reasonSeenWithHealth, QStringLiteral("slow disk")); // set before the signal
    db.setHealth(Health::Degraded, QStringLiteral("slow disk")); // no change: no signal
    QCOMPARE(health.count(), 1);
    QCOMPARE(reason.count(), 1);
    db.setHealth(Health::Healthy);
    QCOMPARE(db.health(), Health::Healthy);
    QCOMPARE(db.healthReason(), QString());
    QCOMPARE(health.count(), 2);
    runBlocking(manager.stop());
}

void tst_Health::pushedFromAnotherThreadArrivesOnTheServiceThread()
{
    Probe db(QStringLiteral("db"));
    ServiceManager manager(&db);
    runBlocking(manager.start());
    QThread *changedOn = nullptr;
    connect(
        &db, &QService::healthChanged, this, [&] { changedOn = QThread::currentThread(); },
        Qt::DirectConnection);
    std::unique_ptr<QThread> other(
        QThread::create([&db] { db.setHealth(Health::Unhealthy, QStringLiteral("gone")); }));
    other->start();
    QVERIFY(other->wait(5000));
    QTRY_COMPARE(db.health(), Health::Unhealthy);
    QCOMPARE(changedOn, QThread::currentThread());
    QCOMPARE(db.healthReason(), QStringLiteral("gone"));
    runBlocking(manager.stop());
}

void tst_Health::checksRunOnlyWhileRunning()
{
    Probe db(QStringLiteral("db"));
    db.setHealthCheckInterval(10ms);
    db.result = {Health::Degraded, QStringLiteral("replica lag")};
    QSignalSpy checked(&db, &Probe::checked);
    QVERIFY(!checked.wait(60)); // not started: never asked
    QCOMPARE(db.checks, 0);
    ServiceManager manager(&db);
    runBlocking(manager.start());
    QTRY_VERIFY(db.checks >= 3);
    QCOMPARE(db.health(), Health::Degraded);
    QCOMPARE(db.healthReason(), QStringLiteral("replica lag"));
    runBlocking(manager.stop());
    const int checksWhileRunning = db.checks;
    checked.clear();
    QVERIFY(!checked.wait(60)); // stopped: never asked again
    QCOMPARE(db.checks, checksWhileRunning);
    for (const State state : std::as_const(db.statesAtCheck))
        QCOMPARE(state, State::Running);
}

void tst_Health::aSlowCheckIsNeverOverlapped()
{
    Probe db(QStringLiteral("db"));
    db.setHealthCheckInterval(10ms);
    db.checkTakes = 40ms; // longer than the interval
    db.clock.start();
    ServiceManager manager(&db);
    runBlocking(manager.start());
    QTRY_VERIFY(db.checks >= 3);
    QCOMPARE(db.maxConcurrent, 1);
    // The next check is scheduled when the previous one ends: starts are a check apart.
    for (int i = 1; i < db.checkStarts.size(); ++i)
        QVERIFY2(db.checkStarts.at(i) - db.checkStarts.at(i - 1) >= 38,
                 qPrintable(QStringLiteral("checks %1 ms apart")
                                .arg(db.checkStarts.at(i) - db.checkStarts.at(i - 1))));
    runBlocking(manager.stop());
}

void tst_Health::aCheckThatTimesOutIsUnhealthy()
{
    Probe db(QStringLiteral("db"));
    db.setHealthCheckInterval(10ms);
    db.setHealthCheckTimeout(30ms);
    db.checkTakes = 300ms;
    ServiceManager manager(&db);
    runBlocking(manager.start());
    QTRY_COMPARE(db.health(), Health::Unhealthy);
    QCOMPARE(db.healthReason(), QStringLiteral("health check timed out after 30 ms"));
    QCOMPARE(db.checks, 1); // the timed-out check still runs: no other starts
    QSignalSpy checked(&db, &Probe::checked);
    QVERIFY(checked.wait(1000)); // it ends: its late Healthy is ignored, the next is scheduled
    QCOMPARE(db.health(), Health::Unhealthy);
    QTRY_COMPARE(db.checks, 2);
    QCOMPARE(db.maxConcurrent, 1);
    runBlocking(manager.stop());
}

void tst_Health::everyCheckFrameIsFreed()
{
    Probe db(QStringLiteral("db"));
    db.setHealthCheckInterval(10ms);
    db.setHealthCheckTimeout(30ms);
    const std::shared_ptr<int> frames = db.liveFrames;
    ServiceManager manager(&db);
    runBlocking(manager.start());
    QTRY_VERIFY(db.checks >= 3); // checks that end at once
    QCOMPARE(*frames, 0);
    db.checkTakes = 100ms; // they time out, are abandoned, and may end after the stop
    QTRY_COMPARE(db.health(), Health::Unhealthy);
    QVERIFY(*frames <= 1); // never two at once
    runBlocking(manager.stop());
    QTRY_COMPARE(*frames, 0);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCOMPARE(*frames, 0);
}

void tst_Health::aCheckThatThrowsIsUnhealthy()
{
    Probe db(QStringLiteral("db"));
    db.setHealthCheckInterval(10ms);
    db.checkThrows = true;
    ServiceManager manager(&db);
    runBlocking(manager.start());
    QTRY_COMPARE(db.health(), Health::Unhealthy);
    QCOMPARE(db.healthReason(), QStringLiteral("health check failed: disk full"));
    QCOMPARE(manager.state(), State::Running); // no grace period: no failure
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_Health::unhealthyPastTheGracePeriodFailsTheRun()
{
    Probe db(QStringLiteral("db"));
    Probe api(QStringLiteral("api"));
    api.deps = {&db};
    db.setUnhealthyGracePeriod(50ms);
    ServiceManager manager(&api);
    QSignalSpy errors(&db, &QService::errorOccurred);
    runBlocking(manager.start());
    db.setHealth(Health::Unhealthy, QStringLiteral("no answer"));
    QCOMPARE(manager.state(), State::Running);
    try {
        runBlocking(manager.wait());
        QFAIL("wait() returned normally after the escalation");
    } catch (const Error &error) {
        QVERIFY2(error.message().contains(QStringLiteral("unhealthy for 50 ms: no answer")),
                 qPrintable(error.message()));
    }
    QCOMPARE(manager.state(), State::Failed);
    QCOMPARE(manager.stopReason(), ServiceManager::StopReason::Failure);
    QCOMPARE(db.state(), State::Failed);
    QCOMPARE(api.state(), State::Stopped);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<Phase>(), Phase::Run);
    QCOMPARE(errors.at(0).at(1).toString(), QStringLiteral("unhealthy for 50 ms: no answer"));
    QVERIFY(db.failure().has_value());
}

void tst_Health::unhealthyInterruptedInTimeIsNoFailure()
{
    Probe db(QStringLiteral("db"));
    db.setUnhealthyGracePeriod(80ms);
    ServiceManager manager(&db);
    runBlocking(manager.start());
    QSignalSpy errors(&db, &QService::errorOccurred);
    db.setHealth(Health::Unhealthy, QStringLiteral("hiccup"));
    QSignalSpy health(&db, &QService::healthChanged);
    QTimer::singleShot(30, &db, [&db] { db.setHealth(Health::Healthy); });
    QVERIFY(health.wait(1000));
    QCOMPARE(db.health(), Health::Healthy);
    QVERIFY(!errors.wait(150)); // past the grace period from the first Unhealthy: nothing
    QCOMPARE(manager.state(), State::Running);
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
}

// The escalation is a crash: the restart policy applies (docs/supervision.md), and the restarted
// service begins Healthy.
void tst_Health::unhealthyPastTheGracePeriodIsRestartedOnFailure()
{
    Probe db(QStringLiteral("db"));
    RestartPolicy policy;
    policy.mode = RestartPolicy::OnFailure;
    policy.initialDelay = 10ms;
    policy.jitter = 0;
    db.setRestartPolicy(policy);
    db.setUnhealthyGracePeriod(30ms);
    ServiceManager manager(&db);
    runBlocking(manager.start());
    QSignalSpy errors(&db, &QService::errorOccurred);
    db.setHealth(Health::Unhealthy, QStringLiteral("stuck"));
    QVERIFY(errors.wait(1000));
    QCOMPARE(errors.at(0).at(1).toString(), QStringLiteral("unhealthy for 30 ms: stuck"));
    QTRY_COMPARE(db.restartCount(), 1);
    QTRY_COMPARE(db.state(), State::Running);
    QCOMPARE(db.health(), Health::Healthy);
    QCOMPARE(db.healthReason(), QString());
    QCOMPARE(manager.state(), State::Running);
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_Health::aNewStartResetsHealth()
{
    Probe db(QStringLiteral("db"));
    ServiceManager manager(&db);
    runBlocking(manager.start());
    db.setHealth(Health::Degraded, QStringLiteral("slow"));
    runBlocking(manager.stop());
    QCOMPARE(db.health(), Health::Degraded); // the last run's, until a new one begins
    // Reset as the start begins, before Starting shows (as errorString is cleared).
    QList<State> stateAtReset;
    QList<Health> healthWhenStarting;
    connect(&db, &QService::healthChanged, this, [&] { stateAtReset.append(db.state()); });
    connect(&db, &QService::stateChanged, this, [&](State state) {
        if (state == State::Starting)
            healthWhenStarting.append(db.health());
    });
    runBlocking(manager.start());
    QCOMPARE(db.health(), Health::Healthy);
    QCOMPARE(db.healthReason(), QString());
    QCOMPARE(stateAtReset, QList<State>{State::Stopped});
    QCOMPARE(healthWhenStarting, QList<Health>{Health::Healthy});
    runBlocking(manager.stop());
}

void tst_Health::managerAggregatesTheWorstHealth()
{
    Probe cache(QStringLiteral("cache")), db(QStringLiteral("db")), api(QStringLiteral("api"));
    api.deps = {{&cache, &db}};
    ServiceManager manager(&api);
    QSignalSpy changed(&manager, &ServiceManager::healthChanged);
    runBlocking(manager.start());
    QCOMPARE(manager.health(), Health::Healthy);
    QCOMPARE(manager.healthReason(), QString());
    cache.setHealth(Health::Degraded, QStringLiteral("slow disk"));
    QCOMPARE(manager.health(), Health::Degraded);
    QCOMPARE(manager.healthReason(), QStringLiteral("cache is degraded: slow disk"));
    db.setHealth(Health::Unhealthy);
    QCOMPARE(manager.health(), Health::Unhealthy);
    QCOMPARE(manager.healthReason(),
             QStringLiteral("db is unhealthy; cache is degraded: slow disk"));
    db.setHealth(Health::Healthy);
    cache.setHealth(Health::Healthy);
    QCOMPARE(manager.health(), Health::Healthy);
    QCOMPARE(manager.healthReason(), QString());
    QCOMPARE(changed.count(), 4);
    QCOMPARE(changed.at(1).at(0).value<Health>(), Health::Unhealthy);
    // Bindable: a binding follows it.
    QProperty<bool> sick;
    sick.setBinding([&] { return manager.bindableHealth().value() != Health::Healthy; });
    QCOMPARE(sick.value(), false);
    api.setHealth(Health::Degraded);
    QCOMPARE(sick.value(), true);
    runBlocking(manager.stop());
}

void tst_Health::healthReportListsEveryService()
{
    Probe db(QStringLiteral("db")), api(QStringLiteral("api"));
    api.deps = {&db};
    ServiceManager manager(&api);
    QCOMPARE(manager.healthReport().value(QStringLiteral("services")).toArray().size(), 0);
    runBlocking(manager.start());
    db.setHealth(Health::Unhealthy, QStringLiteral("no answer"));
    const QJsonObject report = manager.healthReport();
    QCOMPARE(report.value(QStringLiteral("health")).toString(), QStringLiteral("Unhealthy"));
    QCOMPARE(report.value(QStringLiteral("reason")).toString(),
             QStringLiteral("db is unhealthy: no answer"));
    const QJsonArray services = report.value(QStringLiteral("services")).toArray();
    QCOMPARE(services.size(), 2);
    const QJsonObject first = services.at(0).toObject();
    QCOMPARE(first.value(QStringLiteral("name")).toString(), QStringLiteral("db"));
    QCOMPARE(first.value(QStringLiteral("state")).toString(), QStringLiteral("Running"));
    QCOMPARE(first.value(QStringLiteral("health")).toString(), QStringLiteral("Unhealthy"));
    QCOMPARE(first.value(QStringLiteral("reason")).toString(), QStringLiteral("no answer"));
    QCOMPARE(first.value(QStringLiteral("startDurationMs")).toInteger(), db.startDurationMs());
    QCOMPARE(first.value(QStringLiteral("stopDurationMs")).toInteger(), qint64(-1));
    const QJsonObject second = services.at(1).toObject();
    QCOMPARE(second.value(QStringLiteral("name")).toString(), QStringLiteral("api"));
    QCOMPARE(second.value(QStringLiteral("health")).toString(), QStringLiteral("Healthy"));
    QCOMPARE(second.value(QStringLiteral("reason")).toString(), QString());
    QCOMPARE(second.value(QStringLiteral("optional")).toBool(true), false);
    QCOMPARE(second.keys().size(), 7);
    runBlocking(manager.stop());
    const QJsonObject after =
        manager.healthReport().value(QStringLiteral("services")).toArray().at(1).toObject();
    QCOMPARE(after.value(QStringLiteral("state")).toString(), QStringLiteral("Stopped"));
    QVERIFY(after.value(QStringLiteral("stopDurationMs")).toInteger() >= 0);
}

void tst_Health::modelShowsHealthRoles()
{
    Probe db(QStringLiteral("db"));
    ServiceManager manager(&db);
    ServiceModel model;
    model.setManager(&manager);
    runBlocking(manager.start());
    const QHash<int, QByteArray> names = model.roleNames();
    QCOMPARE(names.value(ServiceModel::HealthRole), QByteArray("health"));
    QCOMPARE(names.value(ServiceModel::HealthReasonRole), QByteArray("healthReason"));
    QSignalSpy dataChanged(&model, &QAbstractItemModel::dataChanged);
    db.setHealth(Health::Degraded, QStringLiteral("slow"));
    const QModelIndex row = model.index(0);
    QCOMPARE(model.data(row, ServiceModel::HealthRole).value<Health>(), Health::Degraded);
    QCOMPARE(model.data(row, ServiceModel::HealthReasonRole).toString(), QStringLiteral("slow"));
    QList<int> roles;
    for (const QList<QVariant> &change : std::as_const(dataChanged))
        roles += change.at(2).value<QList<int>>();
    QVERIFY(roles.contains(ServiceModel::HealthRole));
    QVERIFY(roles.contains(ServiceModel::HealthReasonRole));
    runBlocking(manager.stop());
}

// Re-entrancy (docs/lifecycle.md, "Re-entrancy"): a slot on the service's healthChanged spins
// a nested loop (a modal dialog) while checks go on; one on the manager's stops the graph.
void tst_Health::slotsOnHealthMaySpinLoopsAndStopTheGraph()
{
    Probe db(QStringLiteral("db"));
    db.setHealthCheckInterval(10ms);
    db.result = {Health::Unhealthy, QStringLiteral("down")};
    ServiceManager manager(&db);
    int dialogs = 0;
    connect(&db, &QService::healthChanged, this, [&] {
        QEventLoop loop;
        QTimer::singleShot(30, &loop, &QEventLoop::quit);
        loop.exec();
        ++dialogs;
    });
    QList<Health> managerHealth;
    connect(&manager, &ServiceManager::healthChanged, this, [&](Health health) {
        managerHealth.append(health);
        if (health == Health::Unhealthy)
            manager.requestStop();
    });
    runBlocking(manager.start());
    QVERIFY(waitForState(&manager, State::Stopped, 5s));
    QCOMPARE(db.state(), State::Stopped);
    QCOMPARE(managerHealth, QList<Health>{Health::Unhealthy});
    QTRY_COMPARE(dialogs, 1);
    QCOMPARE(db.maxConcurrent, 1);
    const int checks = db.checks;
    QSignalSpy checked(&db, &Probe::checked);
    QVERIFY(!checked.wait(60)); // stopped: no check any more
    QCOMPARE(db.checks, checks);
}

QTEST_GUILESS_MAIN(tst_Health)
#include "tst_health.moc"
