#pragma once

#include <QLifecycle/qservice.h>

#include <QtCore/QFuture>

#include <coroutine>
#include <memory>
#include <new>

namespace QLifecycle::detail {

class TaskSet;
struct TaskRecord;

// The state of a cancellable wait, made in the opaque storage of its awaiter (impl::Wait): it
// registers with the task that waits (so that stopping the service wakes it at once with
// Cancelled) and resumes its coroutine on the service's thread. A subclass per kind of wait
// (waits.cpp).
class WaitState
{
public:
    template<typename State, typename... Args>
    static void make(impl::Wait &wait, Args &&...args)
    {
        static_assert(sizeof(State) <= sizeof(wait.m_state), "the awaiter's storage is too small");
        static_assert(alignof(State) <= alignof(impl::Wait), "the awaiter's storage is misaligned");
        new (wait.m_state) State(std::forward<Args>(args)...);
    }
    static WaitState &of(impl::Wait &wait)
    {
        return *std::launder(reinterpret_cast<WaitState *>(wait.m_state));
    }
    static const WaitState &of(const impl::Wait &wait)
    {
        return *std::launder(reinterpret_cast<const WaitState *>(wait.m_state));
    }

    virtual ~WaitState();
    WaitState(const WaitState &) = delete;
    WaitState &operator=(const WaitState &) = delete;
    WaitState &operator=(WaitState &&) = delete;
    // Moves itself into `wait`'s storage (only before it suspends: nothing points to it yet).
    virtual void moveTo(impl::Wait &wait) noexcept = 0;

    bool ready();
    void suspend(std::coroutine_handle<> waiter);
    // Called by the service's TaskSet: wake the coroutine now, with Cancelled.
    void cancelNow();
    bool isCancelled() const { return m_cancelled; }
    void throwIfCancelled() const;
    // In await_resume(): throws Cancelled if the wait was cancelled, or what the thing waited
    // for failed with (`result`: it must have a result); returns whether it happened (a signal
    // wait that timed out returns false).
    virtual bool resume(bool result);

protected:
    explicit WaitState(const QService *service);
    WaitState(WaitState &&other) noexcept;
    // Begin waiting (start a timer, connect a signal...); call resumeNormally() when done.
    virtual void arm() = 0;
    // Stop waiting: no resumeNormally() may follow.
    virtual void disarm() = 0;
    // Whether the thing waited for has already happened (no suspension needed).
    virtual bool readyNow() const { return false; }
    // The thing waited for happened: resume the coroutine.
    void resumeNormally();
    // True when the wait suspended and is not finished yet.
    bool isPending() const { return bool(m_handle) && !m_done; }

private:
    void continueWaiter();
    friend class TaskSet; // owns the links below
    void unregister();

    // Intrusive list links, owned by the TaskSet the wait is registered with.
    WaitState *m_prev = nullptr;
    WaitState *m_next = nullptr;
    TaskRecord *m_owner = nullptr; // nullptr: not known (registered in the set's orphans)
    quint64 m_sequence = 0;
    std::shared_ptr<TaskSet> m_set; // nullptr without a service
    std::coroutine_handle<> m_handle;
    bool m_cancelled = false;
    bool m_done = false;
};

// Registers a pending wait on a future, so that a failing task whose future is awaited is
// not also reported as a crash: the awaiting code receives the exception instead.
class AwaitedFutures
{
public:
    static void add(const WaitState *wait, const QFuture<void> &future);
    static void remove(const WaitState *wait);
    static bool contains(const QFuture<void> &future);
};

} // namespace QLifecycle::detail
