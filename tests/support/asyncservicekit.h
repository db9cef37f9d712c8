#pragma once

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QLifecycle/testkit/harness.h>

#include <QtCore/QMetaObject>
#include <QtCore/QObject>
#include <QtCore/QPointer>

#include <coroutine>
#include <optional>
#include <utility>
#include <vector>

namespace QLifecycle::Test {

// A one-shot event in the style of asyncio.Event, for the async-service scenarios. Tasks wait
// for it either cancellably (waitUntilSet(), which a stop wakes with Cancelled) or with a plain
// `co_await event`, which no stop can interrupt and which resumes from the event loop after
// set(). Waiters still suspended when the event is destroyed are resumed then, so that no
// coroutine frame is left behind.
class AsyncEvent : public QObject
{
    Q_OBJECT
public:
    explicit AsyncEvent(QObject *parent = nullptr) : QObject(parent) {}
    ~AsyncEvent() override
    {
        for (std::coroutine_handle<> waiter : std::exchange(m_waiters, {}))
            waiter.resume();
    }

    bool isSet() const { return m_set; }
    void set()
    {
        if (m_set)
            return;
        m_set = true;
        Q_EMIT fired();
        if (!m_waiters.empty())
            QMetaObject::invokeMethod(this, &AsyncEvent::resumeWaiters, Qt::QueuedConnection);
    }
    int plainWaiterCount() const { return int(m_waiters.size()); }

    auto operator co_await()
    {
        struct Awaiter {
            AsyncEvent *event;
            bool await_ready() const noexcept { return event->m_set; }
            void await_suspend(std::coroutine_handle<> waiter)
            {
                event->m_waiters.push_back(waiter);
            }
            void await_resume() const noexcept {}
        };
        return Awaiter{this};
    }

Q_SIGNALS:
    void fired();

private:
    void resumeWaiters()
    {
        for (std::coroutine_handle<> waiter : std::exchange(m_waiters, {}))
            waiter.resume();
    }

    std::vector<std::coroutine_handle<>> m_waiters;
    bool m_set = false;
};

// Waits until `event` is set, cancellably: when `service` stops, throws Cancelled at once.
// `Service`: a service type whose own API is open to the test (WorkerService).
template<typename Service>
QCoro::Task<> waitUntilSet(const Service *service, const AsyncEvent *event)
{
    const QPointer<const AsyncEvent> alive(event);
    while (alive && !alive->isSet())
        co_await service->waitForSignal(event, &AsyncEvent::fired);
}

// Waits until `service` stops (async-service's `wait_finished()` inside a task): throws
// Cancelled when the stop wakes it.
template<typename Service>
QCoro::Task<> waitUntilCancelled(const Service *service)
{
    for (;;)
        co_await service->sleepFor(std::chrono::hours(1));
}

// async-service's "run() returned": the service's work is done, so it asks its manager (the
// one whose run owns it) to stop it.
inline void finishService(QService *service)
{
    if (ServiceManager *manager = service->manager())
        manager->requestStop();
}

// The what() of `error` when it is an exception of type E, else std::nullopt.
template<typename E>
std::optional<QString> whatIf(const std::exception_ptr &error)
{
    if (!error)
        return std::nullopt;
    try {
        std::rethrow_exception(error);
    } catch (const E &e) {
        return QString::fromUtf8(e.what());
    } catch (...) {
    }
    return std::nullopt;
}

// Runs `task` and returns the LifecycleError it threw; std::nullopt (and a warning) if it
// returned or threw anything else.
template<typename T>
std::optional<QString> expectLifecycleError(QCoro::Task<T> task,
                                            std::chrono::milliseconds timeout = 5s)
{
    try {
        runBlocking(std::move(task), timeout);
        qWarning("expected a QLifecycle::LifecycleError, the call returned");
    } catch (const LifecycleError &error) {
        return error.message();
    } catch (const std::exception &other) {
        qWarning("expected a QLifecycle::LifecycleError, got: %s", other.what());
    }
    return std::nullopt;
}

} // namespace QLifecycle::Test
