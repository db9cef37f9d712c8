#include <QLifecycle/timesource.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <atomic>

namespace QLifecycle {

TimeSource::~TimeSource() = default;
TimeSource::Timer::~Timer() = default;

namespace {
class SystemTimer final : public TimeSource::Timer
{
public:
    QTimer timer;
};

class SystemSource final : public TimeSource
{
public:
    SystemSource() { m_clock.start(); }
    qint64 nowMs() const override { return m_clock.elapsed(); }
    std::unique_ptr<Timer> callAfter(qint64 delayMs, QObject *context,
                                     std::function<void()> callback) override
    {
        auto timer = std::make_unique<SystemTimer>();
        timer->timer.setSingleShot(true);
        timer->timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer->timer, &QTimer::timeout, context, std::move(callback));
        timer->timer.start(int(std::max<qint64>(0, delayMs)));
        return timer;
    }

private:
    QElapsedTimer m_clock;
};

std::atomic<TimeSource *> s_installed{nullptr};
} // namespace

TimeSource *TimeSource::system()
{
    static SystemSource source;
    return &source;
}

TimeSource *TimeSource::current()
{
    TimeSource *installed = s_installed.load(std::memory_order_acquire);
    return installed ? installed : system();
}

void TimeSource::install(TimeSource *source)
{
    s_installed.store(source, std::memory_order_release);
}

} // namespace QLifecycle
