#pragma once

#include <QLifecycle/error.h>
#include <QLifecycle/qservice.h>
#include <QLifecycle/servicemanager.h>

#include "graph/dependencygraph.h"
#include "service/serviceowner.h"
#include "tasks/oneshot.h"
#include "tasks/taskset.h"

#include <QLifecycle/restartpolicy.h>
#include <QLifecycle/timesource.h>

#include <QtCore/QPointer>
#include <QtCore/QRandomGenerator>

#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

namespace QLifecycle {

class ServiceManager;

// One start/stop cycle of a graph: fresh per-run state, made by each ServiceManager::start().
//
// It is an event-driven scheduler, not a tree of nested coroutines: each service's start()
// or stop() is watched by a small coroutine that reports back, and finishing a node only
// decrements counters and queues the nodes it unblocks. That keeps the native stack flat
// whatever the depth of the graph, and makes every decision in one place (advance()).
// Late completions of abandoned operations (timeouts, a run replaced by a newer one) are
// recognised by a per-node generation and ignored.
//
// Re-entrancy (docs/lifecycle.md, "Re-entrancy and nested event loops"): the bookkeeping never
// runs foreign code. What the outside world sees (states, signals, wake-ups) is queued in the
// EmitQueue and applied once the bookkeeping of a step is complete; hooks are called only at
// those points too. Foreign code may therefore re-enter the scheduler at any time, from a slot
// or from a nested event loop, and the schedule (deadlines included) goes on inside it.
class GraphRun : public ServiceOwner, public std::enable_shared_from_this<GraphRun>
{
public:
    enum class Stage { Starting, Running, Stopping, Done };

    GraphRun(ServiceManager *manager, DependencyGraph graph);
    ~GraphRun() override;
    GraphRun(const GraphRun &) = delete;
    GraphRun &operator=(const GraphRun &) = delete;

    // Starts the run. `spentMs`: how long the caller has kept the event loop busy already in
    // this turn (reading the graph), taken from the first slice of the scheduler.
    void begin(qint64 spentMs = 0);
    // Stops the graph; the first reason given is the run's (ServiceManager::stopReason()).
    void requestStop(ServiceManager::StopReason reason = ServiceManager::StopReason::Requested);
    // Deferred starts (docs/lifecycle.md, "Start policies"): asks for `service` (and what it
    // needs) to start now. An empty string once it is asked for, else why it cannot start.
    QString demand(QService *service);
    // Where a demanded service is: Running (true), on its way (std::nullopt), or it will not run
    // (false, with the reason in `why`).
    std::optional<bool> demandOutcome(QService *service, QString *why) const;
    // Fired (and replaced) whenever a demanded start ends, or the run stops: what
    // ServiceManager::ensureRunning() awaits between looks at demandOutcome().
    std::shared_ptr<detail::OneShot> demandChanged();
    ServiceManager::StopReason stopReason() const { return m_stopReason; }
    // The manager is being destroyed while the graph runs: stop the graph in the background,
    // keeping this run alive until it is done.
    void orphan();
    // ServiceOwner. A service of this run is being destroyed (QService's destructor): the run
    // forgets it, records the failure if it was needed, and stops the graph.
    void forget(QService *service) override;
    // A crash of a running (or starting) service: restarted if its policy says so
    // (graphrun_restart.cpp), else recorded, then the whole graph stops.
    void crash(QService *service, const QString &message, std::exception_ptr cause,
               bool cleanExit = false) override;
    // Queues the manager's aggregate health, computed again from this run's services.
    void healthChanged(QService *service) override;
    void stalled(QService *service, const QString &what, qint64 ms) override;
    bool isActive() const override { return m_stage != Stage::Done; }
    ServiceManager *owningManager() const override { return m_manager; }
    QThreadPool *threadPool() override;

    Stage stage() const { return m_stage; }
    ServiceManager *manager() const { return m_manager; }
    // The service whose start() or stop() of `run` runs on this thread now (up to its first
    // suspension, and not from an event loop that hook spins), else nullptr; `starting` tells
    // which hook.
    static QService *hookInProgress(const GraphRun *run, bool *starting = nullptr);
    QThread *thread() const { return m_context.thread(); }
    // Marks the code of a hook that runs now, before its first suspension.
    class HookScope
    {
    public:
        HookScope(const GraphRun *run, QService *service, bool starting);
        ~HookScope();
        HookScope(const HookScope &) = delete;
        HookScope &operator=(const HookScope &) = delete;
        static void forget(const QService *service);

    private:
        friend class GraphRun;
        const GraphRun *m_run;
        QService *m_service;
        bool m_starting;
        int m_loopLevel; // code in an event loop nested since then is not the hook's own
        HookScope *m_previous;
    };
    bool failed() const { return !m_failures.isEmpty(); }
    const QList<Failure> &failures() const { return m_failures; }
    const DependencyGraph &graph() const { return m_graph; }
    // Fired when every service runs, or when the run ends without getting there.
    detail::OneShot &whenStarted() { return m_started; }
    detail::OneShot &whenDone() { return m_done; }

private:
    enum class NodeState : quint8 { Idle, Starting, Running, StartFailed, Stopping, Stopped };
    struct Node { // 56 bytes: a graph of 100 000 services keeps 5.6 MB of them
        NodeState phase = NodeState::Idle;
        // Supervision (graphrun_restart.cpp), in what would be padding after the phase.
        bool inRestart = false;   // a member of the restart in progress
        bool stopPending = false; // a member still to stop before the restart's delay
        bool released = false;    // its Running counted down its dependents' waitingFor
        int waitingFor = 0;       // prerequisites not Running yet
        int leases = 0;           // running dependents not stopped yet
        quint32 generation = 0;   // bumped to disown the current operation
        int busyPrev = -1;        // the list of services starting or stopping now
        int busyNext = -1;
        qint64 begunAt = -1; // when its hook was called (ms of the time source); -1: not yet
        qint64 dueAt = -1;   // its deadline (ms of the time source), -1 for none
        qint64 timeout = -1; // its hook's timeout (ms), -1 for none: armed when the hook is called
        bool wanted = false; // to start in this run: early, or its moment came, or demanded
        bool early = false;  // starts with the graph: the manager is Running once these run
        bool parked = false; // an optional service failed for good (or what needs it): out of
                             // the run until a retry wants it again (graphrun_optional.cpp)
        QService::StartPolicy policy = QService::StartPolicy::Eager;
    };
    // A hook to call once what the outside world sees of its launch has been applied.
    struct PendingHook {
        int node = -1;
        quint32 generation = 0;
        bool starting = false;
    };

    static QCoro::Task<> watch(QCoro::Task<> operation, std::weak_ptr<GraphRun> run, int node,
                               quint32 generation);
    void follow(QCoro::Task<> operation, int node, quint32 generation);
    void callHook(QService *service, bool starting, int node, quint32 generation);
    void callPendingHook(PendingHook hook);
    static QCoro::Task<> shutdown(std::shared_ptr<detail::TaskSet> tasks, QService *service,
                                  std::weak_ptr<GraphRun> run, int node, quint32 generation);
    bool isCurrent(int node, quint32 generation) const;
    bool prepareStart(int node);
    bool prepareStop(int node);
    void finished(int node, quint32 generation, const std::exception_ptr &error);
    void complete(int node, quint32 generation, const std::exception_ptr &error);
    void timedOut(int node, quint32 generation); // bookkeeping only: the caller advances
    void armDeadline(int node);
    void armTimer(qint64 delayMs);
    void checkDeadlines();
    void settle(int node);
    void failStartNow(int node, const QString &message, std::exception_ptr cause);
    void markRunning(int node);
    void markStopped(int node);
    void recordFailure(int node, QLifecycle::Phase phase, const QString &message,
                       std::exception_ptr cause);
    void abandonTasks(QService *service);
    void abortStart();
    void enterStopping();
    void enterDone();
    void setManagerState(QService::State state);
    void markBusy(int node);
    void markIdle(int node);
    void publishProgress();
    void publishBusyNamesLater();
    void advance(qint64 spentMs = 0);
    void postResume();
    bool advanceStep();
    void setStopReason(ServiceManager::StopReason reason);
    // Deferred starts (graphrun_deferred.cpp).
    void markEarly();
    // Whether `node` waits for `prerequisite` before it starts: always, except an early node
    // for a deferred one (it is not needed to start; it stops after its dependents all the same).
    bool waitsFor(int node, int prerequisite) const
    {
        return !m_nodes[size_t(node)].early || m_nodes[size_t(prerequisite)].early;
    }
    // Supervision (graphrun_restart.cpp, docs/supervision.md).
    struct Supervised;
    // A failure of `node`: true if a restart takes it over; false if it is final (the caller
    // records it, with `message` completed by why it was not restarted, and stops the graph).
    bool superviseFailure(int node, QLifecycle::Phase phase, QString &message,
                          const std::exception_ptr &cause, bool cleanExit = false);
    qint64 backoffDelay(Supervised &supervised, qint64 now);
    void giveUpRestart(int node, const QString &why, QString &message);
    void joinRestart(int node, qint64 delayMs, const QString &reason);
    std::vector<int> collectRestartSet(int node);
    void keepOptionalOrder(std::vector<int> &added);
    void leaseRestartMembers(const std::vector<int> &added);
    bool launchRestartStop();            // one member's stop, if one may begin
    void restartMemberStopped(int node); // a member's stop ended, or its start never ran
    void armBackoff();
    void restartSet(); // the delay passed: the members start again
    void memberRunning(int node);
    void endRestart(); // every member runs again, or the graph stops
    void noteRunning(int node);
    void clearRestartRound(); // a failure while the members start again: what is left is free
    void showFailure(QService *service, const Failure &failure); // shown, not the run's
    // Optional services (graphrun_optional.cpp): a final failure of an optional service parks
    // it and what needs it (true), unless a service that needs it is not optional (false: the
    // caller fails the graph, with `message` completed by why).
    bool parkOptional(int node, QLifecycle::Phase phase, QString &message,
                      const std::exception_ptr &cause);
    void settleParked(int node);     // a parked node is out now: stopped, or never started
    void releaseOptional(int node);  // what waits for it through an optional stage goes on
    void unpark(int node);           // a retry: it may start again
    bool isParkedOut(int node) const // parked and settled: out of the run
    {
        const Node &out = m_nodes[size_t(node)];
        return out.parked && out.phase == NodeState::StartFailed && !out.inRestart;
    }
    void want(int node);
    void activate(QService::StartPolicy policy);
    void scheduleDeferred();
    void publishDeferred();
    void fireDemand();

    QPointer<ServiceManager> m_manager;
    DependencyGraph m_graph;
    std::vector<Node> m_nodes;
    std::deque<int> m_ready; // nodes to launch: starts while Starting, stops while Stopping
    Stage m_stage = Stage::Starting;
    bool m_stopRequested = false;
    bool m_aborting = false; // no new start: a start failed or a stop was requested
    bool m_resumePosted = false;
    PendingHook m_pendingHook;
    int m_inFlight = 0;
    int m_running = 0;         // nodes Running, barriers included
    int m_serviceCount = 0;    // service nodes
    int m_runningServices = 0; // service nodes Running (or Stopping): what progress shows
    int m_wanted = 0;          // nodes wanted (barriers included): the start waits for them
    int m_wantedServices = 0;  // of those, service nodes: what start progress counts
    int m_stopTotal = 0;       // services running when the stop began: what stop progress counts
    // The deferred starts' steps: 0 none yet, 1 waiting for the first frame, 2 those started,
    // 3 waiting for an idle loop, 4 every deferred policy activated.
    int m_deferredStep = 0;
    ServiceManager::StopReason m_stopReason = ServiceManager::StopReason::None;
    std::shared_ptr<detail::OneShot> m_demandChanged; // made when someone awaits a demand
    int m_busyHead = -1;
    int m_busyTail = -1;
    bool m_namesPosted = false;
    QList<Failure> m_failures;
    std::shared_ptr<GraphRun> m_self; // set by orphan(): the run keeps itself alive until done
    QObject m_context;                // for queued calls to this run, on its thread
    // The run's time: hooks' begin and deadlines, in ms of the time source in use.
    static qint64 now() { return TimeSource::current()->nowMs(); }
    std::unique_ptr<TimeSource::Timer> m_deadlineTimer; // one for every deadline: the earliest
    qint64 m_timerDueAt = -1;
    // Supervision: the services with a policy, and the restart in progress (one at a time:
    // failures meanwhile join it).
    struct Supervised {
        RestartPolicy policy;
        int inARow = 0;           // restarts in a row: the exponent of the backoff
        qint64 runningSince = -1; // when it last began running (TimeSource ms)
        std::deque<qint64> times; // its restarts within the policy's window
        int round = 0;            // the last round it counted towards
        QStringList history;      // the failures restarted, for the final error
    };
    std::unordered_map<int, Supervised> m_supervised;
    struct Restart {
        std::vector<int> members;
        int unstopped = 0; // members still to stop before the delay
        int toStart = 0;   // members not running again yet, once starting
        qint64 delayMs = 0;
        bool starting = false; // the delay passed: the members start again
        std::unique_ptr<TimeSource::Timer> timer;
    };
    std::unique_ptr<Restart> m_restart;
    std::deque<int> m_restartStops;    // members whose stop may begin (dependents stopped)
    std::deque<qint64> m_restartTimes; // the manager's restarts within its window
    int m_restartCount = 0;
    int m_round = 0;
    std::optional<QRandomGenerator> m_jitter;
    detail::OneShot m_started;
    detail::OneShot m_done;
};

} // namespace QLifecycle
