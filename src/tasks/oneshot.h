#pragma once

#include <QtCore/QMetaObject>
#include <QtCore/QObject>

#include <coroutine>
#include <vector>

namespace QLifecycle::detail {

// Once the application is being destroyed, a coroutine can no longer be resumed from the event
// loop: its handle is kept until the process ends instead (abandoned work stays inert, and its
// frame is not reported as leaked). Returns false while resuming is possible.
bool keepUntilExitIfClosing(std::coroutine_handle<> waiter);

// A one-shot event that coroutines can co_await. Firing it resumes every waiter from the
// event loop of the thread that made it (never inside fire(), so the code that fires
// needs no re-entrancy guard). Not thread-safe: use it on one thread.
class OneShot
{
public:
    OneShot() = default;
    OneShot(const OneShot &) = delete;
    OneShot &operator=(const OneShot &) = delete;

    bool isSet() const { return m_set; }

    void fire()
    {
        if (m_set)
            return;
        m_set = true;
        for (std::coroutine_handle<> waiter : std::exchange(m_waiters, {}))
            resumeLater(waiter);
    }

    auto operator co_await()
    {
        struct Awaiter {
            OneShot *event;
            bool await_ready() const noexcept { return event->m_set; }
            void await_suspend(std::coroutine_handle<> waiter)
            {
                event->m_waiters.push_back(waiter);
            }
            void await_resume() const noexcept {}
        };
        return Awaiter{this};
    }

private:
    void resumeLater(std::coroutine_handle<> waiter)
    {
        if (keepUntilExitIfClosing(waiter))
            return;
        // The context belongs to this event, which its waiters keep alive (they hold the run
        // that owns it), so a queued resume is never dropped.
        QMetaObject::invokeMethod(
            &m_context, [waiter] { waiter.resume(); }, Qt::QueuedConnection);
    }

    QObject m_context;
    std::vector<std::coroutine_handle<>> m_waiters;
    bool m_set = false;
};

} // namespace QLifecycle::detail
