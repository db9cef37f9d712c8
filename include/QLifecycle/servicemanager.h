#pragma once

#include <QtCore/QBindable>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QProperty>
#include <QtCore/QStringList>

#include <QCoro/QCoroTask>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <QLifecycle/error.h>
#include <QLifecycle/qlifecycle_export.h>
#include <QLifecycle/qservice.h>

namespace QLifecycle {

class ServiceManagerPrivate;

/*!
 * Starts a graph of services in dependency order, with the greatest parallelism the declared
 * stages allow, and stops it in the exact reverse order, exhaustively and within the
 * services' timeouts.
 *
 * The one call a main() needs:
 * \code
 * int main(int argc, char *argv[]) {
 *     QCoreApplication app(argc, argv);
 *     Database db; Api api(&db);
 *     return QLifecycle::ServiceManager::run(api);
 * }
 * \endcode
 * or, from a coroutine:
 * \code
 * QLifecycle::ServiceManager manager(&api);
 * co_await manager.start();   // throws QLifecycle::Error after rolling back a failed start
 * co_await manager.wait();    // until requestStop(), a signal or a crash
 * \endcode
 *
 * The graph is read from the root's dependencies() once per start and validated before
 * anything starts. Everything happens on the thread the manager lives on.
 */
class QLIFECYCLE_EXPORT ServiceManager : public QObject
{
    Q_OBJECT
    /*! The aggregate state: Starting until every service runs, Running, Stopping (also while
     *  a failed start is rolled back), then Stopped after a clean run or Failed. */
    Q_PROPERTY(QLifecycle::QService::State state READ state NOTIFY stateChanged BINDABLE
                   bindableState FINAL)
    /*! The aggregate error of the last run (one failure a line), or an empty string. */
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged BINDABLE
                   bindableErrorString FINAL)
    /*! The root service given to the constructor. */
    Q_PROPERTY(QLifecycle::QService *root READ root CONSTANT FINAL)
    /*! The progress of the current operation, from 0 to 1: startProgress until a stop begins,
     *  then stopProgress (it rises again while stopping; never 1 when a stop begins). */
    Q_PROPERTY(double progress READ progress NOTIFY progressChanged BINDABLE bindableProgress FINAL)
    /*! The share of the services the start waits for (eager ones, and what they need) that
     *  run: 0 when a start begins, 1 once the manager is Running. Deferred services are
     *  counted apart (deferredCount). */
    Q_PROPERTY(double startProgress READ startProgress NOTIFY startProgressChanged BINDABLE
                   bindableStartProgress FINAL)
    /*! The share of the services running when the stop began that have stopped: 0 until a stop
     *  begins, rising to 1 as services stop. */
    Q_PROPERTY(double stopProgress READ stopProgress NOTIFY stopProgressChanged BINDABLE
                   bindableStopProgress FINAL)
    /*! How many services of the run wait for a deferred start (see QService::StartPolicy). */
    Q_PROPERTY(int deferredCount READ deferredCount NOTIFY deferredCountChanged BINDABLE
                   bindableDeferredCount FINAL)
    /*! Why the graph stops (or stopped): None while it starts or runs without a stop asked. */
    Q_PROPERTY(QLifecycle::ServiceManager::StopReason stopReason READ stopReason NOTIFY
                   stopReasonChanged BINDABLE bindableStopReason FINAL)
    /*! The names of the services whose start() is running now, in start order. */
    Q_PROPERTY(QStringList startingServices READ startingServices NOTIFY startingServicesChanged
                   BINDABLE bindableStartingServices FINAL)
    /*! The names of the services being stopped now (tasks, then stop()). */
    Q_PROPERTY(QStringList stoppingServices READ stoppingServices NOTIFY stoppingServicesChanged
                   BINDABLE bindableStoppingServices FINAL)
    /*! How many services the current (or last) run has. */
    Q_PROPERTY(int serviceCount READ serviceCount NOTIFY servicesChanged FINAL)
    /*! Restarts made in the current (or last) run, of every service (docs/supervision.md). */
    Q_PROPERTY(int restartCount READ restartCount NOTIFY restartCountChanged FINAL)

public:
    /*!
     * Why a graph stops (docs/lifecycle.md, "Stop reasons"). Every way an application is asked
     * to end carries one; the first reason of a run is kept, logged with the stop, and readable
     * from each service's stop() through `manager()->stopReason()`.
     */
    enum class StopReason {
        None,         //!< No stop asked in this run (yet).
        Requested,    //!< requestStop() or stop(), from the application's code.
        Quit,         //!< QCoreApplication::quit() or exit().
        WindowClosed, //!< The main window or the last window was closed.
        SessionEnd,   //!< The desktop session is ending (log out, shut down).
        Signal,       //!< SIGINT or SIGTERM.
        Failure,      //!< A service failed to start, crashed or was destroyed while needed.
    };
    Q_ENUM(StopReason)

    /*!
     * Asked before a quit stops the graph (setQuitGuard()): true to go on, false to keep the
     * application running. It may show a dialog and await the user's answer.
     */
    using QuitGuard = std::function<QCoro::Task<bool>(StopReason reason)>;

    /*! A manager for the graph below \a root (which it does not own). */
    explicit ServiceManager(QService *root, QObject *parent = nullptr);
    /*! Destroys the manager. Stop the graph first: a graph still running is stopped in the
     *  background (a warning is logged), and pending start(), stop() and wait() calls then
     *  throw Error ("the ServiceManager was destroyed") once it has stopped. */
    ~ServiceManager() override;

    /*! The root service. */
    QService *root() const;
    /*! The aggregate state: the states of the manager are those of a service. */
    QService::State state() const;
    /*! The read-only bindable behind state. */
    QBindable<QService::State> bindableState() const;
    /*! The aggregate error of the last run as text, or an empty string. */
    QString errorString() const;
    /*! The read-only bindable behind errorString. */
    QBindable<QString> bindableErrorString() const;
    /*! The aggregate error of the last run, if it failed. */
    std::optional<Error> error() const;
    /*! Every service of the current (or last) run, in the order they start. */
    QList<QService *> services() const;
    /*! The number of services(). */
    int serviceCount() const;
    /*! The current operation's progress (see the property). */
    double progress() const;
    /*! The read-only bindable behind progress. */
    QBindable<double> bindableProgress() const;
    /*! The start's progress (see the property). */
    double startProgress() const;
    /*! The read-only bindable behind startProgress. */
    QBindable<double> bindableStartProgress() const;
    /*! The stop's progress (see the property). */
    double stopProgress() const;
    /*! The read-only bindable behind stopProgress. */
    QBindable<double> bindableStopProgress() const;
    /*! Services waiting for a deferred start. */
    int deferredCount() const;
    /*! The read-only bindable behind deferredCount. */
    QBindable<int> bindableDeferredCount() const;
    /*! Why the graph stops or stopped, or None. */
    StopReason stopReason() const;
    /*! The read-only bindable behind stopReason. */
    QBindable<StopReason> bindableStopReason() const;
    /*! Services whose start() is running now. */
    QStringList startingServices() const;
    /*! The read-only bindable behind startingServices. */
    QBindable<QStringList> bindableStartingServices() const;
    /*! Services being stopped now. */
    QStringList stoppingServices() const;
    /*! The read-only bindable behind stoppingServices. */
    QBindable<QStringList> bindableStoppingServices() const;

    /*!
     * The application's manager: the one set with setApplicationManager(), else the one whose
     * run() is running, else nullptr. What a QML user interface shows when nobody told it
     * which manager to show (`Lifecycle.manager`, which follows its changes). Any thread may
     * call it.
     */
    static ServiceManager *applicationManager();
    /*!
     * Makes \a manager the application's manager (see applicationManager()), until it is
     * destroyed or another is set; nullptr clears it.
     */
    static void setApplicationManager(ServiceManager *manager);

    /*! The stop timeout of services that do not override gracefulShutdownTimeout(). */
    std::chrono::milliseconds defaultGracefulShutdownTimeout() const;
    /*! Sets the default stop timeout (10 s initially); it applies from the next stop. */
    void setDefaultGracefulShutdownTimeout(std::chrono::milliseconds timeout);
    /*! The start timeout of services that do not override startTimeout(); none initially. */
    std::optional<std::chrono::milliseconds> defaultStartTimeout() const;
    /*! Sets the default start timeout; std::nullopt means none. */
    void setDefaultStartTimeout(std::optional<std::chrono::milliseconds> timeout);

    /*! \name Supervision (docs/supervision.md) */
    ///@{
    /*! At most \a maxRestarts restarts of any of the graph's services within \a window (20 in
     *  60 s initially), on top of each service's own RestartPolicy: past it a failure is
     *  final. It applies from the next start. Negative values are refused with a warning. */
    void setRestartIntensity(int maxRestarts, std::chrono::milliseconds window);
    /*! The manager's intensity: at most this many restarts... */
    int maxRestarts() const;
    /*! ...within this window. */
    std::chrono::milliseconds restartWindow() const;
    /*! Seeds the jitter of restart delays, so that a test or a replay sees the same delays;
     *  without a seed they vary from run to run. It applies from the next start. */
    void setJitterSeed(quint64 seed);
    /*! Restarts made in the current (or last) run. */
    int restartCount() const;
    ///@}

    /*!
     * Starts the graph and completes once every service runs. If a start fails, what had
     * started is stopped again in reverse order and this throws the aggregate Error. If a
     * stop is requested meanwhile, it completes once the graph has stopped (check state()).
     * A no-op on a running graph; on a stopping graph it first waits for the stop to end.
     * Throws Error (phase Validate) without starting anything when the graph is invalid.
     */
    QCoro::Task<> start();
    /*!
     * Stops the graph (the exact mirror of the start) and completes once nothing runs.
     * Throws the aggregate Error if the run ended Failed. A no-op on a stopped graph.
     */
    QCoro::Task<> stop();
    /*!
     * Starts \a service now if its start is deferred (QService::StartPolicy), or again if it is
     * an optional service that failed for good (a retry), with what it needs that does not run
     * yet, and completes once it runs; at once if it runs already.
     * Throws LifecycleError naming the service when it cannot be started: nullptr, not in the
     * graph, the graph not Starting or Running, or stopping first; throws the run's Error when
     * its start (or a dependency's) failed: the graph then stops, as for any failure.
     */
    QCoro::Task<> ensureRunning(QService *service);
    /*!
     * Completes once the graph has stopped (after requestStop(), a signal, or a crash);
     * throws the aggregate Error if the run ended Failed. Completes at once when stopped.
     */
    QCoro::Task<> wait();

    /*! What run() waits for before it returns. */
    enum class RunMode {
        /*! Return once the graph has stopped, whatever stopped it: for daemons and tools. */
        UntilStopped,
        /*!
         * Keep the event loop running after the graph stopped by itself (a failed start, a
         * crash, requestStop()), so that a user interface can show what happened and offer
         * requestStart(); return when the application quits (quit(), the last window closing,
         * SIGINT/SIGTERM), stopping the graph first if it runs.
         */
        UntilQuit,
    };
    Q_ENUM(RunMode)

    /*!
     * Runs the graph for a main(): starts it, runs the application's event loop, and turns
     * every way the application is asked to end into one graceful stop with its reason
     * (docs/lifecycle.md, "The quit path"): QCoreApplication::quit() and exit(), the last
     * window closing, a close of the mainWindow() (which stays open while the graph stops),
     * the session's end, SIGINT/SIGTERM. The quitGuard(), if any, is asked first. Returns the
     * exit code of the last run: 0 after a clean stop, 1 after any failure (the errors are
     * logged). A second quit request while the guard runs skips it; one while the graph stops
     * abandons what is left: the process exits at once, with 128 + signal for a signal, else 1.
     * Needs a QCoreApplication (or QGuiApplication) and must be called on its thread, by a
     * manager living there.
     */
    int run(RunMode mode = RunMode::UntilStopped);
    /*! Same as ServiceManager(&root).run(). */
    static int run(QService &root);

    /*!
     * The application's main window, for run() (docs/lifecycle.md, "The quit path"): a QWindow
     * (a QQuickWindow, the root of a QQmlApplicationEngine) or a QWidget (a QMainWindow). Closing
     * it is a quit request: the window stays open while the quit guard runs and while the graph
     * stops (show stopProgress in it), then run() returns. Closing it again while the graph
     * stops means "quit anyway". Not owned; nullptr clears it. Another kind of object is
     * refused with a warning naming it.
     */
    void setMainWindow(QObject *window);
    /*! The main window set with setMainWindow(), or nullptr. */
    QObject *mainWindow() const;
    /*!
     * Installs the quit guard: run() awaits it before a quit (quit(), a window closing, the
     * session ending, SIGINT/SIGTERM) stops the graph; false keeps everything running. It is
     * never asked about a stop after a failure, nor about requestStop(). For a signal or the
     * session's end it is given quitGuardTimeout(), after which the quit goes on. A second
     * quit request while it runs skips it. A guard that throws is logged and the quit goes
     * on. An empty function removes it.
     */
    void setQuitGuard(QuitGuard guard);
    /*! The quit guard, or an empty function. */
    QuitGuard quitGuard() const;
    /*! How long the guard may take when a signal or the session's end asks to quit. */
    std::chrono::milliseconds quitGuardTimeout() const;
    /*! Sets quitGuardTimeout() (5 s initially). */
    void setQuitGuardTimeout(std::chrono::milliseconds timeout);

    /*!
     * Sets how long a step of a service's code may block its thread before it is reported as a
     * stall (docs/observability.md, "Stalls"): logged in \c qlifecycle.stall with the service
     * and the hook or task, emitted as stallDetected() and recorded by a TraceRecorder. For
     * every manager of the process; 0 turns the timing off. Initially 50 ms, or the value of
     * the environment variable \c QLIFECYCLE_STALL_MS.
     */
    static void setStallThreshold(std::chrono::milliseconds threshold);
    /*! The threshold set with setStallThreshold(). */
    static std::chrono::milliseconds stallThreshold();

public Q_SLOTS:
    /*!
     * Asks the graph to stop, from anywhere (a slot, QML, a task, another thread). A stop
     * requested while starting is honoured once the starts in flight end. A no-op when
     * nothing runs.
     */
    void requestStop();
    /*! Asks the graph to stop for \a reason (see StopReason: None counts as Requested;
     *  Failure is the library's to give and is refused with a warning); otherwise as
     *  requestStop() and, like it, a stop rather than a quit: run() keeps the application
     *  running in RunMode::UntilQuit, and the quit guard is not asked
     *  (which is requestStopFor(StopReason::Requested), and stays one function so that
     *  `&ServiceManager::requestStop` can be connected). */
    void requestStopFor(QLifecycle::ServiceManager::StopReason reason);
    /*!
     * ensureRunning() for QML and slots: starts \a service if its start is deferred, without
     * awaiting it. A refusal is logged; a failed start shows in state and errorString.
     */
    void requestRunning(QLifecycle::QService *service);
    /*!
     * Starts the graph without awaiting it, for QML and slots: failures show in state and
     * errorString (and are logged). Restarts a Stopped or Failed graph; a no-op otherwise.
     * (Overloaded: connect it as `qOverload<>(&ServiceManager::requestStart)`.)
     */
    void requestStart();
    /*!
     * Starts \a service again while the graph runs, without touching the rest: the retry of an
     * optional service that failed for good (docs/supervision.md, "Optional services"), with
     * what it needs that failed with it; also starts a deferred service, as requestRunning().
     * A refusal (no service, not in the graph, the graph not running) is logged, naming it.
     */
    void requestStart(QLifecycle::QService *service);

Q_SIGNALS:
    /*! Emitted exactly once per aggregate transition. */
    void stateChanged(QLifecycle::QService::State state, QPrivateSignal);
    /*! Emitted when errorString changes. */
    void errorStringChanged(const QString &errorString, QPrivateSignal);
    /*! Emitted for every failure of any service, when it happens. */
    void errorOccurred(QLifecycle::QService *service, QLifecycle::Phase phase,
                       const QString &message, QPrivateSignal);
    /*! Emitted when progress changes. */
    void progressChanged(double progress, QPrivateSignal);
    /*! Emitted when startProgress changes. */
    void startProgressChanged(double progress, QPrivateSignal);
    /*! Emitted when stopProgress changes. */
    void stopProgressChanged(double progress, QPrivateSignal);
    /*! Emitted when deferredCount changes. */
    void deferredCountChanged(int count, QPrivateSignal);
    /*! Emitted when stopReason changes: when a stop is asked, and when a new start begins. */
    void stopReasonChanged(QLifecycle::ServiceManager::StopReason reason, QPrivateSignal);
    /*! Emitted when startingServices changes (at most once per event-loop turn). */
    void startingServicesChanged(const QStringList &names, QPrivateSignal);
    /*! Emitted when stoppingServices changes (at most once per event-loop turn). */
    void stoppingServicesChanged(const QStringList &names, QPrivateSignal);
    /*! Emitted when a start read a new graph: services() changed. */
    void servicesChanged(QPrivateSignal);
    /*! Emitted when \a service failed and is to be restarted after \a delayMs, with the
     *  services that need it (\a services: every member of the restart, \a service first). */
    void restartScheduled(QLifecycle::QService *service, qint64 delayMs,
                          const QStringList &services, QPrivateSignal);
    /*! Emitted when a failure of \a service is not restarted although its policy asks for it
     *  (\a reason: the intensity was exceeded, or its stop was abandoned); the graph stops. */
    void restartsExhausted(QLifecycle::QService *service, const QString &reason, QPrivateSignal);
    /*! Emitted when restartCount changes. */
    void restartCountChanged(int count, QPrivateSignal);
    /*! Emitted, from the event loop, after a step of \a service's code blocked its thread for
     *  \a ms, more than stallThreshold(): \a what is the hook ("start()", "stop()") or the
     *  task ("task 'scan'") whose step it was (docs/observability.md, "Stalls"). */
    void stallDetected(QLifecycle::QService *service, const QString &what, qint64 ms,
                       QPrivateSignal);

public:
    // Health (docs/health.md): every declaration of it is in this block.
    /*! The worst health of the services of the current (or last) run; Healthy before a run. */
    Q_PROPERTY(QLifecycle::QService::Health health READ health NOTIFY healthChanged BINDABLE
                   bindableHealth FINAL)
    /*! The services that are not Healthy, one entry each, worst first, in dependency order
     *  within a health: "db is unhealthy: no answer; cache is degraded". Empty when Healthy. */
    Q_PROPERTY(QString healthReason READ healthReason NOTIFY healthReasonChanged BINDABLE
                   bindableHealthReason FINAL)

    /*! Unhealthy if a service of the run is, else Degraded if one is, else Healthy. */
    QService::Health health() const;
    /*! The read-only bindable behind health. */
    QBindable<QService::Health> bindableHealth() const;
    /*! The services concerned by health (see the property), or an empty string. */
    QString healthReason() const;
    /*! The read-only bindable behind healthReason. */
    QBindable<QString> bindableHealthReason() const;
    /*!
     * The health of the graph as JSON, for a health endpoint or a log:
     * \code
     * {
     *   "health": "Degraded",                        // health(): Healthy, Degraded, Unhealthy
     *   "reason": "cache is degraded: slow disk",    // healthReason()
     *   "services": [                                // services(), in dependency order
     *     { "name": "cache", "state": "Running", "health": "Degraded",
     *       "reason": "slow disk", "startDurationMs": 12, "stopDurationMs": -1 },
     *     ...
     *   ]
     * }
     * \endcode
     * States and healths are the names of QService::State and QService::Health; durations are
     * those of QService (-1 before measured). Before the first start, "services" is empty.
     */
    QJsonObject healthReport() const;

Q_SIGNALS:
    /*! Emitted when health changes. */
    void healthChanged(QLifecycle::QService::Health health, QPrivateSignal);
    /*! Emitted when healthReason changes. */
    void healthReasonChanged(const QString &reason, QPrivateSignal);
    // End of the health block.

protected:
    /*! Reimplemented to note that someone listens (what nobody watches is updated at once); an
     *  override must call this base implementation. */
    void connectNotify(const QMetaMethod &signal) override;

private:
    Q_DECLARE_PRIVATE(ServiceManager)
    // Every property's storage is in the private class (see QService).
    std::unique_ptr<ServiceManagerPrivate> const d_ptr;
};

} // namespace QLifecycle
