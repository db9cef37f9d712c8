#pragma once

// Cancellable waits: what QService::sleepFor(), waitFor() and waitForSignal() return.
// Internal: use them only through those functions.

#include <QLifecycle/error.h>
#include <QLifecycle/qlifecycle_export.h>

#include <QtCore/QFuture>
#include <QtCore/QFutureWatcher>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <chrono>
#include <coroutine>
#include <memory>

namespace QLifecycle {
class QService;
}

namespace QLifecycle::detail {

class TaskSet;
struct TaskRecord;

// The part every wait shares: it registers with the task that waits (so that stopping the
// service wakes it at once with Cancelled) and resumes its coroutine on the service's thread.
class QLIFECYCLE_EXPORT WaitBase
{
public:
    explicit WaitBase(const QService *service);
    virtual ~WaitBase();
    // Movable only before it suspends (the compiler may move it into the coroutine frame).
    WaitBase(WaitBase &&other) noexcept;
    WaitBase(const WaitBase &) = delete;
    WaitBase &operator=(const WaitBase &) = delete;

    bool await_ready();
    void await_suspend(std::coroutine_handle<> waiter);

    // Called by the service's TaskSet: wake the coroutine now, with Cancelled.
    void cancelNow();

protected:
    // Begin waiting (start a timer, connect a signal...); call resumeNormally() when done.
    virtual void arm() = 0;
    // Stop waiting: no resumeNormally() may follow.
    virtual void disarm() = 0;
    // Whether the thing waited for has already happened (no suspension needed).
    virtual bool readyNow() const { return false; }
    // The thing waited for happened: resume the coroutine.
    void resumeNormally();
    // In await_resume(): throws Cancelled if the wait was cancelled.
    void throwIfCancelled() const;
    // True when the wait suspended and is not finished yet.
    bool isPending() const { return bool(m_handle) && !m_done; }

private:
    friend class TaskSet; // owns the links below
    void unregister();

    // Intrusive list links, owned by the TaskSet the wait is registered with.
    WaitBase *m_prev = nullptr;
    WaitBase *m_next = nullptr;
    TaskRecord *m_owner = nullptr; // nullptr: not known (registered in the set's orphans)
    quint64 m_sequence = 0;
    QPointer<const QService> m_service;
    std::shared_ptr<TaskSet> m_set;
    std::coroutine_handle<> m_handle;
    bool m_cancelled = false;
    bool m_done = false;
};

class QLIFECYCLE_EXPORT SleepWait : public WaitBase
{
public:
    SleepWait(const QService *service, std::chrono::milliseconds duration);
    SleepWait(SleepWait &&) = default;
    ~SleepWait() override;
    void await_resume() const { throwIfCancelled(); }

    // Called by the thread's sleep queue when the deadline has come.
    void wake() { resumeNormally(); }
    // Its place in the thread's sleep queue; m_ticket is 0 when not queued.
    quint64 m_ticket = 0;
    std::chrono::steady_clock::time_point m_deadline;

protected:
    bool readyNow() const override;
    void arm() override;
    void disarm() override;

private:
    std::chrono::milliseconds m_duration;
};

// Registers a pending wait on a future, so that a failing task whose future is awaited is
// not also reported as a crash: the awaiting code receives the exception instead.
class QLIFECYCLE_EXPORT AwaitedFutures
{
public:
    static void add(WaitBase *wait, const QFuture<void> &future);
    static void remove(WaitBase *wait);
    static bool contains(const QFuture<void> &future);
};

template<typename T>
class FutureWait : public WaitBase
{
public:
    FutureWait(const QService *service, const QFuture<T> &future)
        : WaitBase(service), m_future(future)
    {
    }
    FutureWait(FutureWait &&) noexcept = default;
    ~FutureWait() override { AwaitedFutures::remove(this); }

    T await_resume()
    {
        AwaitedFutures::remove(this);
        throwIfCancelled();
        m_future.waitForFinished(); // finished already: rethrows the task's exception, if any
        if (m_future.isCanceled())
            throw Cancelled();
        if constexpr (!std::is_void_v<T>) {
            if (m_future.resultCount() == 0)
                throw std::runtime_error(
                    "QLifecycle: the awaited future finished without a result");
            return m_future.result();
        }
    }

protected:
    bool readyNow() const override { return m_future.isFinished(); }
    void arm() override
    {
        AwaitedFutures::add(this, QFuture<void>(m_future));
        m_watcher = std::make_unique<QFutureWatcher<T>>();
        QObject::connect(m_watcher.get(), &QFutureWatcherBase::finished, m_watcher.get(),
                         [this] { resumeNormally(); });
        m_watcher->setFuture(m_future);
    }
    void disarm() override
    {
        if (m_watcher)
            QObject::disconnect(m_watcher.get(), nullptr, nullptr, nullptr);
        AwaitedFutures::remove(this);
    }

private:
    QFuture<T> m_future;
    std::unique_ptr<QFutureWatcher<T>> m_watcher;
};

// Waits for one emission of a signal, resuming on the waiting thread whatever thread emits
// it; ends early on timeout or when the sender is destroyed. Unlike qCoro(signal) in QCoro
// 0.8 it survives double emissions, a dying sender and cross-thread senders.
class QLIFECYCLE_EXPORT SignalWaitBase : public WaitBase
{
public:
    bool await_resume() const
    {
        throwIfCancelled();
        return m_emitted;
    }

protected:
    SignalWaitBase(const QService *service, const QObject *sender,
                   std::chrono::milliseconds timeout);
    bool readyNow() const override;
    void arm() override;
    void disarm() override;
    virtual QMetaObject::Connection connectSignal(QObject *receiver) = 0;
    void finish(bool emitted);

    QPointer<const QObject> m_sender;

private:
    std::chrono::milliseconds m_timeout;
    std::unique_ptr<QObject> m_receiver; // lives in the waiting thread
    std::unique_ptr<QTimer> m_timer;
    bool m_emitted = false;
};

template<typename Sender, typename Signal>
class SignalWait : public SignalWaitBase
{
public:
    SignalWait(const QService *service, const Sender *sender, Signal signal,
               std::chrono::milliseconds timeout)
        : SignalWaitBase(service, sender, timeout), m_signal(signal)
    {
    }

protected:
    QMetaObject::Connection connectSignal(QObject *receiver) override
    {
        // Queued to a receiver living in the waiting thread: resumes there, and an emission
        // still queued when the wait ends is dropped with the receiver.
        return QObject::connect(
            static_cast<const Sender *>(m_sender.data()), m_signal, receiver,
            [this] { finish(true); }, Qt::QueuedConnection);
    }

private:
    Signal m_signal;
};

} // namespace QLifecycle::detail
