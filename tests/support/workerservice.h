#pragma once

#include <QLifecycle/QService>

#include <functional>

namespace QLifecycle::Test {

// A service whose start() and stop() run test-provided functions, so that a test can add
// tasks from inside the service's lifecycle. The functions are plain (not coroutines): they
// add tasks built by free coroutine functions that take their state as parameters.
class WorkerService : public QService
{
    Q_OBJECT
public:
    explicit WorkerService(const QString &name, QObject *parent = nullptr) : QService(parent)
    {
        setObjectName(name);
    }

    // The service's own API, open to the test's free functions that act as its code.
    using QService::addChild;
    using QService::addPoolTask;
    using QService::addTask;
    using QService::isCancellationRequested;
    using QService::setRestartPolicy;
    using QService::sleepFor;
    using QService::waitFor;
    using QService::waitForSignal;

    std::function<void(WorkerService *)> onStart;
    std::function<void(WorkerService *)> onStop;
    Dependencies deps;
    std::optional<std::chrono::milliseconds> stopTimeout;
    int stopCalls = 0;
    int pendingAtStop = -1; // pendingTaskCount() when stop() was called

protected:
    QCoro::Task<> start() override
    {
        if (onStart)
            onStart(this);
        co_return;
    }
    QCoro::Task<> stop() override
    {
        ++stopCalls;
        pendingAtStop = pendingTaskCount();
        if (onStop)
            onStop(this);
        co_return;
    }
    Dependencies dependencies() const override { return deps; }
    std::chrono::milliseconds gracefulShutdownTimeout() const override
    {
        return stopTimeout.value_or(QService::gracefulShutdownTimeout());
    }
};

} // namespace QLifecycle::Test
