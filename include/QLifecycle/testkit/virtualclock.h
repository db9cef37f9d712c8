#pragma once

#include <QLifecycle/timesource.h>

#include <QLifecycle/testkit/qlifecycle_test_export.h>

#include <chrono>
#include <memory>

namespace QLifecycle::Test {

/*!
 * A clock that moves only when the test says so: while it exists, it is the library's time
 * source (QLifecycle::TimeSource), so start and stop timeouts, the cancellable sleeps of tasks
 * and the Sleeper's delays pass at once under advanceBy() or advanceUntilIdle().
 *
 * It installs itself when made and puts the previous source back when destroyed; make it
 * before the managers it drives start, on the thread that runs their event loop, and destroy
 * clocks in the reverse order of their making. Its time starts at the origin given (0 by
 * default; never negative) and moves forward only.
 *
 * A timer's call comes from advanceBy() or advanceUntilIdle() on the thread that calls them
 * when its context lives there, else it is posted to the context's thread. Events posted on
 * the calling thread are processed before the clock moves and after each call, so that the
 * coroutines a call resumes run, and the timers they arm fire too if they fall due within the
 * advance.
 */
class QLIFECYCLE_TEST_EXPORT VirtualClock : public TimeSource
{
public:
    /*! A clock at \a origin, installed as the library's time source. */
    explicit VirtualClock(std::chrono::milliseconds origin = std::chrono::milliseconds(0));
    /*! Puts the previous time source back; the timers still pending never fire. */
    ~VirtualClock() override;
    VirtualClock(const VirtualClock &) = delete;
    VirtualClock &operator=(const VirtualClock &) = delete;

    /*! The clock's time, in ms since 0. */
    qint64 nowMs() const override;
    /*! Arms a timer due at nowMs() + \a delayMs: it fires when the clock gets there. */
    [[nodiscard]] std::unique_ptr<Timer> callAfter(qint64 delayMs, QObject *context,
                                                   std::function<void()> callback) override;

    /*!
     * Moves the clock \a delta forward: fires the timers due by then, earliest first (armed
     * first among equals), the clock showing each one's due time during its call, and ends at
     * the time it started from plus \a delta.
     */
    void advanceBy(std::chrono::milliseconds delta);
    /*!
     * Fires timer after timer, the clock jumping to each, until none is pending: true. False
     * when the next one is due more than \a limit after the time it started from (a periodic
     * timer never lets it idle); the clock then stays at the last timer fired.
     */
    bool advanceUntilIdle(std::chrono::milliseconds limit = std::chrono::hours(24));
    /*! How many timers are pending: armed, neither fired nor cancelled, context alive. */
    int pendingTimers() const;
    /*! When the next pending timer is due (ms of nowMs()), -1 when none is. */
    qint64 nextDueMs() const;

private:
    struct State;
    class VirtualTimer;
    bool fireNext(qint64 until);
    std::shared_ptr<State> m_state;
    TimeSource *m_previous;
};

} // namespace QLifecycle::Test
