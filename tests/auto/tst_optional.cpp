// Optional services and optional edges (docs/supervision.md, "Optional services"): a final
// failure of an optional service leaves the graph Running and the manager Degraded, naming it,
// until a retry runs it again.

#include <QLifecycle/QLifecycle>
#include <QLifecycle/TestKit>

#include <QtCore/QJsonArray>
#include <QtCore/QObject>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include "restartkit.h"

#include <QtCore/QRandomGenerator>

#include <memory>
#include <vector>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;
using namespace Qt::StringLiterals;
using namespace restartkit;
using Health = QService::Health;

namespace {
// A scripted service that reports its health.
class ReportingService : public ScriptedService
{
    Q_OBJECT
public:
    using QService::setHealth;
    using ScriptedService::ScriptedService;
};
} // namespace

class tst_Optional : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void anOptionalEdgeKeepsTheOrder();
    void anOptionalServiceThatFailsToStartLeavesTheGraphRunning();
    void aCrashStopsWhatNeedsItAndNothingElse();
    void aRetryStartsThatServiceOnly();
    void aRetryStartsWhatTheServiceNeeds();
    void aCriticalServiceThatNeedsAFailedOptionalOneFailsTheGraph();
    void anOptionalEdgeDoesNotMakeAServiceOptional();
    void aRestartDoesNotTouchWhatWantsItOptionally();
    void anOptionalServiceIsRestartedThenLeftOut();
    void anOptionalGroupWaitsForEveryMemberThatRuns();
    void anUnhealthyOptionalServiceDegradesTheManager();
    void aServiceLeftOutMayBeDestroyed();
    void aRetryIsRefusedWhenTheGraphDoesNotRun();
    void aServiceWaitingForItsRestartIsLeftOutWithWhatItNeeds();
    void randomGraphsKeepTheRules();
};

// root needs db and wants telemetry: telemetry starts before root and stops after it.
void tst_Optional::anOptionalEdgeKeepsTheOrder()
{
    EventLog log;
    ScriptedService db(u"db"_s, &log), telemetry(u"telemetry"_s, &log), root(u"root"_s, &log);
    telemetry.setOptional(true);
    root.deps = {&db, optional(&telemetry)};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QCOMPARE(log.only(u":start"_s), names("db telemetry root"));
    QCOMPARE(log.only(u":stop"_s), names("root telemetry db"));
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_Optional::anOptionalServiceThatFailsToStartLeavesTheGraphRunning()
{
    ScriptedService db(u"db"_s), telemetry(u"telemetry"_s), root(u"root"_s);
    telemetry.setOptional(true);
    QVERIFY(telemetry.isOptional());
    telemetry.onStart.fail = true;
    telemetry.onStart.failMessage = u"no network"_s;
    root.deps = {{&db, optional(&telemetry)}};
    ServiceManager manager(&root);
    QSignalSpy errors(&manager, &ServiceManager::errorOccurred);
    runBlocking(manager.start());
    QCOMPARE(manager.state(), State::Running);
    QCOMPARE(root.state(), State::Running);
    QCOMPARE(telemetry.state(), State::Failed);
    QVERIFY(telemetry.errorString().contains(u"no network"_s));
    QCOMPARE(root.dependencyStatesAtStart, (QList<State>{State::Running, State::Failed}));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.first().at(0).value<QService *>(), &telemetry);
    QVERIFY(manager.errorString().isEmpty()); // not the run's failure
    QTRY_COMPARE(manager.health(), Health::Degraded);
    QVERIFY2(manager.healthReason().contains(u"telemetry failed: no network"_s),
             qPrintable(manager.healthReason()));
    const QJsonArray report = manager.healthReport().value(u"services"_s).toArray();
    bool reported = false;
    for (const QJsonValue &entry : report)
        if (entry[u"name"_s] == u"telemetry"_s)
            reported = entry[u"optional"_s].toBool() && entry[u"state"_s] == u"Failed"_s;
    QVERIFY(reported);
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped); // the graph did not fail
    QCOMPARE(telemetry.stopCalls, 0);          // it never ran
}

// uploader needs telemetry, both optional; root wants the uploader; a logger is unrelated. A
// crash of telemetry stops the uploader, then telemetry; nothing else sees a signal.
void tst_Optional::aCrashStopsWhatNeedsItAndNothingElse()
{
    EventLog log;
    ScriptedService db(u"db"_s, &log), telemetry(u"telemetry"_s, &log),
        uploader(u"uploader"_s, &log), logger(u"logger"_s, &log), root(u"root"_s, &log);
    telemetry.setOptional(true);
    uploader.setOptional(true);
    uploader.deps = {&telemetry};
    root.deps = {{&db, &logger}, optional(&uploader)};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QSignalSpy untouched[] = {QSignalSpy(&db, &QService::stateChanged),
                              QSignalSpy(&logger, &QService::stateChanged),
                              QSignalSpy(&root, &QService::stateChanged),
                              QSignalSpy(&manager, &ServiceManager::stateChanged)};
    log.clear();
    telemetry.addTask(crashNow("lost the collector"));
    QTRY_COMPARE(telemetry.state(), State::Failed);
    QTRY_COMPARE(manager.health(), Health::Degraded);
    QCOMPARE(uploader.state(), State::Failed);
    QCOMPARE(log.events(),
             names("uploader:stop uploader:stopped telemetry:stop telemetry:stopped"));
    for (const QSignalSpy &spy : untouched)
        QCOMPARE(spy.count(), 0);
    QCOMPARE(manager.state(), State::Running);
    QVERIFY(uploader.errorString().contains(u"needs telemetry, which failed"_s));
    QVERIFY2(manager.healthReason().startsWith(u"telemetry failed: "_s) &&
                 manager.healthReason().contains(u"lost the collector"_s) &&
                 manager.healthReason().contains(u"uploader failed: needs telemetry"_s),
             qPrintable(manager.healthReason()));
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(log.only(u":stop"_s), names("uploader telemetry root logger db"));
}

void tst_Optional::aRetryStartsThatServiceOnly()
{
    EventLog log;
    ScriptedService db(u"db"_s, &log), telemetry(u"telemetry"_s, &log),
        uploader(u"uploader"_s, &log), root(u"root"_s, &log);
    telemetry.setOptional(true);
    uploader.setOptional(true);
    uploader.deps = {&telemetry};
    root.deps = {&db, optional(&uploader)};
    telemetry.onStart.fail = true;
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QCOMPARE(uploader.state(), State::Failed); // never started: it needs telemetry
    QCOMPARE(uploader.startCalls, 0);
    QSignalSpy rootStates(&root, &QService::stateChanged);
    QSignalSpy dbStates(&db, &QService::stateChanged);
    log.clear();
    telemetry.onStart.fail = false;
    runBlocking(manager.ensureRunning(&telemetry));
    QCOMPARE(telemetry.state(), State::Running);
    QCOMPARE(uploader.state(), State::Failed); // left as it is: a retry of its own
    QCOMPARE(log.only(u":start"_s), names("telemetry"));
    QTRY_VERIFY(!manager.healthReason().contains(u"telemetry failed"_s));
    QCOMPARE(manager.health(), Health::Degraded); // the uploader still is out
    manager.requestStart(&uploader);
    QTRY_COMPARE(uploader.state(), State::Running);
    QTRY_COMPARE(manager.health(), Health::Healthy);
    QVERIFY(manager.healthReason().isEmpty());
    QCOMPARE(log.only(u":start"_s), names("telemetry uploader"));
    QCOMPARE(rootStates.count(), 0);
    QCOMPARE(dbStates.count(), 0);
    runBlocking(manager.stop());
    QCOMPARE(log.only(u":stop"_s), names("root uploader telemetry db"));
}

void tst_Optional::aRetryStartsWhatTheServiceNeeds()
{
    ScriptedService telemetry(u"telemetry"_s), uploader(u"uploader"_s), root(u"root"_s);
    telemetry.setOptional(true);
    uploader.setOptional(true);
    uploader.deps = {&telemetry};
    root.deps = {optional(&uploader)};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    telemetry.addTask(crashNow("lost the collector"));
    QTRY_COMPARE(uploader.state(), State::Failed);
    QTRY_COMPARE(telemetry.state(), State::Failed);
    runBlocking(manager.ensureRunning(&uploader)); // telemetry first, then the uploader
    QCOMPARE(telemetry.state(), State::Running);
    QCOMPARE(uploader.state(), State::Running);
    QCOMPARE(telemetry.startCalls, 2);
    QCOMPARE(uploader.startCalls, 2);
    QTRY_COMPARE(manager.health(), Health::Healthy);
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_Optional::aCriticalServiceThatNeedsAFailedOptionalOneFailsTheGraph()
{
    ScriptedService telemetry(u"telemetry"_s), api(u"api"_s), root(u"root"_s);
    telemetry.setOptional(true);
    telemetry.onStart.fail = true;
    api.deps = {&telemetry};
    root.deps = {&api};
    ServiceManager manager(&root);
    QVERIFY_THROWS_EXCEPTION(Error, runBlocking(manager.start()));
    QCOMPARE(manager.state(), State::Failed);
    QVERIFY2(manager.errorString().contains(u"api needs it and is not optional"_s),
             qPrintable(manager.errorString()));
    QCOMPARE(api.startCalls, 0);
}

void tst_Optional::anOptionalEdgeDoesNotMakeAServiceOptional()
{
    ScriptedService db(u"db"_s), root(u"root"_s);
    db.crashAfter = 5ms;
    root.deps = {optional(&db)};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QTRY_COMPARE(manager.state(), State::Failed);
    QVERIFY(manager.errorString().contains(u"scripted crash"_s));
}

// A restart of telemetry does not restart root, which only wants it.
void tst_Optional::aRestartDoesNotTouchWhatWantsItOptionally()
{
    ScriptedService telemetry(u"telemetry"_s), root(u"root"_s);
    telemetry.setRestartPolicy(quick());
    root.deps = {optional(&telemetry)};
    ServiceManager manager(&root);
    QSignalSpy scheduled(&manager, &ServiceManager::restartScheduled);
    runBlocking(manager.start());
    QSignalSpy rootStates(&root, &QService::stateChanged);
    telemetry.addTask(crashNow("lost the collector"));
    QTRY_COMPARE(telemetry.startCalls, 2);
    QTRY_COMPARE(telemetry.state(), State::Running);
    QCOMPARE(scheduled.count(), 1);
    QCOMPARE(scheduled.first().at(2).toStringList(), names("telemetry"));
    QCOMPARE(rootStates.count(), 0);
    QCOMPARE(root.stopCalls, 0);
    runBlocking(manager.stop());
}

// An optional service with a policy is restarted within its limits; past them it is left out.
void tst_Optional::anOptionalServiceIsRestartedThenLeftOut()
{
    VirtualClock clock;
    ScriptedService telemetry(u"telemetry"_s), root(u"root"_s);
    telemetry.setOptional(true);
    telemetry.setRestartPolicy(quick(RestartPolicy::OnFailure, 2));
    telemetry.onStart.fail = true;
    root.deps = {optional(&telemetry)};
    ServiceManager manager(&root);
    QSignalSpy exhausted(&manager, &ServiceManager::restartsExhausted);
    manager.requestStart();
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_COMPARE(manager.state(), State::Running);
    QCOMPARE(telemetry.startCalls, 3); // the first start and two restarts
    QCOMPARE(exhausted.count(), 1);
    QCOMPARE(telemetry.state(), State::Failed);
    QCOMPARE(root.state(), State::Running);
    QTRY_COMPARE(manager.health(), Health::Degraded);
    QVERIFY(manager.healthReason().contains(u"not restarted"_s));
    // A retry starts its count again: the retry, then two restarts, then out again.
    manager.requestStart(&telemetry);
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_COMPARE(telemetry.startCalls, 6);
    QCOMPARE(exhausted.count(), 2);
    QCOMPARE(telemetry.state(), State::Failed);
    QCOMPARE(manager.state(), State::Running);
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_Optional::anOptionalGroupWaitsForEveryMemberThatRuns()
{
    EventLog log;
    ScriptedService a(u"a"_s, &log), b(u"b"_s, &log), root(u"root"_s, &log);
    a.setOptional(true);
    a.onStart.fail = true;
    b.onStart.delay = 20ms;
    root.deps = {optional({&a, &b})};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QCOMPARE(root.dependencyStatesAtStart, (QList<State>{State::Failed, State::Running}));
    QCOMPARE(log.indexOf(u"root:start"_s) > log.indexOf(u"b:started"_s), true);
    runBlocking(manager.stop());
}

void tst_Optional::anUnhealthyOptionalServiceDegradesTheManager()
{
    ReportingService cache(u"cache"_s), db(u"db"_s), root(u"root"_s);
    cache.setOptional(true);
    root.deps = {{&db, &cache}};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    cache.setHealth(Health::Unhealthy, u"evicting"_s);
    QTRY_COMPARE(manager.health(), Health::Degraded);
    QVERIFY(manager.healthReason().contains(u"cache is unhealthy: evicting"_s));
    db.setHealth(Health::Unhealthy, u"disk full"_s);
    QTRY_COMPARE(manager.health(), Health::Unhealthy);
    QVERIFY(manager.healthReason().startsWith(u"db is unhealthy"_s));
    runBlocking(manager.stop());
}

void tst_Optional::aServiceLeftOutMayBeDestroyed()
{
    ScriptedService root(u"root"_s);
    auto telemetry = std::make_unique<ScriptedService>(u"telemetry"_s);
    telemetry->setOptional(true);
    telemetry->onStart.fail = true;
    root.deps = {optional(telemetry.get())};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QTRY_COMPARE(manager.health(), Health::Degraded);
    root.deps = {};
    telemetry.reset();
    QTRY_COMPARE(manager.health(), Health::Healthy);
    QCOMPARE(manager.state(), State::Running);
    runBlocking(manager.stop());
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_Optional::aRetryIsRefusedWhenTheGraphDoesNotRun()
{
    ScriptedService telemetry(u"telemetry"_s), root(u"root"_s);
    telemetry.setOptional(true);
    root.deps = {optional(&telemetry)};
    ServiceManager manager(&root);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(u"requestRunning\\(\\).*telemetry.*not running"_s));
    manager.requestStart(&telemetry);
    QCOMPARE(telemetry.startCalls, 0);
    QCOMPARE(manager.state(), State::Stopped);
}

// The uploader waits out a restart's delay when telemetry, which it needs, fails for good: the
// uploader is left out with it, and its restart never comes.
void tst_Optional::aServiceWaitingForItsRestartIsLeftOutWithWhatItNeeds()
{
    VirtualClock clock;
    ScriptedService telemetry(u"telemetry"_s), uploader(u"uploader"_s), root(u"root"_s);
    telemetry.setOptional(true);
    uploader.setOptional(true);
    RestartPolicy policy = quick();
    policy.initialDelay = policy.maxDelay = 1h;
    uploader.setRestartPolicy(policy);
    uploader.deps = {&telemetry};
    root.deps = {optional(&uploader)};
    ServiceManager manager(&root);
    manager.requestStart();
    QVERIFY(clock.advanceUntilIdle(1s));
    QCOMPARE(manager.state(), State::Running);
    uploader.addTask(crashNow("disk full"));
    QTRY_COMPARE(uploader.restartDelayMs(), 3600000);
    QCOMPARE(uploader.state(), State::Failed); // stopped, waiting for its restart
    telemetry.addTask(crashNow("lost the collector"));
    QTRY_COMPARE(telemetry.state(), State::Failed);
    clock.advanceBy(2h);
    QVERIFY(clock.advanceUntilIdle(1s));
    QCOMPARE(uploader.startCalls, 1); // not restarted: it needs telemetry, which is out
    QCOMPARE(uploader.restartDelayMs(), -1);
    QCOMPARE(manager.state(), State::Running);
    QCOMPARE(manager.health(), QService::Health::Degraded);
    QVERIFY2(manager.healthReason().contains(u"uploader failed"_s),
             qPrintable(manager.healthReason()));
    manager.requestStop();
    QVERIFY(clock.advanceUntilIdle(1s));
    QCOMPARE(manager.state(), State::Stopped);
}

// Random graphs of optional and critical services, optional and required edges, failed starts,
// crashes, restart policies and retries, on the virtual clock. After each: the run ended (no
// hang); every start that returned was stopped exactly once; what a service requires ran when
// its start began, what it wants optionally ran or had failed; a Running manager means every
// critical service runs; Degraded means an optional service is out. QLIFECYCLE_OPTIONAL_SEED
// moves the range of seeds; QLIFECYCLE_OPTIONAL_DESCRIBE prints each graph.
void tst_Optional::randomGraphsKeepTheRules()
{
    const quint32 firstSeed = qEnvironmentVariableIntValue("QLIFECYCLE_OPTIONAL_SEED");
    for (quint32 seed = firstSeed; seed < firstSeed + 400; ++seed) {
        QRandomGenerator random(seed);
        const auto chance = [&random](int percent) { return int(random.bounded(100)) < percent; };
        VirtualClock clock;
        const int count = 3 + int(random.bounded(10));
        std::vector<std::unique_ptr<ScriptedService>> services;
        std::vector<std::vector<bool>> wanted(
            static_cast<size_t>(count)); // per declared dependency
        std::vector<bool> needed(static_cast<size_t>(count), false);
        for (int i = 0; i < count; ++i) {
            auto service = std::make_unique<ScriptedService>(u"s%1"_s.arg(i));
            const bool root = i == count - 1;
            service->setOptional(!root && chance(50));
            service->onStart.delay = std::chrono::milliseconds(random.bounded(4));
            service->onStart.fail = chance(12);
            if (chance(12))
                service->crashAfter = std::chrono::milliseconds(1 + random.bounded(30));
            if (chance(25))
                service->setRestartPolicy(quick(RestartPolicy::OnFailure, 2));
            for (int j = 0; j < i; ++j) {
                if (!(root ? !needed[size_t(j)] : chance(30)))
                    continue;
                needed[size_t(j)] = true;
                const bool optionally = chance(35);
                service->deps.append(optionally ? optional(services[size_t(j)].get())
                                                : Stage(services[size_t(j)].get()));
                wanted[size_t(i)].push_back(optionally);
            }
            if (qEnvironmentVariableIsSet("QLIFECYCLE_OPTIONAL_DESCRIBE")) {
                QStringList described;
                for (qsizetype k = 0; k < service->deps.size(); ++k)
                    described.append((service->deps[k].isOptional() ? u"optional "_s : QString()) +
                                     service->deps[k].services().first()->name());
                qInfo().noquote() << service->name() << (service->isOptional() ? "(optional)" : "")
                                  << "needs" << described.join(u", "_s);
            }
            services.push_back(std::move(service));
        }
        ServiceManager manager(services.back().get());
        manager.requestStart();
        QVERIFY2(clock.advanceUntilIdle(10min), qPrintable(u"seed %1: no end"_s.arg(seed)));
        for (int retry = 0; retry < 3 && manager.state() == State::Running; ++retry) {
            for (const auto &service : services)
                if (service->isOptional() && service->state() == State::Failed && chance(50))
                    manager.requestStart(service.get());
            QVERIFY(clock.advanceUntilIdle(10min));
        }
        const QString where = u"seed %1"_s.arg(seed);
        if (manager.state() == State::Running) {
            bool out = false;
            for (const auto &service : services) {
                QVERIFY2(service->isOptional() || service->state() == State::Running,
                         qPrintable(where + u": "_s + service->name() + u" not running"_s));
                out = out || service->state() == State::Failed;
            }
            QCOMPARE(manager.health() == QService::Health::Degraded, out);
        }
        manager.requestStop();
        QVERIFY2(clock.advanceUntilIdle(10min), qPrintable(where + u": no stop"_s));
        QVERIFY2(manager.state() == State::Stopped || manager.state() == State::Failed,
                 qPrintable(where));
        for (int i = 0; i < count; ++i) {
            const ScriptedService &service = *services[size_t(i)];
            QVERIFY2(
                service.startReturns == service.stopCalls,
                qPrintable(
                    where + u": "_s + service.name() +
                    u" started %1, stopped %2"_s.arg(service.startReturns).arg(service.stopCalls)));
            const QList<State> &seen = service.dependencyStatesAtStart;
            for (qsizetype k = 0; k < seen.size() && service.startCalls > 0; ++k)
                QVERIFY2(seen[k] == State::Running ||
                             (wanted[size_t(i)][size_t(k)] && seen[k] == State::Failed),
                         qPrintable(where + u": "_s + service.name() +
                                    u" began with dependency %1 "_s.arg(k) +
                                    QString::number(int(seen[k]))));
        }
    }
}

QTEST_GUILESS_MAIN(tst_Optional)
#include "tst_optional.moc"
