#pragma once

// The seven services of the example. None does real work: each stands in for something a daemon
// brings up before it serves (a configuration, a database connection, a search index...) by
// sleeping for a while, so that the order and the parallelism of the start and the stop are
// easy to see in the log.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QCoro/QCoroTimer>

#include <QtCore/QMetaEnum>
#include <QtCore/QRandomGenerator>
#include <QtCore/QThread>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>

using namespace std::chrono_literals;

// What the services below have in common: simulated work, plus the faults the command line
// can inject (--fail-start, --fail-stop, --slow-stop, --flaky) to show how the manager reacts
// to them.
// A real service derives from QLifecycle::QService directly.
class SimulatedService : public QLifecycle::QService
{
    Q_OBJECT
public:
    explicit SimulatedService(const QString &name, QObject *parent = nullptr) : QService(parent)
    {
        setObjectName(name); // the name the manager uses in its logs and errors
    }

    void injectStartFailure() { m_failStart = true; }
    void injectStopFailure() { m_failStop = true; }
    void injectSlowStop(std::chrono::milliseconds duration) { m_slowStop = duration; }
    // [snippet:console-flaky]
    // Crashes 2 to 5 s after each start; the manager restarts it, and what needs it, 1 s
    // later (then 2 s, at most 4 s; at most 10 times a minute).
    void makeFlaky()
    {
        setRestartPolicy({.mode = QLifecycle::RestartPolicy::OnFailure,
                          .initialDelay = 1s,
                          .maxDelay = 4s,
                          .maxRestarts = 10});
        m_flaky = true;
    }
    // [/snippet:console-flaky]

protected:
    // Stands in for `duration` of real work in start() (connecting, loading...). An exception
    // thrown by start() is a start failure: the service goes Failed, its stop() is not called,
    // and the manager stops again whatever had already started.
    QCoro::Task<> simulateStart(std::chrono::milliseconds duration)
    {
        co_await QCoro::sleepFor(duration);
        if (m_failStart)
            throw std::runtime_error("injected start failure");
        if (m_flaky) // a task that throws is a crash of the running service
            addTask(crashSoon(), {.name = QStringLiteral("flaky")});
    }

    // Stands in for `duration` of real work in stop() (flushing, closing...). An exception
    // thrown by stop() marks the service Failed, but the rest of the graph is still stopped.
    QCoro::Task<> simulateStop(std::chrono::milliseconds duration)
    {
        co_await QCoro::sleepFor(std::max(duration, m_slowStop));
        if (m_failStop)
            throw std::runtime_error("injected stop failure");
    }

private:
    QCoro::Task<> crashSoon()
    {
        co_await sleepFor(
            std::chrono::milliseconds(QRandomGenerator::global()->bounded(2000, 5001)));
        throw std::runtime_error("connection dropped (flaky)");
    }

    bool m_failStart = false;
    bool m_failStop = false;
    bool m_flaky = false;
    std::chrono::milliseconds m_slowStop{0};
};

// Reads the configuration everything else needs. No dependencies.
class Config : public SimulatedService
{
    Q_OBJECT
public:
    Config() : SimulatedService(QStringLiteral("Config")) {}

protected:
    QCoro::Task<> start() override { co_await simulateStart(20ms); }
    QCoro::Task<> stop() override { co_await simulateStop(5ms); }
};

// A database connection pool; needs the configuration.
class Database : public SimulatedService
{
    Q_OBJECT
public:
    explicit Database(Config *config)
        : SimulatedService(QStringLiteral("Database")), m_config(config)
    {
    }

protected:
    QLifecycle::Dependencies dependencies() const override { return {m_config}; }
    QCoro::Task<> start() override { co_await simulateStart(80ms); }
    QCoro::Task<> stop() override { co_await simulateStop(30ms); }

private:
    Config *m_config;
};

// An in-memory cache; also needs the configuration. Database and Cache share Config (a
// diamond): Config starts once, and stops only after both of them have stopped.
class Cache : public SimulatedService
{
    Q_OBJECT
public:
    explicit Cache(Config *config) : SimulatedService(QStringLiteral("Cache")), m_config(config) {}

protected:
    QLifecycle::Dependencies dependencies() const override { return {m_config}; }
    QCoro::Task<> start() override { co_await simulateStart(40ms); }
    QCoro::Task<> stop() override { co_await simulateStop(10ms); }

private:
    Config *m_config;
};

// Exports metrics. No dependencies. Its report is a periodic coroutine task on the event loop.
class Metrics : public SimulatedService
{
    Q_OBJECT
public:
    Metrics() : SimulatedService(QStringLiteral("Metrics")) {}

protected:
    QCoro::Task<> start() override
    {
        // A daemon task lives as long as the service: if it ever returned while Metrics runs,
        // that would be a crash. On stop it is cancelled before stop() is called.
        addTask(report(), {.name = QStringLiteral("report"), .daemon = true});
        co_await simulateStart(10ms);
    }
    QCoro::Task<> stop() override { co_await simulateStop(10ms); }

private:
    QCoro::Task<> report()
    {
        for (int round = 1;; ++round) {
            // A cancellable wait: on Ctrl-C it throws QLifecycle::Cancelled at once, which
            // unwinds this coroutine (no need to wait for the next second to come).
            co_await sleepFor(1s);
            std::printf("  Metrics: report #%d (%d task(s) running in Metrics)\n", round,
                        pendingTaskCount());
            std::fflush(stdout);
        }
    }
};

// A search index. No dependencies, but building the index makes it the slowest start. Once
// running, it keeps re-indexing on a thread pool until it is stopped.
class Search : public SimulatedService
{
    Q_OBJECT
public:
    Search() : SimulatedService(QStringLiteral("Search")) {}

protected:
    QCoro::Task<> start() override
    {
        co_await simulateStart(300ms);
        // A function run on the manager's thread pool. It checks isCanceled() between chunks
        // of work: that is how a thread-pool task takes part in a graceful stop.
        addPoolTask(
            [this](QPromise<void> &promise) {
                while (!promise.isCanceled()) {
                    QThread::msleep(5); // one chunk of indexing
                    ++m_passes;
                }
            },
            {.name = QStringLiteral("reindex")});
    }
    QCoro::Task<> stop() override
    {
        // Tasks end before stop() is called: the count is final here.
        std::printf("  Search: reindex task ended after %d passes\n", m_passes.load());
        std::fflush(stdout);
        co_await simulateStop(20ms);
    }

private:
    std::atomic<int> m_passes{0};
};

// Sends usage statistics. Nobody needs it to start: its start is deferred until the event loop
// is idle (QService::StartPolicy::WhenIdle), so the manager is Running, and the daemon serves,
// as soon as the six others run. Api depends on it (Api stops first) without waiting for it.
class Telemetry : public SimulatedService
{
    Q_OBJECT
public:
    Telemetry() : SimulatedService(QStringLiteral("Telemetry"))
    {
        setStartPolicy(StartPolicy::WhenIdle);
    }

protected:
    QCoro::Task<> start() override { co_await simulateStart(30ms); }
    QCoro::Task<> stop() override { co_await simulateStop(10ms); }
};

// The public API: the root of the graph, it needs everything else.
class Api : public SimulatedService
{
    Q_OBJECT
public:
    Api(Database *db, Cache *cache, Search *search, Metrics *metrics, Telemetry *telemetry)
        : SimulatedService(QStringLiteral("Api")), m_db(db), m_cache(cache), m_search(search),
          m_metrics(metrics), m_telemetry(telemetry)
    {
    }

protected:
    // Two stages: Database, Cache and Search start in parallel; Metrics starts once all three
    // run; then Api itself. The stop is the exact mirror: Api, Metrics, then the group.
    // Telemetry comes with the first group, but nobody waits for it (it is deferred).
    QLifecycle::Dependencies dependencies() const override
    {
        return {{m_db, m_cache, m_search, m_telemetry}, m_metrics};
    }
    QCoro::Task<> start() override { co_await simulateStart(50ms); }
    QCoro::Task<> stop() override
    {
        // Why the daemon stops, as a client would be told when its connection closes. No stop
        // of the graph (None): a restart after a failure of what it needs (--flaky).
        const auto reason = manager()->stopReason();
        std::printf("  Api: closing to clients (%s)\n",
                    reason == QLifecycle::ServiceManager::StopReason::None
                        ? "Restart"
                        : QMetaEnum::fromType<decltype(reason)>().valueToKey(int(reason)));
        std::fflush(stdout);
        co_await simulateStop(50ms); // drains open requests
    }

private:
    Database *m_db;
    Cache *m_cache;
    Search *m_search;
    Metrics *m_metrics;
    Telemetry *m_telemetry;
};
