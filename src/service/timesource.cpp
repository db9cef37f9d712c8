#include <QLifecycle/timesource.h>

#include "service/timesource_p.h"

#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>

namespace QLifecycle {

namespace {

qint64 systemNowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// A single-shot precise QTimer in the context's thread. Destroying the handle from inside the
// call (the usual case: the callback settles what armed it) defers the QTimer's deletion to
// the event loop that is delivering its timeout.
class SystemTimer final : public TimeSource::Timer
{
public:
    SystemTimer(qint64 delayMs, QObject *context, std::function<void()> callback)
        : m_timer(new QTimer), m_dueMs(delayMs > 0 ? systemNowMs() + delayMs : 0),
          m_callback(std::move(callback))
    {
        m_timer->setSingleShot(true);
        m_timer->setTimerType(Qt::PreciseTimer);
        m_timer->setInterval(intervalFor(delayMs));
        QObject::connect(m_timer, &QTimer::timeout, context, [this] { fire(); });
        if (context->thread() == QThread::currentThread()) {
            m_timer->start();
        } else {
            m_timer->moveToThread(context->thread());
            QMetaObject::invokeMethod(m_timer, qOverload<>(&QTimer::start), Qt::QueuedConnection);
        }
    }
    ~SystemTimer() override
    {
        if (m_alive)
            *m_alive = false;
        if (!m_timer)
            return;
        if (m_firing || m_timer->thread() != QThread::currentThread()) {
            QObject::disconnect(m_timer, nullptr, nullptr, nullptr);
            m_timer->deleteLater();
        } else {
            delete m_timer.data();
        }
    }
    SystemTimer(const SystemTimer &) = delete;
    SystemTimer &operator=(const SystemTimer &) = delete;

private:
    // QTimer counts in int milliseconds: a longer delay is served in steps.
    static int intervalFor(qint64 delayMs)
    {
        return int(std::clamp<qint64>(delayMs, 0, std::numeric_limits<int>::max()));
    }
    void fire()
    {
        if (const qint64 left = m_dueMs - systemNowMs(); left > 0) {
            m_timer->start(intervalFor(left));
            return;
        }
        bool alive = true;
        m_alive = &alive;
        m_firing = true;
        const std::function<void()> callback = m_callback; // `this` may die inside
        callback();
        if (alive) {
            m_firing = false;
            m_alive = nullptr;
        }
    }

    QPointer<QTimer> m_timer;
    qint64 m_dueMs = 0;
    std::function<void()> m_callback;
    bool m_firing = false;
    bool *m_alive = nullptr;
};

class SystemTimeSource final : public TimeSource
{
public:
    constexpr SystemTimeSource() = default;
    qint64 nowMs() const override { return systemNowMs(); }
    std::unique_ptr<Timer> callAfter(qint64 delayMs, QObject *context,
                                     std::function<void()> callback) override
    {
        Q_ASSERT(context);
        return std::make_unique<SystemTimer>(delayMs, context, std::move(callback));
    }
};

// Never destroyed: code that runs while static objects are destroyed may still read the clock.
union SystemHolder {
    constexpr SystemHolder() : source() {}
    ~SystemHolder() {} // NOLINT(modernize-use-equals-default): keeps the source alive
    SystemHolder(const SystemHolder &) = delete;
    SystemHolder &operator=(const SystemHolder &) = delete;
    SystemTimeSource source;
};
constinit SystemHolder s_system;
constinit std::atomic<TimeSource *> s_current{&s_system.source};
constinit std::atomic<quint64> s_epoch{0};

} // namespace

TimeSource::~TimeSource() = default;
TimeSource::Timer::~Timer() = default;

TimeSource *TimeSource::current()
{
    return s_current.load(std::memory_order_acquire);
}

TimeSource *TimeSource::system()
{
    return &s_system.source;
}

void TimeSource::install(TimeSource *source)
{
    s_current.store(source ? source : system(), std::memory_order_release);
    s_epoch.fetch_add(1, std::memory_order_acq_rel);
}

quint64 detail::timeSourceEpoch()
{
    return s_epoch.load(std::memory_order_acquire);
}

} // namespace QLifecycle
