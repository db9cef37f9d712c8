#pragma once

// The six services of the dashboard. Like those of the console example they do no real work:
// each stands in for it by sleeping, long enough for the window to show it happening (starts
// of hundreds of milliseconds, background tasks whose counts change, stops that take time).
// Each can be told to fail its start (--fail-start), to crash once running (--crash), or to be
// flaky (--flaky): to crash now and then, and be restarted by the manager each time.
//
//   Sync         needs { Network, Cache, SearchIndex }   (the root; the three start together,
//                                                       but SearchIndex only after the first
//                                                       frame: Sync does not wait for it)
//   Cache        needs Database
//   SearchIndex  needs Database
//   Database     needs Settings
//   Network      needs Settings

#include <QLifecycle/QService>

#include <QCoro/QCoroTimer>

#include <QtCore/QRandomGenerator>
#include <QtCore/QThread>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

// What the services have in common: a start and a stop of a given duration, and the faults the
// command line can inject. A fault is injected into the next run only, so that Restart shows
// the recovery. A real service derives from QLifecycle::QService directly.
class DemoService : public QLifecycle::QService
{
    Q_OBJECT
public:
    DemoService(const QString &name, std::chrono::milliseconds startTime,
                std::chrono::milliseconds stopTime, const QLifecycle::Dependencies &dependencies)
        : m_startTime(startTime), m_stopTime(stopTime), m_dependencies(dependencies)
    {
        setObjectName(name); // the name the dashboard and the errors show
    }

    void injectStartFailure() { m_failStart = true; }
    void injectCrash(std::chrono::milliseconds after) { m_crashAfter = after; }

    // Crashes 2 to 5 s after each start; the manager restarts it (and what needs it) 1 s
    // later, then 2 s, at most 4 s, as long as that is not more than 10 times a minute.
    void makeFlaky()
    {
        setRestartPolicy({.mode = QLifecycle::RestartPolicy::OnFailure,
                          .initialDelay = 1s,
                          .maxDelay = 4s,
                          .maxRestarts = 10});
        m_flaky = true;
    }

protected:
    QLifecycle::Dependencies dependencies() const override { return m_dependencies; }

    QCoro::Task<> start() override
    {
        // A cancellable wait: closing the window while this service starts cuts it short.
        co_await sleepFor(m_startTime);
        if (m_failStart) {
            m_failStart = false;
            throw std::runtime_error("connection refused (injected)");
        }
        if (m_crashAfter) {
            addTask(crash(*m_crashAfter), {.name = QStringLiteral("fault")});
            m_crashAfter.reset();
        }
        if (m_flaky)
            addTask(flake(), {.name = QStringLiteral("flaky")});
        addWork();
    }

    // Stands in for a graceful stop: flushing, closing... Tasks have ended when it runs.
    QCoro::Task<> stop() override { co_await QCoro::sleepFor(m_stopTime); }

    // Adds the background tasks of a running service, if it has any.
    virtual void addWork() {}

private:
    // A task that throws: a crash of the service, which makes the manager stop everything.
    QCoro::Task<> crash(std::chrono::milliseconds after)
    {
        co_await sleepFor(after);
        throw std::runtime_error("connection lost after " + std::to_string(after.count()) +
                                 " ms (injected)");
    }

    // A connection that degrades, then drops: Degraded after a second, a crash 2 to 5 s after
    // the start.
    QCoro::Task<> flake()
    {
        const auto lifetime =
            std::chrono::milliseconds(QRandomGenerator::global()->bounded(2000, 5001));
        co_await sleepFor(1s);
        setHealth(Health::Degraded, QStringLiteral("packet loss"));
        co_await sleepFor(lifetime - 1s);
        throw std::runtime_error("connection dropped (flaky)");
    }

    std::chrono::milliseconds m_startTime;
    std::chrono::milliseconds m_stopTime;
    QLifecycle::Dependencies m_dependencies;
    bool m_failStart = false;
    bool m_flaky = false;
    std::optional<std::chrono::milliseconds> m_crashAfter;
};

// Reads the configuration. Quick, no dependencies.
class Settings : public DemoService
{
    Q_OBJECT
public:
    Settings() : DemoService(QStringLiteral("Settings"), 200ms, 100ms, {}) {}
};

// Opens the database (slowly), and keeps the connection alive with a daemon task.
class Database : public DemoService
{
    Q_OBJECT
public:
    explicit Database(Settings *settings)
        : DemoService(QStringLiteral("Database"), 700ms, 500ms, {settings})
    {
    }

protected:
    void addWork() override
    {
        // A daemon lives as long as the service: returning while it runs would be a crash.
        addTask(keepAlive(), {.name = QStringLiteral("keep-alive"), .daemon = true});
    }

private:
    QCoro::Task<> keepAlive()
    {
        for (;;)
            co_await sleepFor(1s); // on stop: throws QLifecycle::Cancelled at once
    }
};

// Brings the network up, and sends a heartbeat twice a second.
class Network : public DemoService
{
    Q_OBJECT
public:
    explicit Network(Settings *settings)
        : DemoService(QStringLiteral("Network"), 450ms, 250ms, {settings})
    {
    }

protected:
    void addWork() override
    {
        addTask(heartbeat(), {.name = QStringLiteral("heartbeat"), .daemon = true});
    }

private:
    QCoro::Task<> heartbeat()
    {
        for (;;)
            co_await sleepFor(500ms);
    }
};

// An in-memory cache over the database. No background work.
class Cache : public DemoService
{
    Q_OBJECT
public:
    explicit Cache(Database *database)
        : DemoService(QStringLiteral("Cache"), 300ms, 200ms, {database})
    {
    }
};

// Builds its index at start (the slowest start), then re-indexes on a thread pool until stopped.
class SearchIndex : public DemoService
{
    Q_OBJECT
public:
    explicit SearchIndex(Database *database)
        : DemoService(QStringLiteral("SearchIndex"), 1000ms, 300ms, {database})
    {
        // Built after the window's first frame: nobody needs it to start (Sync, which depends
        // on it, starts without waiting for it), and the manager is Running without it.
        setStartPolicy(StartPolicy::AfterFirstFrame);
    }

protected:
    void addWork() override
    {
        // A function on the manager's thread pool takes part in the stop by checking
        // isCanceled() between chunks of work.
        addPoolTask(
            [](QPromise<void> &promise) {
                while (!promise.isCanceled())
                    QThread::msleep(5); // one chunk of re-indexing
            },
            {.name = QStringLiteral("reindex")});
    }
};

// The root: synchronises with a server. Every 700 ms it starts a short upload task, so its task
// counts keep changing; its stop uploads what is pending, which takes a visible while.
class Sync : public DemoService
{
    Q_OBJECT
public:
    Sync(Network *network, Cache *cache, SearchIndex *searchIndex)
        : DemoService(QStringLiteral("Sync"), 350ms, 900ms, {{network, cache, searchIndex}})
    {
    }

protected:
    void addWork() override
    {
        addTask(syncLoop(), {.name = QStringLiteral("sync"), .daemon = true});
    }

private:
    QCoro::Task<> syncLoop()
    {
        for (int round = 1;; ++round) {
            co_await sleepFor(700ms);
            addTask(upload(), {.name = QStringLiteral("upload #%1").arg(round)});
        }
    }
    QCoro::Task<> upload() { co_await sleepFor(400ms); }
};
