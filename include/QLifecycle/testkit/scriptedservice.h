#pragma once

#include <QLifecycle/QService>

#include <QLifecycle/testkit/eventlog.h>
#include <QLifecycle/testkit/qlifecycle_test_export.h>
#include <QLifecycle/testkit/sleeper.h>

#include <chrono>
#include <memory>
#include <optional>

namespace QLifecycle::Test {

// A service whose behaviour a test scripts: delays, failures, hangs, dependencies. It writes
// "<name>:start" when start() begins, "<name>:started" when it returns, "<name>:stop" and
// "<name>:stopped" likewise, into an optional shared EventLog.
class QLIFECYCLE_TEST_EXPORT ScriptedService : public QService
{
    Q_OBJECT
public:
    // How a hook behaves.
    struct Script {
        std::chrono::milliseconds delay{0}; // suspend this long first (0: complete at once)
        bool yield = false;                 // suspend for one event-loop turn first
        bool hang = false;                  // suspend until the service is destroyed
        bool fail = false;                  // then throw std::runtime_error(failMessage)
        bool throwNonStd = false;           // then throw an int instead
        // Wait in the service's cancellable sleepFor() instead: a stop request then cancels
        // the wait at once (Cancelled). By default the waits ignore cancellation.
        bool cancellable = false;
        QString failMessage = QStringLiteral("scripted failure");
    };

    explicit ScriptedService(const QString &name, EventLog *log = nullptr,
                             QObject *parent = nullptr);
    ~ScriptedService() override;

    Script onStart;
    Script onStop;
    Dependencies deps;
    std::optional<std::chrono::milliseconds> stopTimeout;
    std::optional<std::chrono::milliseconds> startLimit;
    // When set, start() adds a task that throws std::runtime_error("scripted crash") after
    // this delay: a crash of the running service.
    std::optional<std::chrono::milliseconds> crashAfter;

    int startCalls = 0;   // start() entered
    int startReturns = 0; // start() returned normally
    int stopCalls = 0;    // stop() entered
    int stopReturns = 0;  // stop() returned normally
    // State of each dependency when start() began and when stop() returned.
    QList<State> dependencyStatesAtStart;
    QList<State> dependencyStatesAtStop;

    Sleeper &sleeper() { return m_sleeper; }
    std::chrono::milliseconds gracefulShutdownTimeoutForTest() const
    {
        return gracefulShutdownTimeout();
    }
    void setLog(EventLog *log) { m_log = log; }

protected:
    QCoro::Task<> start() override;
    QCoro::Task<> stop() override;
    Dependencies dependencies() const override { return deps; }
    std::chrono::milliseconds gracefulShutdownTimeout() const override;
    std::optional<std::chrono::milliseconds> startTimeout() const override;

private:
    QCoro::Task<> play(Script script, std::shared_ptr<bool> alive);
    void record(const QString &what);
    QList<State> dependencyStates() const;

    EventLog *m_log;
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
    Sleeper m_sleeper;
};

} // namespace QLifecycle::Test
