#pragma once

#include <QtCore/QBindable>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QProperty>
#include <QtCore/QStringList>

#include <QCoro/QCoroTask>

#include <chrono>
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
    /*! The share of services Running, from 0 to 1: it rises while starting, is 1 while
     *  running, and falls back to 0 while stopping (a progress bar for either direction). */
    Q_PROPERTY(double progress READ progress NOTIFY progressChanged BINDABLE bindableProgress FINAL)
    /*! The names of the services whose start() is running now, in start order. */
    Q_PROPERTY(QStringList startingServices READ startingServices NOTIFY startingServicesChanged
                   BINDABLE bindableStartingServices FINAL)
    /*! The names of the services being stopped now (tasks, then stop()). */
    Q_PROPERTY(QStringList stoppingServices READ stoppingServices NOTIFY stoppingServicesChanged
                   BINDABLE bindableStoppingServices FINAL)
    /*! How many services the current (or last) run has. */
    Q_PROPERTY(int serviceCount READ serviceCount NOTIFY servicesChanged FINAL)

public:
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
    /*! The share of services Running (see the property). */
    double progress() const;
    /*! The read-only bindable behind progress. */
    QBindable<double> bindableProgress() const;
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
     * Runs the graph for a main(): starts it, runs the application's event loop, turns
     * SIGINT/SIGTERM, QCoreApplication::quit() and the last window closing into a graceful
     * stop, and returns the exit code of the last run: 0 after a clean stop, 1 after any
     * failure (the errors are logged). A second SIGINT or SIGTERM while stopping exits at once
     * with 128 + signal. Needs a QCoreApplication (or QGuiApplication) and must be called on
     * its thread, by a manager living there.
     */
    int run(RunMode mode = RunMode::UntilStopped);
    /*! Same as ServiceManager(&root).run(). */
    static int run(QService &root);

public Q_SLOTS:
    /*!
     * Asks the graph to stop, from anywhere (a slot, QML, a task, another thread). A stop
     * requested while starting is honoured once the starts in flight end. A no-op when
     * nothing runs.
     */
    void requestStop();
    /*!
     * Starts the graph without awaiting it, for QML and slots: failures show in state and
     * errorString (and are logged). Restarts a Stopped or Failed graph; a no-op otherwise.
     */
    void requestStart();

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
    /*! Emitted when startingServices changes (at most once per event-loop turn). */
    void startingServicesChanged(const QStringList &names, QPrivateSignal);
    /*! Emitted when stoppingServices changes (at most once per event-loop turn). */
    void stoppingServicesChanged(const QStringList &names, QPrivateSignal);
    /*! Emitted when a start read a new graph: services() changed. */
    void servicesChanged(QPrivateSignal);

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
