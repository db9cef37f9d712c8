#pragma once

#include <QLifecycle/qservice.h>
#include <QLifecycle/servicemanager.h>
#include <QLifecycle/timesource.h>

#include <QtCore/QPointer>

#include <atomic>
#include <memory>

namespace QLifecycle {

class ServiceOwner;
namespace detail {
class TaskSet;
}

// A service's data, including the storage of its properties (qtimer_p.h does the same: the
// public class's size never changes), and the manager's access to it: the protected hooks and
// the state it alone may change.
class QServicePrivate
{
    Q_DECLARE_PUBLIC(QService)
public:
    explicit QServicePrivate(QService *service) : q_ptr(service) {}
    virtual ~QServicePrivate() = default;

    static QServicePrivate *get(QService *service) { return service->d_func(); }
    static const QServicePrivate *get(const QService *service) { return service->d_func(); }

    static QCoro::Task<> callStart(QService *service) { return service->start(); }
    static QCoro::Task<> callStop(QService *service) { return service->stop(); }
    static Dependencies dependenciesOf(const QService *service) { return service->dependencies(); }
    static std::chrono::milliseconds stopTimeoutOf(const QService *service)
    {
        return service->gracefulShutdownTimeout();
    }
    static std::optional<std::chrono::milliseconds> startTimeoutOf(const QService *service)
    {
        return service->startTimeout();
    }

    // The service's task set, made on first use (waits register with it even before a start).
    static const std::shared_ptr<detail::TaskSet> &tasksFor(const QService *service);
    // Begins a run: fresh per-run data now; Starting, a cleared error and zero task counts are
    // queued for the outside world (EmitQueue).
    static void beginStart(QService *service);
    static void setState(QService *service, QService::State state);
    // Records a failure now (the first of a run is the one shown) and queues the error string.
    // The caller queues the signal (queueErrorOccurred()) once every error string it changes is
    // queued, so that a slot on it reads them all up to date; then it sets the state.
    static void fail(QService *service, const Failure &failure);
    static void queueErrorOccurred(QService *service, const Failure &failure);
    static void setStartDuration(QService *service, qint64 ms)
    {
        get(service)->startDurationMs = ms;
    }
    static void setStopDuration(QService *service, qint64 ms) { get(service)->stopDurationMs = ms; }
    static void setErrorString(QService *service, const QString &text)
    {
        get(service)->errorString = text;
    }
    // Whether anything may see a change of one of its properties now: a connection to one of
    // its signals (QService::connectNotify()), or a binding or observer on the property (QML,
    // QProperty bindings). A change that nothing watches runs no foreign code, so it need not
    // wait in the EmitQueue.
    bool isWatched(const QUntypedPropertyData &property) const
    {
        return watched.load(std::memory_order_relaxed) ||
               q_ptr->bindingStorage()->bindingData(&property) != nullptr;
    }
    // The three counts change together: their signals are emitted once all three are set.
    static void setTaskCounts(QService *service, int total, int finished)
    {
        // All three are set before any is notified, as an update group would (which allocates).
        QServicePrivate *d = get(service);
        const bool totalChanged = d->taskCount.value() != total;
        const bool finishedChanged = d->finishedTaskCount.value() != finished;
        const bool pendingChanged = d->pendingTaskCount.value() != total - finished;
        d->taskCount.setValueBypassingBindings(total);
        d->finishedTaskCount.setValueBypassingBindings(finished);
        d->pendingTaskCount.setValueBypassingBindings(total - finished);
        if (totalChanged)
            d->taskCount.notify();
        if (finishedChanged)
            d->finishedTaskCount.notify();
        if (pendingChanged)
            d->pendingTaskCount.notify();
    }

    // The manager of the run that owns the service while that run is active, else nullptr.
    ServiceManager *activeManager() const;

    QPointer<ServiceManager> manager;       // the manager of the last run that included the service
    std::weak_ptr<ServiceOwner> owner;      // that run: it owns the service until it is over
    std::shared_ptr<detail::TaskSet> tasks; // the background tasks of the current or last run
    std::optional<Failure> failure;         // the failure of the current or last run
    std::atomic<bool> nameSignalConnected{false};
    std::atomic<bool> watched{false}; // something was connected to one of its signals
    QService::StartPolicy startPolicy = QService::StartPolicy::Eager;
    // Supervision (qservice_supervision.cpp): the policy (none: never restarted; allocated
    // only for a service that sets one, so that every start reads one pointer), and what the
    // run shows of restarts. Kept beside the start policy: a start reads them all.
    std::unique_ptr<RestartPolicy> restartPolicy;
    int restartCount = 0;
    qint64 restartDelayMs = -1;
    struct HealthMonitor;
    std::unique_ptr<HealthMonitor> healthMonitor; // health.cpp: see below
    bool healthReported = false; // a health was ever reported: a start has one to reset
    bool optional = false;       // its final failure leaves the graph running
    bool failedForGood = false;  // an optional service failed for good in this run: Degraded
    // Queue the change (EmitQueue): applied and signalled once the run's bookkeeping is done.
    static void queueRestartCount(QService *service, int count);
    static void queueRestartDelay(QService *service, qint64 ms);
    static void queueRestartScheduled(QService *service, qint64 delayMs, const QString &reason);

    QService *const q_ptr;

    // The emitters of the properties below (the signals are QService's).
    void notifyState(QService::State value);
    void notifyErrorString(const QString &value);
    void notifyStartDuration(qint64 value);
    void notifyStopDuration(qint64 value);
    void notifyTaskCount(int value);
    void notifyFinishedTaskCount(int value);
    void notifyPendingTaskCount(int value);

    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(QServicePrivate, QService::State, state,
                                         QService::State::Stopped, &QServicePrivate::notifyState)
    Q_OBJECT_BINDABLE_PROPERTY(QServicePrivate, QString, errorString,
                               &QServicePrivate::notifyErrorString)
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(QServicePrivate, qint64, startDurationMs, -1,
                                         &QServicePrivate::notifyStartDuration)
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(QServicePrivate, qint64, stopDurationMs, -1,
                                         &QServicePrivate::notifyStopDuration)
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(QServicePrivate, int, taskCount, 0,
                                         &QServicePrivate::notifyTaskCount)
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(QServicePrivate, int, finishedTaskCount, 0,
                                         &QServicePrivate::notifyFinishedTaskCount)
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(QServicePrivate, int, pendingTaskCount, 0,
                                         &QServicePrivate::notifyPendingTaskCount)

    // Health (src/service/health.cpp). The polling and escalation state is made when a service
    // first asks for either: most services never do.
    struct HealthMonitor {
        std::chrono::milliseconds interval{0};
        std::chrono::milliseconds timeout{5000};
        std::chrono::milliseconds grace{0};
        std::unique_ptr<TimeSource::Timer> poll;       // the next check, while Running
        std::unique_ptr<TimeSource::Timer> deadline;   // the timeout of the check that counts
        std::unique_ptr<TimeSource::Timer> escalation; // the end of the grace period
        quint64 checks = 0;                            // checks started, for their ids
        quint64 counting = 0;       // the id of the check whose result counts, or 0
        bool checking = false;      // a check runs (counted or not): no other starts
        qint64 unhealthySince = -1; // when Running and Unhealthy began to hold together
    };
    static HealthMonitor &monitorOf(QService *service);
    static QCoro::Task<QService::HealthStatus> callCheckHealth(QService *service)
    {
        return service->checkHealth();
    }
    // Applies a health now (from the EmitQueue, or at once when nothing watches it).
    static void setHealth(QService *service, QService::Health health, const QString &reason);
    // Arms or disarms polling and escalation for `state`, the state being applied: timers only,
    // no foreign code.
    static void superviseHealth(QService *service, QService::State state);
    static void startHealthCheck(QService *service);
    static void healthCheckEnded(QService *service, quint64 id, const QService::HealthStatus &s);
    static void healthCheckTimedOut(QService *service, quint64 id);
    static void escalateHealth(QService *service);
    void notifyHealth(QService::Health value);
    void notifyHealthReason(const QString &value);
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(QServicePrivate, QService::Health, health,
                                         QService::Health::Healthy, &QServicePrivate::notifyHealth)
    Q_OBJECT_BINDABLE_PROPERTY(QServicePrivate, QString, healthReason,
                               &QServicePrivate::notifyHealthReason)

    // Scratch space of DependencyGraph::build, valid while graphStamp is the current build's
    // stamp: the node id, and which service last listed this one (duplicate check). Cheaper
    // than hash tables for graphs of 100 000 services.
    quint64 graphStamp = 0;
    int graphNode = -1;
    quint64 listedStamp = 0;
    int listedBy = -1;
};

// The properties above live here, their bindings in the service's own binding storage.
inline QBindingStorage *qGetBindingStorage(QServicePrivate *d)
{
    return d->q_ptr->bindingStorage();
}
inline const QBindingStorage *qGetBindingStorage(const QServicePrivate *d)
{
    return d->q_ptr->bindingStorage();
}

} // namespace QLifecycle
