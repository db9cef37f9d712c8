#pragma once

// The helpers of tst_reentrancy: what a modal dialog does, and a scripted service whose hooks
// spin nested loops, whose timeouts may throw, and whose start() may add a stubborn task.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QFuture>
#include <QtCore/QScopeGuard>
#include <QtCore/QSemaphore>
#include <QtCore/QTimer>
#include <atomic>
#include <memory>
#include <stdexcept>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace ReentrancyTest {

// What a modal dialog does: runs a nested event loop for a while.
inline void spinNestedLoop(std::chrono::milliseconds duration)
{
    QEventLoop loop;
    QTimer::singleShot(duration, &loop, &QEventLoop::quit);
    loop.exec();
}

// The services of the manager's last run that are neither Stopped nor Failed.
inline QStringList unsettled(const ServiceManager &manager)
{
    QStringList names;
    for (QService *service : manager.services()) {
        if (service->state() != State::Stopped && service->state() != State::Failed)
            names.append(service->name());
    }
    return names;
}

// A thread-pool task that ignores cancellation: it waits for release, then throws.
struct StubbornTask {
    std::atomic<bool> entered{false}; // the callable runs (it can no longer be skipped)
    QSemaphore release;
};

// A scripted service whose hooks can first spin a nested event loop (before their first
// co_await), whose timeouts can throw, and whose start() can add a thread-pool task that
// ignores cancellation and throws once released.
class ReentrantService : public ScriptedService
{
    Q_OBJECT
public:
    explicit ReentrantService(const QString &name, EventLog *log = nullptr)
        : ScriptedService(name, log), m_events(log)
    {
    }

    std::chrono::milliseconds startLoop{0}; //!< Nested loop at the top of start().
    std::chrono::milliseconds stopLoop{0};  //!< Nested loop at the top of stop().
    bool throwingStartTimeout = false;
    bool throwingStopTimeout = false;
    /*! When set, start() adds a callable that waits for it, then throws. */
    std::shared_ptr<StubbornTask> stubbornTask;
    QFuture<void> stubbornFuture; //!< The future of that task, once added.

protected:
    QCoro::Task<> start() override
    {
        if (stubbornTask) {
            stubbornFuture = addPoolTask(
                [task = stubbornTask] {
                    task->entered = true;
                    task->release.acquire(); // ignores cancellation
                    throw std::runtime_error("late failure of an abandoned task");
                },
                {.name = QStringLiteral("stubborn")});
        }
        if (startLoop.count() > 0)
            spin(startLoop, QStringLiteral("start-loop"));
        co_await ScriptedService::start();
    }
    QCoro::Task<> stop() override
    {
        if (stopLoop.count() > 0)
            spin(stopLoop, QStringLiteral("stop-loop"));
        co_await ScriptedService::stop();
    }
    std::chrono::milliseconds gracefulShutdownTimeout() const override
    {
        if (throwingStopTimeout)
            throw std::runtime_error("no graceful shutdown timeout configured");
        return ScriptedService::gracefulShutdownTimeout();
    }
    std::optional<std::chrono::milliseconds> startTimeout() const override
    {
        if (throwingStartTimeout)
            throw std::runtime_error("no start timeout configured");
        return ScriptedService::startTimeout();
    }

private:
    void spin(std::chrono::milliseconds duration, const QString &what)
    {
        if (m_events)
            m_events->add(name() + QLatin1Char(':') + what);
        spinNestedLoop(duration);
        if (m_events)
            m_events->add(name() + QLatin1Char(':') + what + QStringLiteral("-end"));
    }

    EventLog *m_events;
};

} // namespace ReentrancyTest
