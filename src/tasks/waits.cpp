// The cancellable waits: QService::sleepFor(), waitFor() and waitForSignal() (the awaiters are
// in <QLifecycle/impl/qservice_impl.h>, their states here).

#include "tasks/waitstate.h"

#include <QLifecycle/timesource.h>

#include "service/qservice_p.h"
#include "service/steps.h"
#include "service/timesource_p.h"
#include "tasks/taskset.h"

#include <QtCore/QFutureWatcher>
#include <QtCore/QPointer>

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>
#include <vector>

namespace QLifecycle::detail {

WaitState::WaitState(const QService *service)
    : m_set(service ? QServicePrivate::tasksFor(service) : nullptr)
{
}

WaitState::WaitState(WaitState &&other) noexcept
    : m_set(std::move(other.m_set)), m_cancelled(other.m_cancelled)
{
    Q_ASSERT(!other.m_handle); // never after it suspended
}

WaitState::~WaitState()
{
    // Destroyed while suspended (its coroutine frame was destroyed): leave the lists.
    if (isPending())
        unregister();
}

bool WaitState::ready()
{
    if (m_set) {
        TaskRecord *owner = currentTask();
        if (owner && owner->set != m_set)
            owner = nullptr;
        const QService *service = m_set->service();
        const bool cancelled = owner ? owner->cancelled
                                     : m_set->mode() == TaskSet::Mode::CancellingTasks ||
                                           (m_set->startCancelled() && service &&
                                            service->state() == QService::State::Starting);
        if (cancelled) {
            m_cancelled = true;
            return true;
        }
    }
    return readyNow();
}

void WaitState::suspend(std::coroutine_handle<> waiter)
{
    m_handle = waiter;
    if (m_set) {
        TaskRecord *owner = currentTask();
        if (owner && owner->set != m_set)
            owner = nullptr;
        m_sequence = nextWaitSequence();
        m_set->registerWait(this, owner);
    }
    arm();
}

void WaitState::unregister()
{
    if (m_set)
        m_set->unregisterWait(this);
}

void WaitState::resumeNormally()
{
    if (!isPending())
        return;
    m_done = true;
    unregister();
    disarm();
    // The coroutine continues as the task that registered the wait; `this` may be destroyed
    // by the time resume() returns.
    continueWaiter();
}

void WaitState::cancelNow()
{
    if (!isPending())
        return;
    m_done = true;
    m_cancelled = true;
    unregister();
    disarm();
    continueWaiter();
}

// Resumes the code that awaited: a task's step (timed by its scope), or a step of a hook or
// of code outside any task, timed here (docs/observability.md, "Stalls").
void WaitState::continueWaiter()
{
    const std::coroutine_handle<> handle = m_handle;
    if (m_owner || !m_set || !steps::enabled()) {
        impl::ContextScope scope(m_owner);
        handle.resume();
        return;
    }
    const std::shared_ptr<TaskSet> set = m_set; // `this` may be gone once it returns
    const QService *service = set->service();
    const char *what = !service                                        ? "code"
                       : service->state() == QService::State::Starting ? "start()"
                       : service->state() == QService::State::Stopping ? "stop()"
                                                                       : "code";
    steps::begin(set.get());
    {
        impl::ContextScope scope(nullptr);
        handle.resume();
    }
    if (const qint64 ns = steps::end())
        steps::report(set->service(), QString::fromLatin1(what), ns);
}

void WaitState::throwIfCancelled() const
{
    if (m_cancelled)
        throw Cancelled();
}

bool WaitState::resume(bool /*result*/)
{
    throwIfCancelled();
    return true;
}

namespace {
class SleepState;

// Every sleeping wait of a thread in one ordered queue, served by one timer of the time source:
// a QTimer per sleep would cost O(n) each to register with the event dispatcher, O(n^2) for
// many tasks. Deadlines are in ms of the source in use; once another source is installed, the
// next sleep re-arms the timer with it.
class SleepQueue
{
public:
    struct Key {
        qint64 deadline = 0;
        quint64 ticket = 0; // 0: not queued
        bool operator<(const Key &other) const
        {
            return deadline != other.deadline ? deadline < other.deadline : ticket < other.ticket;
        }
    };

    Key add(SleepState *wait, std::chrono::milliseconds duration)
    {
        const qint64 now = TimeSource::current()->nowMs();
        const qint64 left = std::numeric_limits<qint64>::max() - now; // no overflow: saturate
        const Key key{now + std::min<qint64>(duration.count(), left), ++m_lastTicket};
        const auto it = m_queue.emplace(key, wait).first;
        if (it == m_queue.begin() || m_epoch != timeSourceEpoch())
            rearm();
        return key;
    }

    void remove(const Key &key)
    {
        m_queue.erase(key);
        if (m_queue.empty())
            m_timer.reset(); // nothing left to wake (otherwise the next wake re-arms for the rest)
    }

private:
    void rearm()
    {
        if (m_queue.empty()) {
            m_timer.reset();
            return;
        }
        m_epoch = timeSourceEpoch();
        TimeSource *source = TimeSource::current();
        m_timer = source->callAfter(m_queue.begin()->first.deadline - source->nowMs(), &m_context,
                                    [this] { wakeDue(); });
    }

    void wakeDue();

    QObject m_context; // the thread's, for the timer's calls
    std::unique_ptr<TimeSource::Timer> m_timer;
    std::map<Key, SleepState *> m_queue;
    quint64 m_lastTicket = 0;
    quint64 m_epoch = 0;
};

SleepQueue &sleepQueue()
{
    thread_local SleepQueue queue;
    return queue;
}

class SleepState final : public WaitState
{
public:
    SleepState(const QService *service, std::chrono::milliseconds duration)
        : WaitState(service), m_duration(duration)
    {
    }
    SleepState(SleepState &&other) noexcept = default;
    ~SleepState() override { SleepState::disarm(); }
    void moveTo(impl::Wait &wait) noexcept override { make<SleepState>(wait, std::move(*this)); }

    // Called by the thread's sleep queue, which has removed it, when the deadline has come.
    void wake()
    {
        m_key.ticket = 0;
        resumeNormally();
    }

protected:
    bool readyNow() const override { return m_duration.count() <= 0; }
    void arm() override { m_key = sleepQueue().add(this, m_duration); }
    void disarm() override
    {
        if (m_key.ticket != 0)
            sleepQueue().remove(std::exchange(m_key, {}));
    }

private:
    std::chrono::milliseconds m_duration;
    SleepQueue::Key m_key; // its place in the thread's sleep queue
};

void SleepQueue::wakeDue()
{
    const qint64 now = TimeSource::current()->nowMs();
    while (!m_queue.empty() && m_queue.begin()->first.deadline <= now) {
        SleepState *wait = m_queue.begin()->second;
        m_queue.erase(m_queue.begin());
        wait->wake(); // may add or remove other sleeps
    }
    rearm();
}

class FutureState final : public WaitState
{
public:
    FutureState(const QService *service, const QFuture<void> &future)
        : WaitState(service), m_future(future)
    {
    }
    FutureState(FutureState &&other) noexcept = default;
    ~FutureState() override { AwaitedFutures::remove(this); }
    void moveTo(impl::Wait &wait) noexcept override { make<FutureState>(wait, std::move(*this)); }

    bool resume(bool result) override
    {
        AwaitedFutures::remove(this);
        throwIfCancelled();
        m_future.waitForFinished(); // finished already: rethrows the task's exception, if any
        if (m_future.isCanceled())
            throw Cancelled();
        if (result && QFutureInterfaceBase::get(m_future).resultCount() == 0)
            throw std::runtime_error("QLifecycle: the awaited future finished without a result");
        return true;
    }

protected:
    bool readyNow() const override { return m_future.isFinished(); }
    void arm() override
    {
        AwaitedFutures::add(this, m_future);
        m_watcher = std::make_unique<QFutureWatcher<void>>();
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
    QFuture<void> m_future;
    std::unique_ptr<QFutureWatcher<void>> m_watcher;
};

// Waits for one emission of a signal (connected by impl::SignalWait once armed), resuming on
// the waiting thread whatever thread emits it; ends early on timeout or when the sender is
// destroyed. Unlike qCoro(signal) in QCoro 0.8 it survives double emissions, a dying sender
// and cross-thread senders.
class SignalState final : public WaitState
{
public:
    SignalState(const QService *service, const QObject *sender, std::chrono::milliseconds timeout)
        : WaitState(service), m_sender(sender), m_timeout(timeout)
    {
    }
    SignalState(SignalState &&other) noexcept = default;
    ~SignalState() override { SignalState::disarm(); }
    void moveTo(impl::Wait &wait) noexcept override { make<SignalState>(wait, std::move(*this)); }

    bool resume(bool /*result*/) override
    {
        throwIfCancelled();
        return m_emitted;
    }
    const QObject *sender() const { return m_sender.data(); }
    QObject *receiver() const { return m_receiver.get(); }
    void finish(bool emitted)
    {
        if (!isPending())
            return;
        m_emitted = emitted;
        resumeNormally();
    }

protected:
    bool readyNow() const override { return m_sender.isNull(); }
    void arm() override
    {
        m_receiver = std::make_unique<QObject>(); // lives in the waiting thread
        QObject::connect(
            m_sender.data(), &QObject::destroyed, m_receiver.get(), [this] { finish(false); },
            Qt::QueuedConnection);
        if (m_timeout.count() >= 0)
            m_timer = TimeSource::current()->callAfter(m_timeout.count(), m_receiver.get(),
                                                       [this] { finish(false); });
    }
    void disarm() override
    {
        m_timer.reset();
        m_receiver.reset(); // drops emissions still queued (QObject copes with this in its slot)
    }

private:
    bool m_emitted = false;
    QPointer<const QObject> m_sender;
    std::chrono::milliseconds m_timeout;
    std::unique_ptr<QObject> m_receiver;
    std::unique_ptr<TimeSource::Timer> m_timer;
};

SignalState &signalState(const impl::Wait &wait)
{
    return static_cast<SignalState &>(const_cast<WaitState &>(WaitState::of(wait)));
}

struct AwaitedFuture {
    const WaitState *wait;
    QFuture<void> future;
};
thread_local std::vector<AwaitedFuture> t_awaited;
} // namespace

void AwaitedFutures::add(const WaitState *wait, const QFuture<void> &future)
{
    t_awaited.push_back({wait, future});
}

void AwaitedFutures::remove(const WaitState *wait)
{
    std::erase_if(t_awaited, [wait](const AwaitedFuture &entry) { return entry.wait == wait; });
}

bool AwaitedFutures::contains(const QFuture<void> &future)
{
    for (const AwaitedFuture &entry : t_awaited)
        if (QFutureInterfaceBase::get(entry.future) == QFutureInterfaceBase::get(future))
            return true;
    return false;
}

} // namespace QLifecycle::detail

namespace QLifecycle::impl {

using detail::WaitState;

// NOLINTBEGIN(cppcoreguidelines-pro-type-member-init): the state is made in the storage
Wait::Wait(const QService *service, std::chrono::milliseconds sleep)
{
    WaitState::make<detail::SleepState>(*this, service, sleep);
}

Wait::Wait(const QService *service, const QFuture<void> &future)
{
    WaitState::make<detail::FutureState>(*this, service, future);
}

Wait::Wait(const QService *service, const QObject *sender, std::chrono::milliseconds timeout)
{
    WaitState::make<detail::SignalState>(*this, service, sender, timeout);
}

Wait::Wait(Wait &&other) noexcept
{
    WaitState::of(other).moveTo(*this);
}
// NOLINTEND(cppcoreguidelines-pro-type-member-init)

Wait::~Wait()
{
    WaitState::of(*this).~WaitState();
}

bool Wait::await_ready()
{
    return WaitState::of(*this).ready();
}

void Wait::await_suspend(std::coroutine_handle<> waiter)
{
    WaitState::of(*this).suspend(waiter);
}

bool Wait::resume(bool result)
{
    WaitState &state = WaitState::of(*this);
    // Thrown here, not in a function of the state: every task of a stopping service unwinds
    // with it, and each frame more to unwind costs (bench_tasks, stop_ms).
    if (state.isCancelled())
        throw Cancelled();
    return state.resume(result);
}

const QObject *Wait::sender() const
{
    return detail::signalState(*this).sender();
}

QObject *Wait::receiver() const
{
    return detail::signalState(*this).receiver();
}

void Wait::emitted()
{
    detail::signalState(*this).finish(true);
}

SleepWait::SleepWait(const QService *service, std::chrono::milliseconds duration)
    : Wait(service, duration)
{
}

} // namespace QLifecycle::impl

namespace QLifecycle {

impl::SleepWait QService::sleepFor(std::chrono::milliseconds duration) const
{
    return impl::SleepWait(this, duration);
}

} // namespace QLifecycle
