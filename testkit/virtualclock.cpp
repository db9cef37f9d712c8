#include <QLifecycle/testkit/virtualclock.h>

#include <QtCore/QAbstractEventDispatcher>
#include <QtCore/QCoreApplication>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QThread>

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <utility>

namespace QLifecycle::Test {

namespace {

// What a timer calls, shared by its entry and its handle: a handle destroyed once its call is
// on its way (posted to another thread) still stops it.
struct Call {
    std::function<void()> callback;
    QPointer<QObject> context;
    std::atomic<bool> cancelled{false};
};

using Key = std::pair<qint64, quint64>; // due time, then arming order

// Delivers what is posted on this thread (coroutines resume through the event loop), up to a
// bound: a zero-delay timer of Qt's that re-arms itself would never let it end.
void processPostedEvents()
{
    for (int round = 0; round < 64; ++round) {
        QCoreApplication::sendPostedEvents();
        QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
        if (!dispatcher || !dispatcher->processEvents(QEventLoop::AllEvents))
            break;
    }
}

} // namespace

struct VirtualClock::State {
    mutable QMutex mutex;
    std::atomic<qint64> now{0};
    quint64 lastSequence = 0;
    std::map<Key, std::shared_ptr<Call>> timers;
};

class VirtualClock::VirtualTimer final : public TimeSource::Timer
{
public:
    VirtualTimer(std::weak_ptr<State> state, Key key, std::shared_ptr<Call> call)
        : m_state(std::move(state)), m_key(std::move(key)), m_call(std::move(call))
    {
    }
    ~VirtualTimer() override
    {
        m_call->cancelled = true;
        if (const std::shared_ptr<State> state = m_state.lock()) {
            const QMutexLocker lock(&state->mutex);
            state->timers.erase(m_key);
        }
    }
    VirtualTimer(const VirtualTimer &) = delete;
    VirtualTimer &operator=(const VirtualTimer &) = delete;

private:
    std::weak_ptr<State> m_state; // the clock may be gone first
    Key m_key;
    std::shared_ptr<Call> m_call;
};

VirtualClock::VirtualClock(std::chrono::milliseconds origin)
    : m_state(std::make_shared<State>()), m_previous(TimeSource::current())
{
    m_state->now = std::max<qint64>(0, origin.count());
    TimeSource::install(this);
}

VirtualClock::~VirtualClock()
{
    if (TimeSource::current() == this)
        TimeSource::install(m_previous);
}

qint64 VirtualClock::nowMs() const
{
    return m_state->now.load(std::memory_order_acquire);
}

std::unique_ptr<TimeSource::Timer> VirtualClock::callAfter(qint64 delayMs, QObject *context,
                                                           std::function<void()> callback)
{
    Q_ASSERT(context);
    auto call = std::make_shared<Call>();
    call->callback = std::move(callback);
    call->context = context;
    const QMutexLocker lock(&m_state->mutex);
    const qint64 now = m_state->now.load(std::memory_order_relaxed);
    const qint64 left = std::numeric_limits<qint64>::max() - now;
    const Key key{now + std::clamp<qint64>(delayMs, 0, left), ++m_state->lastSequence};
    m_state->timers.emplace(key, call);
    return std::make_unique<VirtualTimer>(m_state, key, std::move(call));
}

// Fires the earliest timer due by `until`, if any, and delivers what it posted.
bool VirtualClock::fireNext(qint64 until)
{
    std::shared_ptr<Call> call;
    {
        const QMutexLocker lock(&m_state->mutex);
        auto it = m_state->timers.begin();
        if (it == m_state->timers.end() || it->first.first > until)
            return false;
        if (it->first.first > m_state->now.load(std::memory_order_relaxed))
            m_state->now.store(it->first.first, std::memory_order_release);
        call = std::move(it->second);
        m_state->timers.erase(it);
    }
    QObject *context = call->context.data();
    if (!context || call->cancelled)
        return true; // its context is gone: cancelled
    if (context->thread() == QThread::currentThread()) {
        const std::function<void()> callback = call->callback; // may destroy its own timer
        callback();
    } else {
        QMetaObject::invokeMethod(
            context,
            [call] {
                if (!call->cancelled)
                    call->callback();
            },
            Qt::QueuedConnection);
    }
    processPostedEvents();
    return true;
}

void VirtualClock::advanceBy(std::chrono::milliseconds delta)
{
    processPostedEvents();
    const qint64 target = nowMs() + std::max<qint64>(0, delta.count());
    while (fireNext(target)) {
    }
    if (nowMs() < target)
        m_state->now.store(target, std::memory_order_release);
}

bool VirtualClock::advanceUntilIdle(std::chrono::milliseconds limit)
{
    processPostedEvents();
    const qint64 end = nowMs() + std::max<qint64>(0, limit.count());
    while (fireNext(end)) {
    }
    return pendingTimers() == 0;
}

int VirtualClock::pendingTimers() const
{
    const QMutexLocker lock(&m_state->mutex);
    return int(std::count_if(m_state->timers.begin(), m_state->timers.end(),
                             [](const auto &entry) { return !entry.second->context.isNull(); }));
}

qint64 VirtualClock::nextDueMs() const
{
    const QMutexLocker lock(&m_state->mutex);
    for (const auto &[key, call] : m_state->timers)
        if (!call->context.isNull())
            return key.first;
    return -1;
}

} // namespace QLifecycle::Test
