#pragma once

#include <QtCore/QBindable>
#include <QtCore/QFuture>
#include <QtCore/QObject>
#include <QtCore/QProperty>
#include <QtCore/QString>

#include <QCoro/QCoroTask>

#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <QLifecycle/dependencies.h>
#include <QLifecycle/error.h>
#include <QLifecycle/qlifecycle_export.h>
#include <QLifecycle/restartpolicy.h>
#include <QLifecycle/taskoptions.h>

class QDebug;

namespace QLifecycle {

class ServiceManager;
class QServicePrivate;

/*! \cond internal */
// What the declarations below need of <QLifecycle/impl/qservice_impl.h>, included at the end.
namespace impl {
class SleepWait;
template<typename T>
class FutureWait;
template<typename Sender, typename Signal>
class SignalWait;

template<typename>
inline constexpr bool isTask = false;
template<typename T>
inline constexpr bool isTask<QCoro::Task<T>> = true;
template<typename>
inline constexpr bool isFuture = false;
template<typename T>
inline constexpr bool isFuture<QFuture<T>> = true;
// A callable returning a QCoro::Task: a coroutine task for the library to start.
template<typename F>
concept MakesTask = std::is_invocable_v<F> && isTask<std::decay_t<std::invoke_result_t<F>>>;
} // namespace impl
/*! \endcond */

/*!
 * A service: something an application starts before it can work and stops before it exits
 * (a database connection, a cache, a server, a device).
 *
 * Subclass it and override only what you need; an override never calls the base class:
 * \code
 * class Database : public QLifecycle::QService {
 *     Q_OBJECT
 * protected:
 *     QCoro::Task<> start() override { co_await m_connection.open(); }
 *     QCoro::Task<> stop() override { m_connection.close(); co_return; }
 * };
 * \endcode
 *
 * A service is started and stopped by a ServiceManager, never by itself: the manager reads
 * dependencies(), starts what the service needs first, and stops it in the exact reverse
 * order. The manager alone changes state() and emits stateChanged() and errorOccurred(),
 * exactly once per transition, always on the manager's thread.
 *
 * \sa ServiceManager, Dependencies
 */
class QLIFECYCLE_EXPORT QService : public QObject
{
    Q_OBJECT
    /*! Where the service is in its lifecycle. Read-only; bindable from C++ and QML. */
    Q_PROPERTY(QLifecycle::QService::State state READ state NOTIFY stateChanged BINDABLE
                   bindableState FINAL)
    /*! Why the last run failed ("start failed: ..."), empty unless state is Failed. */
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged BINDABLE
                   bindableErrorString FINAL)
    /*! A readable name: objectName() if set, else the class name. */
    Q_PROPERTY(QString name READ name NOTIFY nameChanged FINAL)
    /*! How long the last start() took in milliseconds, -1 before the first start returned. */
    Q_PROPERTY(qint64 startDurationMs READ startDurationMs NOTIFY startDurationMsChanged BINDABLE
                   bindableStartDurationMs FINAL)
    /*! How long the last stop took in milliseconds, -1 before the first stop ended. */
    Q_PROPERTY(qint64 stopDurationMs READ stopDurationMs NOTIFY stopDurationMsChanged BINDABLE
                   bindableStopDurationMs FINAL)
    /*! Background tasks added during the current (or last) run. */
    Q_PROPERTY(
        int taskCount READ taskCount NOTIFY taskCountChanged BINDABLE bindableTaskCount FINAL)
    /*! Of those, the tasks that have ended. */
    Q_PROPERTY(int finishedTaskCount READ finishedTaskCount NOTIFY finishedTaskCountChanged BINDABLE
                   bindableFinishedTaskCount FINAL)
    /*! Of those, the tasks still running: taskCount - finishedTaskCount. */
    Q_PROPERTY(int pendingTaskCount READ pendingTaskCount NOTIFY pendingTaskCountChanged BINDABLE
                   bindablePendingTaskCount FINAL)
    /*! When the manager starts the service (see StartPolicy); Eager unless set. */
    Q_PROPERTY(QLifecycle::QService::StartPolicy startPolicy READ startPolicy WRITE setStartPolicy
                   NOTIFY startPolicyChanged FINAL)
    // Supervision (docs/supervision.md)
    /*! Whether a final failure of this service leaves the graph running (docs/supervision.md). */
    Q_PROPERTY(bool optional READ isOptional WRITE setOptional NOTIFY optionalChanged FINAL)
    /*! How many times the manager restarted this service in the current (or last) run. */
    Q_PROPERTY(int restartCount READ restartCount NOTIFY restartCountChanged FINAL)
    /*! The delay of the restart this service waits for, in milliseconds; -1 when none. */
    Q_PROPERTY(qint64 restartDelayMs READ restartDelayMs NOTIFY restartDelayMsChanged FINAL)

public:
    /*!
     * The lifecycle states:
     * Stopped -> Starting -> Running -> Stopping -> Stopped, with Failed reached from
     * Starting (start failed) or Stopping (stop failed, or the run had crashed).
     * A Failed service can be started again, exactly like a Stopped one.
     */
    enum class State {
        Stopped,  //!< Never started, or stopped cleanly.
        Starting, //!< start() is running.
        Running,  //!< start() returned; the service is usable.
        Stopping, //!< Being stopped: its tasks are cancelled, then stop() runs.
        Failed,   //!< The last run ended with an error; see errorString().
    };
    Q_ENUM(State)

    /*!
     * When the manager starts a service (docs/lifecycle.md, "Start policies"). The manager is
     * Running once the services that start with the graph run: the root and what it needs,
     * except deferred services and what only they need. Nobody needs a deferred service to
     * start: a service that depends on one starts without waiting for it (and, once both run,
     * stops before it as usual). A deferred service itself waits for all its dependencies,
     * which start with it unless they run already. Deferred services never delay the manager's
     * Running state, nor the first frame.
     */
    enum class StartPolicy {
        Eager,           //!< With the graph, before the manager is Running (the default).
        AfterFirstFrame, //!< Once the manager is Running and the application's first window
                         //!< has presented its first frame (without windows: once the event
                         //!< loop runs).
        WhenIdle,        //!< After those, once the event loop has nothing else to do.
        OnDemand,        //!< When ServiceManager::ensureRunning() asks for it, or when a
                         //!< deferred dependent starts.
    };
    Q_ENUM(StartPolicy)

    /*! Constructs a stopped service. */
    explicit QService(QObject *parent = nullptr);
    /*! Destroys the service. Destroy services only while they are not running: a service
     *  destroyed while its graph needs it is a failure of that run (phase Run, naming it),
     *  and its manager stops the graph without calling the destroyed service again. */
    ~QService() override;

    /*! The current state. */
    State state() const;
    /*! The read-only bindable behind state. */
    QBindable<State> bindableState() const;
    /*! The error of the last run, or an empty string. */
    QString errorString() const;
    /*! The read-only bindable behind errorString. */
    QBindable<QString> bindableErrorString() const;
    /*! The failure behind errorString(), if the last run failed. */
    std::optional<Failure> failure() const;
    /*! objectName() if set, else the class name from the meta-object. */
    QString name() const;
    /*! Duration of the last completed start in milliseconds, or -1. */
    qint64 startDurationMs() const;
    /*! The read-only bindable behind startDurationMs. */
    QBindable<qint64> bindableStartDurationMs() const;
    /*! Duration of the last completed stop in milliseconds, or -1. */
    qint64 stopDurationMs() const;
    /*! The read-only bindable behind stopDurationMs. */
    QBindable<qint64> bindableStopDurationMs() const;
    /*! The manager whose run currently owns this service, or nullptr when none does. Its
     *  stopReason() tells a stop() why the application is stopping. */
    ServiceManager *manager() const;
    /*! When the manager starts this service. */
    StartPolicy startPolicy() const;
    /*! Sets when the manager starts this service; it applies from the next start of the
     *  graph (the manager reads it with dependencies()). */
    void setStartPolicy(StartPolicy policy);

    /*! \name Supervision (docs/supervision.md) */
    ///@{
    /*! When the manager restarts this service after a failure; Never unless set. */
    RestartPolicy restartPolicy() const;
    /*! True for an optional service: its final failure leaves the graph Running and the
     *  manager's health Degraded, naming it, until it runs again. */
    bool isOptional() const;
    /*! Makes the service optional (or critical again, the default); it applies from the next
     *  start of the graph. A service that requires a failed optional service stops with it
     *  and follows its own setting. */
    void setOptional(bool optional);
    /*! Restarts of this service in the current (or last) run of its graph. */
    int restartCount() const;
    /*! The delay of the restart this service waits for (it is Failed or Stopped meanwhile), in
     *  milliseconds; -1 when no restart is pending. */
    qint64 restartDelayMs() const;
    ///@}

    /*! Tasks added in the current (or last) run. */
    int taskCount() const;
    /*! The read-only bindable behind taskCount. */
    QBindable<int> bindableTaskCount() const;
    /*! Tasks of the current (or last) run that have ended. */
    int finishedTaskCount() const;
    /*! The read-only bindable behind finishedTaskCount. */
    QBindable<int> bindableFinishedTaskCount() const;
    /*! Tasks of the current (or last) run still running. */
    int pendingTaskCount() const;
    /*! The read-only bindable behind pendingTaskCount. */
    QBindable<int> bindablePendingTaskCount() const;

    /*!
     * The external-call guard: runs \a call (a callable returning a QCoro::Task) only while
     * the service is Running. The returned task throws LifecycleError at once when the service
     * is not running, and when it stops running while the call is in flight; a call that
     * completed first keeps its result.
     */
    template<typename F>
    auto whileRunning(F &&call) -> std::invoke_result_t<F>;

Q_SIGNALS:
    /*! Emitted exactly once per transition, with the new \a state, by the library only. */
    void stateChanged(QLifecycle::QService::State state, QPrivateSignal);
    /*! Emitted when errorString changes. */
    void errorStringChanged(const QString &errorString, QPrivateSignal);
    /*! Emitted when name changes (that is, when objectName changes). */
    void nameChanged(const QString &name, QPrivateSignal);
    /*! Emitted at the moment a failure happens (before the state settles on Failed). */
    void errorOccurred(QLifecycle::Phase phase, const QString &message, QPrivateSignal);
    /*! Emitted when startDurationMs changes. */
    void startDurationMsChanged(qint64 ms, QPrivateSignal);
    /*! Emitted when stopDurationMs changes. */
    void stopDurationMsChanged(qint64 ms, QPrivateSignal);
    /*! Emitted when taskCount changes. */
    void taskCountChanged(int count, QPrivateSignal);
    /*! Emitted when finishedTaskCount changes. */
    void finishedTaskCountChanged(int count, QPrivateSignal);
    /*! Emitted when pendingTaskCount changes. */
    void pendingTaskCountChanged(int count, QPrivateSignal);
    /*! Emitted when startPolicy changes. */
    void startPolicyChanged(QLifecycle::QService::StartPolicy policy, QPrivateSignal);
    /*! Emitted when optional changes. */
    void optionalChanged(bool optional, QPrivateSignal);
    /*! Emitted when restartCount changes. */
    void restartCountChanged(int count, QPrivateSignal);
    /*! Emitted when restartDelayMs changes. */
    void restartDelayMsChanged(qint64 ms, QPrivateSignal);
    /*! Emitted when this service is to be restarted after \a delayMs, because of \a reason
     *  (its own failure, or that of a service it needs). */
    void restartScheduled(qint64 delayMs, const QString &reason, QPrivateSignal);

protected:
    /*!
     * \name Background tasks
     * Work that lives as long as the service, added by the service's own code while it is
     * Starting or Running (these are protected: a subclass that wants others to add tasks can
     * say `using QService::addTask;` in its public section). On stop
     * every task is cancelled, newest first, and awaited (within the graceful shutdown
     * timeout) before stop() is called. A task's exception is a crash of the service (the
     * manager stops the whole graph) unless the code awaiting its future with waitFor()
     * receives it. Added before start, once stopping began or from another thread, a task
     * does not run: the future comes back canceled and a warning is logged.
     */
    ///@{
    /*! Runs a coroutine on the event loop. Its cancellable waits wake with Cancelled on stop.
     *  It has already run up to its first suspension when this is called (QCoro tasks start
     *  at once); if the task is refused, the waits it is suspended in are cancelled. */
    template<typename T>
    QFuture<T> addTask(QCoro::Task<T> &&task, const TaskOptions &options = {});
    /*!
     * Runs the coroutine that \a makeTask returns (`addTask([this] { return poll(); })`): the
     * task is registered first, then the callable is called, so that the tasks the coroutine
     * adds before its first suspension are known to be its children (cancelled before it).
     * Prefer this form for coroutines that add tasks. A refused task is never called.
     */
    // clang-format off
    template<typename F>
        requires impl::MakesTask<F>
    auto addTask(F &&makeTask, const TaskOptions &options = {})
        -> QFuture<typename std::invoke_result_t<F>::value_type>;
    // clang-format on
    /*! Adopts a future: cancelled on stop, awaited like any task. */
    template<typename T>
    QFuture<T> addTask(const QFuture<T> &future, const TaskOptions &options = {});
    /*!
     * Runs \a function on a thread pool (options.pool, else the manager's pool): the one way
     * to choose another thread than the service's. It may take a `QPromise<T> &` to report
     * results and check isCanceled(); else its return value is the result. Its result and
     * exception come back to this thread before anything else happens.
     */
    template<typename F>
    auto addPoolTask(F &&function, const TaskOptions &options = {});
    /*! \cond internal */
    // A callable that does not return a QCoro::Task: addTask() never guesses a thread for it.
    // clang-format off (clang-format 14 cannot lay out requires-clauses)
    template<typename F>
    requires(!impl::isTask<std::decay_t<F>> && !impl::isFuture<std::decay_t<F>> &&
             !impl::MakesTask<F>) void addTask(F && /*function*/,
                                               const TaskOptions & /*options*/ = {})
    {
        static_assert(impl::isTask<F>, "addTask() runs coroutines on the service's thread "
                                       "(a callable returning a QCoro::Task); run a callable "
                                       "on a thread pool with addPoolTask()");
    }
    // clang-format on
    /*! \endcond */
    /*!
     * Starts \a child (and its dependencies) while this service runs, as a task: the child
     * stops before this service's own stop(). With options.daemon, a child that stops while
     * this service runs is a crash. A child that fails is a crash of this service.
     */
    QFuture<void> addChild(QService *child, const TaskOptions &options = {});
    ///@}

    /*!
     * \name Cancellable waits
     * To `co_await` in a task or in start(): when the service stops they throw Cancelled at
     * once, which unwinds the coroutine. Use them on the service's thread.
     */
    ///@{
    /*! Sleeps for \a duration. */
    [[nodiscard]] impl::SleepWait sleepFor(std::chrono::milliseconds duration) const;
    /*! Waits for \a future: returns its result, rethrows its exception, throws Cancelled if
     *  it was canceled. Awaiting a task's future this way takes charge of its exception. */
    template<typename T>
    [[nodiscard]] impl::FutureWait<T> waitFor(const QFuture<T> &future) const
    {
        return impl::FutureWait<T>(this, future);
    }
    /*! Waits for one emission of \a signal by \a sender, from any thread: true, or false
     *  after \a timeout (negative: none) or if the sender is destroyed first. */
    template<typename Sender, typename Signal>
    [[nodiscard]] impl::SignalWait<Sender, Signal>
    waitForSignal(const Sender *sender, Signal signal,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(-1)) const
    {
        return impl::SignalWait<Sender, Signal>(this, sender, signal, timeout);
    }
    /*! True in a task that has been cancelled, or once the service is cancelling its tasks. */
    bool isCancellationRequested() const;
    ///@}

    /*!
     * Brings the service up. Every dependency is Running when it is called. May suspend
     * freely (`co_await`). An exception (or the start timeout) is a start failure: the service
     * goes Failed and its stop() is not called. The default does nothing.
     */
    virtual QCoro::Task<> start();
    /*!
     * Takes the service down. Called only after a successful start(), while every dependency
     * is still Running. An exception or the graceful shutdown timeout marks the service
     * Failed; the rest of the graph is stopped regardless. The default does nothing.
     */
    virtual QCoro::Task<> stop();
    /*!
     * What must be running before this service starts, as ordered stages
     * (see Dependencies). Read once each time the manager starts. The default is none.
     */
    virtual Dependencies dependencies() const;
    /*!
     * How long the whole stop of this service may take before the manager abandons it,
     * marks the service Failed and goes on. The default is the manager's
     * defaultGracefulShutdownTimeout() (10 s unless changed).
     */
    virtual std::chrono::milliseconds gracefulShutdownTimeout() const;
    /*!
     * How long start() may take before it counts as a start failure; std::nullopt (the
     * default, unless the manager sets defaultStartTimeout()) means no limit.
     */
    virtual std::optional<std::chrono::milliseconds> startTimeout() const;

    /*! Sets when the manager restarts this service after a failure (docs/supervision.md); it
     *  applies from the next start of the graph. A policy with a negative delay, a multiplier
     *  below 1, a jitter outside [0, 1] or a negative maxRestarts is refused with a warning. */
    void setRestartPolicy(const RestartPolicy &policy);

    /*! Reimplemented to emit nameChanged() once someone listens; an override must call this
     *  base implementation. */
    void connectNotify(const QMetaMethod &signal) override;

    /*! \cond internal */
    // For services of the library that extend the private class (as KJob does).
    QService(QServicePrivate &dd, QObject *parent);
    /*! \endcond */

    // Health (docs/health.md): every declaration of it is in this block.
    /*! How well the running service works; Healthy unless set. Read-only; bindable. */
    Q_PROPERTY(QLifecycle::QService::Health health READ health NOTIFY healthChanged BINDABLE
                   bindableHealth FINAL)
    /*! Why health is what it is ("no answer from the database"); may be empty. */
    Q_PROPERTY(QString healthReason READ healthReason NOTIFY healthReasonChanged BINDABLE
                   bindableHealthReason FINAL)

public:
    /*!
     * How well a service works while it runs (docs/health.md). The service says it itself
     * (setHealth()) or the library asks it at an interval (checkHealth()). Every start begins
     * Healthy, with an empty reason.
     */
    enum class Health {
        Healthy,   //!< Works as it should.
        Degraded,  //!< Works, but not fully (slow, a fallback in use).
        Unhealthy, //!< Does not work; past the unhealthy grace period, a failure.
    };
    Q_ENUM(Health)

    /*!
     * What a health check returns: a health and why. Converts from a Health, so that
     * `co_return Health::Healthy;` and `co_return {Health::Degraded, u"slow"_s};` both work.
     */
    struct HealthStatus {
        /*! A status of \a health, with \a reason. */
        HealthStatus(Health health = Health::Healthy, QString reason = {})
            : health(health), reason(std::move(reason))
        {
        }
        Health health;  //!< The health found.
        QString reason; //!< Why; shown as healthReason.
    };

    /*! The current health. */
    Health health() const;
    /*! The read-only bindable behind health. */
    QBindable<Health> bindableHealth() const;
    /*! Why the service has its current health, or an empty string. */
    QString healthReason() const;
    /*! The read-only bindable behind healthReason. */
    QBindable<QString> bindableHealthReason() const;

Q_SIGNALS:
    /*! Emitted when health changes, after healthReason is up to date. */
    void healthChanged(QLifecycle::QService::Health health, QPrivateSignal);
    /*! Emitted when healthReason changes. */
    void healthReasonChanged(const QString &reason, QPrivateSignal);

protected:
    /*!
     * Sets the service's health and its \a reason (the push model). Any thread may call it: from
     * another thread the change arrives on the service's thread. A health check's result
     * replaces it at the next check.
     */
    void setHealth(Health health, const QString &reason = {});
    /*!
     * The health check (the polled model), called every healthCheckInterval while the service is
     * Running, never twice at once: the next call is scheduled when the previous one ends. Its
     * result becomes health and healthReason. An exception, or a check that takes longer than
     * the health check timeout, means Unhealthy with a reason naming it; a check that timed out
     * is not called again before it has ended. The default returns Healthy.
     */
    virtual QCoro::Task<HealthStatus> checkHealth();
    /*! Calls checkHealth() every \a interval while Running; 0 (the default) never calls it.
     *  Takes effect at once. Call it on the service's thread; negative values are refused. */
    void setHealthCheckInterval(std::chrono::milliseconds interval);
    /*! How long checkHealth() may take before it counts as Unhealthy (5 s unless set); applies
     *  from the next check. Zero or negative values are refused. */
    void setHealthCheckTimeout(std::chrono::milliseconds timeout);
    /*!
     * Unhealthy without interruption for longer than \a period while Running is a failure of the
     * running service, exactly like a crash of one of its tasks, with the message "unhealthy for
     * 30000 ms: " and the reason. 0 (the default) never escalates; negative values are refused.
     */
    void setUnhealthyGracePeriod(std::chrono::milliseconds period);
    // End of the health block.

private:
    Q_DECLARE_PRIVATE(QService)
    // Every property's storage is in the private class: adding one never changes the size of
    // QService, so applications built against an earlier 0.x.y release keep working.
    std::unique_ptr<QServicePrivate> const d_ptr;
};

/*! Shorthand for QService::State. */
using State = QService::State;

/*! Prints `QService(name, State)`; a null pointer prints `QService(nullptr)`. */
QLIFECYCLE_EXPORT QDebug operator<<(QDebug debug, const QService *service);

} // namespace QLifecycle

#include <QLifecycle/impl/qservice_impl.h>
