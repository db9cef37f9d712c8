#pragma once

#include <QLifecycle/timesource.h>

#include <QtCore/QObject>

#include <algorithm>
#include <chrono>
#include <coroutine>
#include <memory>
#include <vector>

namespace QLifecycle::Test {

/*!
 * Lets a test service's coroutines pause for a while (or until woken) and wakes every one of
 * them when it is destroyed, so that a test never leaves a suspended frame behind (which
 * LeakSanitizer would report). A woken coroutine must not touch its object afterwards: check
 * an "alive" flag first (see ScriptedService). These waits ignore cancellation. A timed sleep
 * runs on the time source in use (QLifecycle::TimeSource): under a VirtualClock it ends when
 * the clock is advanced past it.
 */
class Sleeper
{
public:
    Sleeper() = default; //!< A sleeper with nobody asleep.
    Sleeper(const Sleeper &) = delete;
    Sleeper &operator=(const Sleeper &) = delete;
    ~Sleeper() { wakeAll(); } //!< Wakes every coroutine still asleep.

    /*! Resumes every sleeping coroutine now, in the order they fell asleep. */
    void wakeAll()
    {
        for (Awaiter *awaiter : std::exchange(m_sleeping, {}))
            awaiter->wake();
    }
    /*! How many coroutines are asleep now. */
    int sleepingCount() const { return int(m_sleeping.size()); }

    /*! What sleep() returns: `co_await` it. */
    struct Awaiter {
        Sleeper *owner;                           //!< The sleeper that wakes it.
        std::chrono::milliseconds delay;          //!< How long to sleep; negative: until woken.
        std::coroutine_handle<> handle;           //!< The sleeping coroutine.
        std::unique_ptr<QObject> context;         //!< The sleeping thread's, for #timer.
        std::unique_ptr<TimeSource::Timer> timer; //!< Ends the sleep after #delay.
        bool woken = false;                       //!< True once resumed.

        /*! True for a zero delay: no suspension. */
        bool await_ready() const noexcept { return delay.count() == 0; }
        /*! Falls asleep: registers with the sleeper and starts the timer. */
        void await_suspend(std::coroutine_handle<> h)
        {
            handle = h;
            owner->m_sleeping.push_back(this);
            if (delay.count() > 0) {
                context = std::make_unique<QObject>();
                timer = TimeSource::current()->callAfter(delay.count(), context.get(), [this] {
                    std::erase(owner->m_sleeping, this);
                    wake();
                });
            }
        }
        void await_resume() noexcept {} //!< Nothing to return.
        /*! Resumes the coroutine now, once only. */
        void wake()
        {
            if (woken)
                return;
            woken = true;
            timer.reset(); // maybe inside its own call: the time source allows it
            handle.resume();
        }
    };

    /*! `co_await sleeper.sleep(50ms)`; a negative \a delay sleeps until wakeAll() or the
     *  sleeper's destruction. */
    Awaiter sleep(std::chrono::milliseconds delay)
    {
        return Awaiter{this, delay, {}, {}, {}, false};
    }

private:
    std::vector<Awaiter *> m_sleeping;
};

} // namespace QLifecycle::Test
