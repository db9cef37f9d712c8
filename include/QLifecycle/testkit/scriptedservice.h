#pragma once

#include <QLifecycle/QService>

#include <QLifecycle/testkit/eventlog.h>
#include <QLifecycle/testkit/qlifecycle_test_export.h>
#include <QLifecycle/testkit/sleeper.h>

#include <chrono>
#include <memory>
#include <optional>

namespace QLifecycle::Test {

/*!
 * A service whose behaviour a test scripts: delays, failures, hangs, dependencies. It writes
 * "<name>:start" when start() begins, "<name>:started" when it returns, "<name>:stop" and
 * "<name>:stopped" likewise, into an optional shared EventLog. Destroying it wakes its
 * suspended hooks, so that a test never leaves a coroutine frame behind.
 */
class QLIFECYCLE_TEST_EXPORT ScriptedService : public QService
{
    Q_OBJECT
public:
    // The service's own API, open to the test that scripts it: a test plays the service's code.
    using QService::addChild;
    using QService::addPoolTask;
    using QService::addTask;
    using QService::isCancellationRequested;
    using QService::setRestartPolicy;
    using QService::sleepFor;
    using QService::waitFor;
    using QService::waitForSignal;

    /*! How a hook (start() or stop()) behaves: yield, delay, hang, then throw if asked. */
    struct Script {
        std::chrono::milliseconds delay{0}; //!< Suspend this long (0: complete at once).
        bool yield = false;                 //!< First suspend for one event-loop turn.
        bool hang = false;        //!< Then suspend until woken (sleeper(), or the destructor).
        bool fail = false;        //!< Then throw std::runtime_error(failMessage).
        bool throwNonStd = false; //!< Then throw an int instead.
        /*! Wait in the service's cancellable sleepFor() instead: a stop request then cancels
         *  the wait at once (Cancelled). By default the waits ignore cancellation. */
        bool cancellable = false;
        QString failMessage = QStringLiteral("scripted failure"); //!< The message of #fail.
    };

    /*! A service named \a name (its objectName()) that records into \a log, if any. */
    explicit ScriptedService(const QString &name, EventLog *log = nullptr,
                             QObject *parent = nullptr);
    /*! Wakes the hooks still suspended; they end without touching the service. */
    ~ScriptedService() override;

    Script onStart;    //!< How start() behaves.
    Script onStop;     //!< How stop() behaves.
    Dependencies deps; //!< What dependencies() returns.
    /*! What gracefulShutdownTimeout() returns; unset: the manager's default. */
    std::optional<std::chrono::milliseconds> stopTimeout;
    /*! What startTimeout() returns; unset: the manager's default. */
    std::optional<std::chrono::milliseconds> startLimit;
    /*! When set, start() adds a task that throws std::runtime_error("scripted crash") after
     *  this delay (a cancellable sleepFor()): a crash of the running service. */
    std::optional<std::chrono::milliseconds> crashAfter;

    int startCalls = 0;   //!< How many times start() was entered.
    int startReturns = 0; //!< How many times start() returned normally.
    int stopCalls = 0;    //!< How many times stop() was entered.
    int stopReturns = 0;  //!< How many times stop() returned normally.
    /*! The state of each service of #deps, in order, when start() last began. */
    QList<State> dependencyStatesAtStart;
    /*! The state of each service of #deps, in order, when stop() last returned. */
    QList<State> dependencyStatesAtStop;

    /*! What the hooks that are not cancellable sleep in: `sleeper().wakeAll()` releases a
     *  hook that hangs or waits. */
    Sleeper &sleeper() { return m_sleeper; }
    /*! The protected gracefulShutdownTimeout(), for tests to read. */
    std::chrono::milliseconds gracefulShutdownTimeoutForTest() const
    {
        return gracefulShutdownTimeout();
    }
    /*! Records into \a log from now on (nullptr: records nothing). */
    void setLog(EventLog *log) { m_log = log; }

protected:
    QCoro::Task<> start() override;
    QCoro::Task<> stop() override;
    Dependencies dependencies() const override { return deps; }
    std::chrono::milliseconds gracefulShutdownTimeout() const override;
    std::optional<std::chrono::milliseconds> startTimeout() const override;

private:
    QCoro::Task<> play(Script script, std::shared_ptr<bool> alive);
    QCoro::Task<> crashLater(std::chrono::milliseconds delay);
    void record(const QString &what);
    QList<State> dependencyStates() const;

    EventLog *m_log;
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
    Sleeper m_sleeper;
};

} // namespace QLifecycle::Test
