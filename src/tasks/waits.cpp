#include <QLifecycle/detail/waits.h>
#include <QLifecycle/qservice.h>

#include "service/qservice_p.h"
#include "tasks/taskset.h"

#include <map>
#include <vector>

namespace QLifecycle::detail {

WaitBase::WaitBase(const QService *service)
    : m_service(service), m_set(service ? QServicePrivate::tasksFor(service) : nullptr)
{
}

WaitBase::WaitBase(WaitBase &&other) noexcept
    : m_service(std::move(other.m_service)), m_set(std::move(other.m_set)),
      m_cancelled(other.m_cancelled)
{
    Q_ASSERT(!other.m_handle); // never after it suspended
}

WaitBase::~WaitBase()
{
    // Destroyed while suspended (its coroutine frame was destroyed): leave the lists.
    if (isPending())
        unregister();
}

bool WaitBase::await_ready()
{
    if (m_set) {
        TaskRecord *owner = currentTask();
        if (owner && owner->set != m_set)
            owner = nullptr;
        const bool cancelled = owner ? owner->cancelled
                                     : m_set->mode() == TaskSet::Mode::CancellingTasks ||
                                           (m_set->startCancelled() && m_service &&
                                            m_service->state() == QService::State::Starting);
        if (cancelled) {
            m_cancelled = true;
            return true;
        }
    }
    return readyNow();
}

void WaitBase::await_suspend(std::coroutine_handle<> waiter)
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

void WaitBase::unregister()
{
    if (m_set)
        m_set->unregisterWait(this);
}

void WaitBase::resumeNormally()
{
    if (!isPending())
        return;
    m_done = true;
    unregister();
    disarm();
    // The coroutine continues as the task that registered the wait; `this` may be destroyed
    // by the time resume() returns.
    ContextScope scope(m_owner);
    m_handle.resume();
}

void WaitBase::cancelNow()
{
    if (!isPending())
        return;
    m_done = true;
    m_cancelled = true;
    unregister();
    disarm();
    ContextScope scope(m_owner);
    m_handle.resume();
}

void WaitBase::throwIfCancelled() const
{
    if (m_cancelled)
        throw Cancelled();
}

namespace {
// Every sleeping wait of a thread in one ordered queue, served by one QTimer: a QTimer per
// sleep would cost O(n) each to register with the event dispatcher, O(n^2) for many tasks.
class SleepQueue
{
public:
    using Clock = std::chrono::steady_clock;

    SleepQueue()
    {
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { wakeDue(); });
    }

    void add(SleepWait *wait, std::chrono::milliseconds duration)
    {
        wait->m_deadline = Clock::now() + duration;
        wait->m_ticket = ++m_lastTicket;
        const auto it = m_queue.emplace(Key{wait->m_deadline, wait->m_ticket}, wait).first;
        if (it == m_queue.begin())
            rearm();
    }

    void remove(SleepWait *wait)
    {
        m_queue.erase(Key{wait->m_deadline, wait->m_ticket});
        wait->m_ticket = 0;
    }

private:
    struct Key {
        Clock::time_point deadline;
        quint64 ticket;
        bool operator<(const Key &other) const
        {
            return deadline != other.deadline ? deadline < other.deadline : ticket < other.ticket;
        }
    };

    void rearm()
    {
        if (m_queue.empty()) {
            m_timer.stop();
            return;
        }
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(
            m_queue.begin()->first.deadline - Clock::now());
        m_timer.start(std::max(wait, std::chrono::milliseconds(0)));
    }

    void wakeDue()
    {
        const Clock::time_point now = Clock::now();
        while (!m_queue.empty() && m_queue.begin()->first.deadline <= now) {
            SleepWait *wait = m_queue.begin()->second;
            m_queue.erase(m_queue.begin());
            wait->m_ticket = 0;
            wait->wake(); // may add or remove other sleeps
        }
        rearm();
    }

    QTimer m_timer;
    std::map<Key, SleepWait *> m_queue;
    quint64 m_lastTicket = 0;
};

SleepQueue &sleepQueue()
{
    thread_local SleepQueue queue;
    return queue;
}
} // namespace

SleepWait::SleepWait(const QService *service, std::chrono::milliseconds duration)
    : WaitBase(service), m_duration(duration)
{
}

SleepWait::~SleepWait()
{
    disarm();
}

bool SleepWait::readyNow() const
{
    return m_duration.count() <= 0;
}

void SleepWait::arm()
{
    sleepQueue().add(this, m_duration);
}

void SleepWait::disarm()
{
    if (m_ticket != 0)
        sleepQueue().remove(this);
}

SignalWaitBase::SignalWaitBase(const QService *service, const QObject *sender,
                               std::chrono::milliseconds timeout)
    : WaitBase(service), m_sender(sender), m_timeout(timeout)
{
}

bool SignalWaitBase::readyNow() const
{
    return m_sender.isNull();
}

void SignalWaitBase::arm()
{
    m_receiver = std::make_unique<QObject>();
    connectSignal(m_receiver.get());
    QObject::connect(
        m_sender.data(), &QObject::destroyed, m_receiver.get(), [this] { finish(false); },
        Qt::QueuedConnection);
    if (m_timeout.count() >= 0) {
        m_timer = std::make_unique<QTimer>();
        m_timer->setSingleShot(true);
        QObject::connect(m_timer.get(), &QTimer::timeout, m_timer.get(), [this] { finish(false); });
        m_timer->start(m_timeout);
    }
}

void SignalWaitBase::disarm()
{
    if (m_timer)
        m_timer->stop();
    m_receiver.reset(); // drops emissions still queued (QObject copes with this in its slot)
}

void SignalWaitBase::finish(bool emitted)
{
    if (!isPending())
        return;
    m_emitted = emitted;
    resumeNormally();
}

namespace {
struct AwaitedFuture {
    WaitBase *wait;
    QFuture<void> future;
};
thread_local std::vector<AwaitedFuture> t_awaited;
} // namespace

void AwaitedFutures::add(WaitBase *wait, const QFuture<void> &future)
{
    t_awaited.push_back({wait, future});
}

void AwaitedFutures::remove(WaitBase *wait)
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
