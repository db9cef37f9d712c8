// Supervision on the virtual clock (docs/supervision.md): the policy matrix, backoff and its
// reset, jitter, and what ends a restart's delay early.

#include <QLifecycle/QLifecycle>
#include <QLifecycle/TestKit>

#include <QtCore/QObject>
#include <QtCore/QRegularExpression>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include "restartkit.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace restartkit;
using namespace Qt::StringLiterals;
using Mode = RestartPolicy::Mode;

namespace {
// How the first incarnation of a service ends (the next ones run cleanly).
enum class Fault { StartThrows, StartTimesOut, TaskThrows, DaemonReturns, UserStop };

class FaultyService : public ScriptedService
{
    Q_OBJECT
public:
    FaultyService(Fault fault) : ScriptedService(u"sync"_s), m_fault(fault)
    {
        startLimit = std::chrono::milliseconds(50);
    }

protected:
    QCoro::Task<> start() override
    {
        const bool first = startCalls == 0;
        onStart.fail = first && m_fault == Fault::StartThrows;
        onStart.delay = first && m_fault == Fault::StartTimesOut ? 1s : 0ms;
        crashAfter = first && m_fault == Fault::TaskThrows ? std::optional(5ms) : std::nullopt;
        if (first && m_fault == Fault::DaemonReturns)
            addTask(returnSoon(), {.name = u"loop"_s, .daemon = true});
        co_await ScriptedService::start();
    }

private:
    QCoro::Task<> returnSoon() { co_await sleepFor(5ms); }
    Fault m_fault;
};
} // namespace

Q_DECLARE_METATYPE(Fault)

class tst_RestartDelays : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void policyMatrix_data();
    void policyMatrix();
    void backoffGrowsAndResetsAfterAStableRunOnTheVirtualClock();
    void destroyingTheManagerDuringTheDelayCancelsTheRestart();
    void aMemberDestroyedDuringTheDelayStopsTheGraph();
    void jitterStaysWithinItsBoundsAndFollowsTheSeed();
    void aCrashDuringTheBackoffJoinsTheRestart();
    void aCrashDuringTheRestartsOwnStopJoinsIt();
};

void tst_RestartDelays::policyMatrix_data()
{
    QTest::addColumn<Mode>("mode");
    QTest::addColumn<Fault>("fault");
    QTest::addColumn<bool>("restarted");
    const std::pair<Fault, const char *> faults[] = {{Fault::StartThrows, "start throws"},
                                                     {Fault::StartTimesOut, "start times out"},
                                                     {Fault::TaskThrows, "task throws"},
                                                     {Fault::DaemonReturns, "daemon returns"},
                                                     {Fault::UserStop, "stop requested"}};
    const std::pair<Mode, const char *> modes[] = {
        {Mode::Never, "never"}, {Mode::OnFailure, "on failure"}, {Mode::Always, "always"}};
    for (const auto &[mode, modeName] : modes) {
        for (const auto &[fault, faultName] : faults) {
            const bool failure = fault != Fault::UserStop && fault != Fault::DaemonReturns;
            const bool restarted = (mode == Mode::OnFailure && failure) ||
                                   (mode == Mode::Always && fault != Fault::UserStop);
            QTest::addRow("%s, %s", modeName, faultName) << mode << fault << restarted;
        }
    }
}

// Each policy against each way a service's incarnation ends: restarted (then running again,
// the graph never stopped), or handled as without a policy (a stop stays a stop).
void tst_RestartDelays::policyMatrix()
{
    QFETCH(Mode, mode);
    QFETCH(Fault, fault);
    QFETCH(bool, restarted);
    VirtualClock clock;
    FaultyService service(fault);
    ScriptedService app(u"app"_s);
    app.deps = {&service};
    service.setRestartPolicy(quick(mode));
    ServiceManager manager(&app);
    QSignalSpy managerStates(&manager, &ServiceManager::stateChanged);
    manager.requestStart();
    QVERIFY(clock.advanceUntilIdle(10s));
    if (fault == Fault::UserStop) {
        QCOMPARE(manager.state(), State::Running);
        manager.requestStop();
        QVERIFY(clock.advanceUntilIdle(10s));
    }
    if (restarted) {
        QCOMPARE(manager.state(), State::Running);
        QCOMPARE(service.startCalls, 2);
        QCOMPARE(service.restartCount(), 1);
        QCOMPARE(app.state(), State::Running);
        QCOMPARE(managerStates.count(), 2); // Starting, Running: the graph never stopped
        manager.requestStop();
        QVERIFY(clock.advanceUntilIdle(10s));
        QCOMPARE(manager.state(), State::Stopped);
    } else {
        QCOMPARE(manager.state(), fault == Fault::UserStop ? State::Stopped : State::Failed);
        QCOMPARE(service.startCalls, 1);
        QCOMPARE(service.restartCount(), 0);
    }
    // Every incarnation that started is stopped once; a start abandoned at its timeout is not
    // (its start() returns late, to nobody).
    const int abandoned = fault == Fault::StartTimesOut ? 1 : 0;
    QCOMPARE(service.stopCalls, service.startReturns - abandoned);
}

// Backoff and its reset, on the virtual clock: a crash every time the service has run for
// `ranFor`; under resetAfter the delays grow, past it they begin again.
void tst_RestartDelays::backoffGrowsAndResetsAfterAStableRunOnTheVirtualClock()
{
    VirtualClock clock;
    ScriptedService db(u"db"_s);
    RestartPolicy policy = quick();
    policy.initialDelay = 1s;
    policy.maxDelay = 30s;
    policy.resetAfter = 60s;
    policy.maxRestarts = 100;
    policy.window = 1h;
    db.setRestartPolicy(policy);
    ServiceManager manager(&db);
    QSignalSpy scheduled(&db, &QService::restartScheduled);
    runBlocking(manager.start());
    // The delay of the restart after a crash of a service that ran for `ranFor`; -1 if the
    // service did not wait for it, then run again.
    const auto crashAfterRunning = [&](std::chrono::milliseconds ranFor) -> qint64 {
        clock.advanceBy(ranFor);
        db.addTask(crashNow("boom"));
        if (!QTest::qWaitFor([&] { return db.state() == State::Failed; })) // waits its delay
            return -1;
        const qint64 delay = scheduled.last().at(0).toLongLong();
        clock.advanceBy(std::chrono::milliseconds(delay));
        return QTest::qWaitFor([&] { return db.state() == State::Running; }) ? delay : -1;
    };
    QCOMPARE(crashAfterRunning(1s), 1000);
    QCOMPARE(crashAfterRunning(1s), 2000);
    QCOMPARE(crashAfterRunning(1s), 4000);
    QCOMPARE(crashAfterRunning(61s), 1000); // a stable run: the backoff begins again
    QCOMPARE(crashAfterRunning(1s), 2000);
    QCOMPARE(db.startCalls, 6);
    runBlocking(manager.stop());
}

void tst_RestartDelays::destroyingTheManagerDuringTheDelayCancelsTheRestart()
{
    VirtualClock clock;
    ScriptedService db(u"db"_s), api(u"api"_s);
    api.deps = {&db};
    RestartPolicy policy = quick();
    policy.initialDelay = 10s;
    db.setRestartPolicy(policy);
    auto manager = std::make_unique<ServiceManager>(&api);
    runBlocking(manager->start());
    db.addTask(crashNow("boom"));
    QTRY_COMPARE(db.state(), State::Failed);
    QCOMPARE(api.state(), State::Stopped);
    manager.reset(); // during the delay
    QVERIFY(clock.advanceUntilIdle(1h));
    QCOMPARE(db.startCalls, 1); // never started again
    QCOMPARE(api.startCalls, 1);
    QCOMPARE(db.stopCalls, 1);
}

void tst_RestartDelays::aMemberDestroyedDuringTheDelayStopsTheGraph()
{
    VirtualClock clock;
    ScriptedService db(u"db"_s), root(u"root"_s);
    auto *api = new ScriptedService(u"api"_s);
    api->deps = {&db};
    root.deps = {api};
    RestartPolicy policy = quick();
    policy.initialDelay = 10s;
    db.setRestartPolicy(policy);
    ServiceManager manager(&root);
    runBlocking(manager.start());
    db.addTask(crashNow("boom"));
    QTRY_COMPARE(db.state(), State::Failed);
    QTest::ignoreMessage(
        QtWarningMsg,
        "api: crashed: destroyed while waiting to be restarted; the graph is stopped");
    delete api; // a member waiting for the delay: the graph needs it
    QTRY_COMPARE(manager.state(), State::Failed);
    clock.advanceUntilIdle(1h);
    QCOMPARE(db.startCalls, 1); // the restart was cancelled
    QVERIFY2(manager.errorString().contains(u"api"_s), qPrintable(manager.errorString()));
}

void tst_RestartDelays::jitterStaysWithinItsBoundsAndFollowsTheSeed()
{
    const auto delays = [](std::optional<quint64> seed) -> QList<qint64> {
        VirtualClock clock;
        ScriptedService db(u"db"_s);
        RestartPolicy policy = quick(Mode::OnFailure, 100);
        policy.initialDelay = policy.maxDelay = 1000ms; // every delay 1 s before the jitter
        policy.jitter = 0.2;
        db.setRestartPolicy(policy);
        ServiceManager manager(&db);
        if (seed)
            manager.setJitterSeed(*seed);
        QList<qint64> seen;
        QObject::connect(&db, &QService::restartScheduled,
                         [&seen](qint64 delay) { seen.append(delay); });
        runBlocking(manager.start());
        for (int i = 0; i < 20; ++i) {
            db.addTask(crashNow("boom"));
            if (!QTest::qWaitFor([&] { return db.state() == State::Failed; }))
                return {};
            clock.advanceBy(std::chrono::milliseconds(seen.last()));
            if (!QTest::qWaitFor([&] { return db.state() == State::Running; }))
                return {};
        }
        runBlocking(manager.stop());
        return seen;
    };
    const QList<qint64> first = delays(7), again = delays(7), other = delays(8);
    QCOMPARE(first.size(), 20);
    QCOMPARE(first, again); // the same seed, the same delays
    QVERIFY(first != other);
    for (const qint64 delay : first)
        QVERIFY2(delay >= 800 && delay <= 1200, qPrintable(QString::number(delay)));
    QVERIFY(std::adjacent_find(first.begin(), first.end(), std::not_equal_to<>()) != first.end());
}

// root wants telemetry (optionally) and runs on while telemetry waits out its backoff; a crash
// of root then joins that restart: one round, the longest delay, telemetry before root.
void tst_RestartDelays::aCrashDuringTheBackoffJoinsTheRestart()
{
    VirtualClock clock;
    EventLog log;
    ScriptedService telemetry(u"telemetry"_s, &log), root(u"root"_s, &log);
    RestartPolicy slow = quick();
    slow.initialDelay = slow.maxDelay = 10s;
    telemetry.setRestartPolicy(slow);
    root.setRestartPolicy(quick());
    root.deps = {optional(&telemetry)};
    ServiceManager manager(&root);
    QSignalSpy scheduled(&manager, &ServiceManager::restartScheduled);
    manager.requestStart();
    QVERIFY(clock.advanceUntilIdle(1s));
    telemetry.addTask(crashNow("lost the collector"));
    QTRY_COMPARE(telemetry.restartDelayMs(), 10000);
    QCOMPARE(root.state(), State::Running); // it only wants telemetry
    clock.advanceBy(5s);
    root.addTask(crashNow("out of memory"));
    QTRY_COMPARE(root.restartDelayMs(), 10000); // joined: the longest delay asked
    log.clear();
    clock.advanceBy(4s);
    QCOMPARE(telemetry.startCalls, 1); // the delay runs again from the join
    QVERIFY(clock.advanceUntilIdle(1min));
    QCOMPARE(manager.state(), State::Running);
    QCOMPARE(log.only(u":start"_s), QStringList({u"telemetry"_s, u"root"_s}));
    QCOMPARE(manager.restartCount(), 1); // one round
    QCOMPARE(scheduled.count(), 2);      // telemetry's, then root joining it
    manager.requestStop();
    QVERIFY(clock.advanceUntilIdle(1min));
    QCOMPARE(manager.state(), State::Stopped);
}

// A task of api that fails while api is stopped for db's restart: a crash during the restart's
// own stop joins it (api is restarted with db; the graph runs on).
void tst_RestartDelays::aCrashDuringTheRestartsOwnStopJoinsIt()
{
    VirtualClock clock;
    ScriptedService db(u"db"_s), api(u"api"_s);
    api.deps = {&db};
    db.setRestartPolicy(quick());
    ServiceManager manager(&api);
    manager.requestStart();
    QVERIFY(clock.advanceUntilIdle(1s));
    api.addTask([](ScriptedService *service) -> QCoro::Task<> {
        try {
            co_await service->sleepFor(1h);
        } catch (const Cancelled &) {
            throw std::runtime_error("could not flush");
        }
    }(&api));
    QSignalSpy errors(&manager, &ServiceManager::errorOccurred);
    db.addTask(crashNow("lost the disk"));
    clock.advanceBy(1min); // the restart's delays are 10 ms
    QTRY_COMPARE(api.state(), State::Running);
    QCOMPARE(manager.state(), State::Running);
    QCOMPARE(db.startCalls, 2);
    QCOMPARE(api.startCalls, 2);
    QCOMPARE(api.state(), State::Running);
    QCOMPARE(errors.count(), 2); // db's crash, then api's failing task, both restarted
    QCOMPARE(manager.restartCount(), 1);
    manager.requestStop();
    QVERIFY(clock.advanceUntilIdle(1min));
    QCOMPARE(manager.state(), State::Stopped);
}

QTEST_GUILESS_MAIN(tst_RestartDelays)
#include "tst_restartdelays.moc"
