#pragma once

// What the property test records while a scenario runs: per cycle and per service, the state
// sequence, the hooks' calls and outcomes and the faults that actually fired, plus the
// violations seen on the spot (ordering rules are checked at the moment a hook begins).

#include "policies.h"
#include "scenario.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QtCore/QCoreApplication>
#include <QtCore/QTimer>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace QLifecycle::Property {

// What the library says of an exception that is not a std::exception (docs/lifecycle.md,
// "Failures"): the text a probe expects, written here, not asked of the library.
const QString &nonStdText();

// A wait that ignores cancellation, on a precise timer: code that does not cooperate, and the
// driver's pauses between lifecycle calls.
struct PreciseSleep {
    std::chrono::milliseconds delay;
    bool await_ready() const noexcept { return delay.count() <= 0; }
    void await_suspend(std::coroutine_handle<> handle) const
    {
        QTimer::singleShot(delay, Qt::PreciseTimer, QCoreApplication::instance(),
                           [handle] { handle.resume(); });
    }
    void await_resume() const noexcept {}
};

// How much longer than its timeout a Timeout fault waits: the deadline (a precise timer armed
// right after the hook began) fires first.
constexpr int TimeoutMarginMs = 10;

// One turn through the thread's posted events: what was queued before it (the manager's
// deadline check, queued by its timer) has run when it resumes. A Timeout fault awaits it before
// it looks at its state: a loop stalled past both timers (a loaded machine) activates them in
// one pass, the deadline's first, so the check is queued but has not run yet.
struct AfterPostedEvents {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> handle) const
    {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(), [handle] { handle.resume(); }, Qt::QueuedConnection);
    }
    void await_resume() const noexcept {}
};

// A failure the manager must report: the service saw its fault fire.
struct Expected {
    Phase phase = Phase::Start;
    QString task;    // Run phase: the task's name; empty otherwise
    QString message; // the exact message, or its beginning when `prefix`
    bool prefix = false;
    bool optional = false; // may also be missing (a deleted service)
};

// Restarts (restarts.h): one event of a service, numbered in the order of the whole scenario.
enum class MarkKind : quint8 {
    State,       // stateChanged to `value`
    StartCall,   // start() began; value 1 when it outlasts its timeout
    StartReturn, // start() returned normally; value 1 when the run accepted it
    StartThrow,  // start() threw its fault
    StartCancel, // start() ended with Cancelled
    StopCall,
    StopEnd,   // stop() returned or threw
    Scheduled, // QService::restartScheduled; value 1 when for its own failure
};

struct Mark {
    qint64 seq = 0;
    MarkKind kind = MarkKind::State;
    int incarnation = 0; // the start() call it belongs to, 1 for the first of the run
    int value = 0;
};

struct ServiceRun {
    QList<QService::State> states;
    std::vector<Mark> marks; // restarts only
    int startCalls = 0;
    int startReturns = 0;       // start() returned normally
    int startCancels = 0;       // start() ended with Cancelled
    bool startAccepted = false; // it returned while the run still waited for it
    int stopCalls = 0;
    int stopReturns = 0;
    std::vector<Expected> fired;
    int refusedTasks = 0;
    int errorSignals = 0;   // QService::errorOccurred
    bool destroyed = false; // re-entrancy: deleted by a slot during this run
};

// One run of the graph. Each cycle has one; with re-entrancy, a slot calling requestStart()
// on a stopped graph adds runs to its cycle, recorded after those of every cycle.
struct CycleRun {
    std::vector<ServiceRun> services;
    QList<QService::State> managerStates;
    int managerErrorSignals = 0; // ServiceManager::errorOccurred
    int cycle = 0;               // the scenario cycle whose behaviours it plays
    int restart = 0;             // 0 for the run the driver started, then 1, 2...
    bool stopRequested = false;  // the test asked for a stop during this run
    QList<Failure> final;        // its failures, read when it ended (the last run: after it)
    // Start policies: the services an accepted ensureRunning() asked for, with what they need
    // (marked before the call), and whether a stop the test asked for came before any failure.
    std::vector<char> demanded;
    bool stopFirst = false;
    double startProgress = -1, stopProgress = -1; // the last values seen in this run
    // Restarts (restarts.h): every failure the manager reported (errorOccurred), each
    // ServiceManager::restartScheduled, each restartsExhausted, the manager's states, numbered
    // like the services' marks.
    struct Reported {
        qint64 seq;
        int service;
        Phase phase;
        QString message;
        // When the service's own errorOccurred came, before any slot of the test's: a slot on
        // it may ask for a stop, which the failure's decision preceded.
        qint64 decided;
    };
    struct Scheduled {
        qint64 seq;
        int service;
        int round; // the manager's restartCount when it was emitted
        QStringList members;
    };
    struct Exhausted {
        qint64 seq;
        int service;
        int round; // the manager's restartCount when it was emitted
        QString reason;
    };
    std::vector<Reported> reported;
    std::vector<Scheduled> scheduled;
    std::vector<Exhausted> exhausted;
    std::vector<std::pair<qint64, QService::State>> managerMarks;
    int restartCount = 0;       // the last restartCountChanged
    qint64 stopRequestSeq = -1; // the test's first stop request
};

struct DemandRecord;

// The shared state of one scenario's run.
class Probe
{
public:
    explicit Probe(const Scenario &scenario);

    const Scenario &scenario() const { return m_scenario; }
    // The run being recorded: run c is cycle c's first; with re-entrancy, restarts append
    // runs (newRun()). Every `cycle` argument below is such a run index.
    int cycle() const { return m_cycle; }
    void setCycle(int cycle) { m_cycle = cycle; }
    int newRun();
    const Behaviour &behaviour(int cycle, int service) const
    {
        return m_scenario.cycles[size_t(m_runs[size_t(cycle)].cycle)].behaviours[size_t(service)];
    }
    HookLoops hookLoops(int cycle, int service) const;
    ServiceRun &record(int cycle, int service)
    {
        return m_runs[size_t(cycle)].services[size_t(service)];
    }
    CycleRun &cycleRun(int cycle) { return m_runs[size_t(cycle)]; }
    const std::deque<CycleRun> &runs() const { return m_runs; }

    // Services that must be Running while `service` starts, runs and stops: its dependencies
    // and, in each dependent's list, the services of the stages before its own.
    const std::vector<int> &before(int service) const { return m_before[size_t(service)]; }
    // The reverse: services that must have stopped before `service` stops.
    const std::vector<int> &after(int service) const { return m_after[size_t(service)]; }

    void setServices(std::vector<QService *> services);
    // Null once destroyed.
    QService *service(int index) const
    {
        return m_destroyed[size_t(index)] ? nullptr : m_services[size_t(index)];
    }

    // Start policies (policies.h): the model of run `cycle`'s policies.
    const PolicyModel &model(int cycle) const
    {
        return m_models[size_t(m_runs[size_t(cycle)].cycle)];
    }
    bool demanded(int cycle, int service) const
    {
        const std::vector<char> &marks = m_runs[size_t(cycle)].demanded;
        return !marks.empty() && marks[size_t(service)];
    }
    // Marks `service` and what it needs as asked for in the current run.
    void markDemanded(int service);
    // ensureRunning() calls (demands.h), and the coroutines that follow them.
    std::vector<std::shared_ptr<DemandRecord>> demands;
    std::vector<QCoro::Task<>> demandTasks;
    bool stoppingDemandsMade = false; // the cycle's WhileStopping demands

    void violation(const QString &what);
    // A behaviour of the library that departs from docs/lifecycle.md in a known way
    // (policies.h): a violation when the scenario is strict, else noted apart.
    void knownIssue(KnownIssue issue, const QString &what);
    const QString &knownIssueSeen(KnownIssue issue) const { return m_knownIssues[issue]; }
    const QStringList &violations() const { return m_violations; }

    // Checked when a hook begins, when a service reaches Running and when it begins stopping
    // (`stopping`: leases, which hold across the soft edges of start policies too).
    void checkBeforeRunning(int service, const char *when, bool stopping);
    void checkAfterStopped(int service, const char *when);

    // Coroutine hooks and tasks still alive, and thread-pool callables not yet destroyed.
    int liveCoroutines = 0;
    std::shared_ptr<std::atomic<int>> livePool = std::make_shared<std::atomic<int>>(0);

    // ---- re-entrancy (reentrancy.cpp) ----
    bool reentrant() const { return m_scenario.reentrancy.has_value(); }
    ServiceManager *manager = nullptr;
    bool reactionsArmed = false;    // slots act only while the driver runs a cycle
    bool restartsOpen = false;      // requestStart() may restart a stopped graph
    bool deletionRequested = false; // a slot called deleteLater() on a service
    bool tearingDown = false;       // the scenario's objects are being destroyed
    // Marks the current run as one the test asked to stop.
    void noteStopRequest()
    {
        CycleRun &run = m_runs[size_t(m_cycle)];
        run.stopRequested = true;
        if (run.stopRequestSeq < 0)
            run.stopRequestSeq = nextSeq();
    }
    // Restarts: the cycle's extra hold.
    int extraHoldMs() const
    {
        return restarts() ? m_scenario.restarts->extraHoldMs[size_t(m_runs[size_t(m_cycle)].cycle)]
                          : 0;
    }
    // Restarts: the order of events, and one event of a service in the current run.
    qint64 nextSeq() { return ++m_seq; }
    bool restarts() const { return m_scenario.restarts.has_value(); }
    void mark(int cycle, int service, MarkKind kind, int incarnation, int value = 0)
    {
        if (restarts())
            record(cycle, service).marks.push_back({nextSeq(), kind, incarnation, value});
    }
    // From ~ProbeService: a destruction while the graph needs the service is a failure of the
    // run naming it.
    void serviceDestroyed(int index);
    bool destroyedByTest(int index) const { return m_destroyedByTest[size_t(index)]; }

private:
    // Whether the current run still needs service `index`, which shows `state`.
    enum class Need : quint8 { No, Yes, Maybe };
    Need runNeeds(int index, QService::State state) const;

    const Scenario &m_scenario;
    int m_cycle = 0;
    qint64 m_seq = 0;
    std::deque<CycleRun> m_runs; // stable references while runs are appended
    std::vector<std::vector<int>> m_before, m_after;
    std::vector<PolicyModel> m_models; // per scenario cycle
    std::vector<QService *> m_services;
    std::vector<bool> m_destroyed, m_destroyedByTest;
    QStringList m_violations;
    QString m_knownIssues[KnownIssueCount]; // the first case of each
};

// Keeps Probe::liveCoroutines up while a coroutine body runs (a local of the coroutine).
class LiveCoroutine
{
public:
    explicit LiveCoroutine(Probe *probe) : m_probe(probe) { ++m_probe->liveCoroutines; }
    ~LiveCoroutine() { --m_probe->liveCoroutines; }
    LiveCoroutine(const LiveCoroutine &) = delete;
    LiveCoroutine &operator=(const LiveCoroutine &) = delete;

private:
    Probe *m_probe;
};

// A service that plays its Behaviour of the current cycle and reports to the Probe.
class ProbeService : public QService
{
public:
    using QService::setRestartPolicy; // restarts.cpp
    using QService::sleepFor;         // for the task functions of probe.cpp
    ProbeService(Probe *probe, int index);
    ~ProbeService() override;
    Dependencies deps;

protected:
    QCoro::Task<> start() override;
    QCoro::Task<> stop() override;
    Dependencies dependencies() const override { return deps; }
    std::chrono::milliseconds gracefulShutdownTimeout() const override;
    std::optional<std::chrono::milliseconds> startTimeout() const override;

private:
    void addTasks(int cycle, const Behaviour &b);
    QString token(int cycle, const char *what) const;

    Probe *m_probe;
    int m_index;
};

} // namespace QLifecycle::Property
