#pragma once

#include <QtCore/QTimer>

#include <algorithm>
#include <chrono>
#include <coroutine>
#include <memory>
#include <vector>

namespace QLifecycle::Test {

// Lets a test service's coroutines pause for a while (or until woken) and wakes every one of
// them when it is destroyed, so that a test never leaves a suspended frame behind (which
// LeakSanitizer would report). A woken coroutine must not touch its object afterwards: check
// an "alive" flag first (see ScriptedService).
class Sleeper
{
public:
    Sleeper() = default;
    Sleeper(const Sleeper &) = delete;
    Sleeper &operator=(const Sleeper &) = delete;
    ~Sleeper() { wakeAll(); }

    // Resumes every sleeping coroutine now.
    void wakeAll()
    {
        for (Awaiter *awaiter : std::exchange(m_sleeping, {}))
            awaiter->wake();
    }
    int sleepingCount() const { return int(m_sleeping.size()); }

    struct Awaiter {
        Sleeper *owner;
        std::chrono::milliseconds delay; // negative: until woken
        std::coroutine_handle<> handle;
        std::unique_ptr<QTimer> timer;
        bool woken = false;

        bool await_ready() const noexcept { return delay.count() == 0; }
        void await_suspend(std::coroutine_handle<> h)
        {
            handle = h;
            owner->m_sleeping.push_back(this);
            if (delay.count() > 0) {
                timer = std::make_unique<QTimer>();
                timer->setSingleShot(true);
                QObject::connect(timer.get(), &QTimer::timeout, timer.get(), [this] {
                    std::erase(owner->m_sleeping, this);
                    wake();
                });
                timer->start(delay);
            }
        }
        void await_resume() noexcept {}
        void wake()
        {
            if (woken)
                return;
            woken = true;
            if (timer)
                timer.release()->deleteLater(); // maybe inside its own timeout()
            handle.resume();
        }
    };

    // co_await sleeper.sleep(50ms); a negative delay sleeps until wakeAll() or destruction.
    Awaiter sleep(std::chrono::milliseconds delay) { return Awaiter{this, delay, {}, {}, false}; }

private:
    std::vector<Awaiter *> m_sleeping;
};

} // namespace QLifecycle::Test
