#include "service/steps.h"

#include <QLifecycle/servicemanager.h>

#include "service/qservice_p.h"
#include "service/serviceowner.h"
#include "service/threadlocal.h"
#include "service/tracer.h"

#include <QtCore/QAbstractEventDispatcher>
#include <QtCore/QHash>
#include <QtCore/QLoggingCategory>
#include <QtCore/QMutex>

#include <atomic>
#include <chrono>
#include <ctime>

namespace QLifecycle {

namespace {
Q_LOGGING_CATEGORY(lcStall, "qlifecycle.stall", QtWarningMsg)

constexpr qint64 DefaultThresholdMs = 50;
constexpr int MaxDepth = 32; // deeper steps are not timed (they still nest correctly)

// The threshold in ns: -1 until read from QLIFECYCLE_STALL_MS (or set), 0 when off.
std::atomic<qint64> g_thresholdNs{-1};

struct Frame {
    qint64 begin;        // ns of the coarse clock
    qint64 nested;       // ns spent in the steps nested in it
    quint64 waits;       // the thread's waits for events when it began
    const void *subject; // what runs; nullptr once forgotten
};

QLC_HOT_THREAD_LOCAL int t_depth = 0;
QLC_HOT_THREAD_LOCAL quint64 t_waits = 0; // times this thread's dispatcher was about to block
QLC_HOT_THREAD_LOCAL QObject *t_watched = nullptr; // the dispatcher counted in t_waits
thread_local Frame t_frames[MaxDepth];

// A clock of a few ms resolution that costs a few ns: a stall is tens of ms long.
qint64 coarseNow()
{
#if defined(CLOCK_MONOTONIC_COARSE)
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return qint64(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
#else
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
#endif
}

qint64 thresholdNs()
{
    qint64 value = g_thresholdNs.load(std::memory_order_relaxed);
    if (value >= 0)
        return value;
    bool ok = false;
    const qint64 ms = qEnvironmentVariableIntValue("QLIFECYCLE_STALL_MS", &ok);
    value = (ok && ms >= 0 ? ms : DefaultThresholdMs) * 1'000'000;
    qint64 unread = -1;
    g_thresholdNs.compare_exchange_strong(unread, value, std::memory_order_relaxed);
    return g_thresholdNs.load(std::memory_order_relaxed);
}

// Counts the times this thread's event dispatcher is about to wait for events: a step during
// which it waited ran a nested event loop, and did not block the thread. Connected once per
// dispatcher (a thread may see its dispatcher replaced, as a test making a second application).
void watchDispatcher()
{
    QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
    if (!dispatcher)
        return;
    t_watched = dispatcher;
    QObject::connect(
        dispatcher, &QAbstractEventDispatcher::aboutToBlock, dispatcher, [] { ++t_waits; },
        Qt::DirectConnection);
    QObject::connect(
        dispatcher, &QObject::destroyed, dispatcher, [] { t_watched = nullptr; },
        Qt::DirectConnection);
}
} // namespace

void ServiceManager::setStallThreshold(std::chrono::milliseconds threshold)
{
    g_thresholdNs.store(qMax<qint64>(threshold.count(), 0) * 1'000'000, std::memory_order_relaxed);
}

std::chrono::milliseconds ServiceManager::stallThreshold()
{
    return std::chrono::milliseconds(thresholdNs() / 1'000'000);
}

namespace detail::steps {

bool enabled()
{
    return thresholdNs() != 0;
}

void begin(const void *subject)
{
    const int depth = t_depth++;
    if (depth >= MaxDepth || !enabled())
        return;
    if (Q_UNLIKELY(!t_watched))
        watchDispatcher();
    t_frames[depth] = {coarseNow(), 0, t_waits, subject};
}

qint64 end(const void **subject)
{
    const int depth = --t_depth;
    if (depth >= MaxDepth || !enabled())
        return 0;
    const Frame &frame = t_frames[depth];
    const qint64 total = coarseNow() - frame.begin;
    if (depth > 0)
        t_frames[depth - 1].nested += total;
    const qint64 own = total - frame.nested;
    if (subject)
        *subject = frame.subject;
    return own > thresholdNs() && frame.waits == t_waits ? own : 0;
}

qint64 release(const void *subject)
{
    for (int depth = qMin(t_depth, MaxDepth) - 1; depth >= 0; --depth) {
        Frame &frame = t_frames[depth];
        if (frame.subject != subject)
            continue;
        frame.subject = nullptr;
        // Its own time so far: a step nested in it and still under way is not.
        const qint64 now = coarseNow();
        qint64 own = now - frame.begin - frame.nested;
        if (depth + 1 < qMin(t_depth, MaxDepth))
            own -= now - t_frames[depth + 1].begin;
        return own > thresholdNs() && frame.waits == t_waits ? own : 0;
    }
    return 0;
}

void report(QService *service, const QString &what, qint64 ns)
{
    if (!service)
        return;
    const qint64 ms = ns / 1'000'000;
    qCWarning(lcStall).noquote() << QStringLiteral("%1: %2 blocked the thread for %3 ms "
                                                   "(stall threshold %4 ms)")
                                        .arg(service->name(), what)
                                        .arg(ms)
                                        .arg(thresholdNs() / 1'000'000);
    if (Tracer::any())
        Tracer::withService(service, [&](Tracer &tracer) { tracer.stalled(service, what, ns); });
    if (const std::shared_ptr<ServiceOwner> owner = QServicePrivate::get(service)->owner.lock())
        owner->stalled(service, what, ms);
}

} // namespace detail::steps

namespace detail {

std::atomic<int> Tracer::attached{0};

namespace {
struct Registry {
    QBasicMutex mutex;
    QHash<const ServiceManager *, Tracer *> tracers;
};
Registry &registry()
{
    static Registry instance;
    return instance;
}
} // namespace

void Tracer::attach(const ServiceManager *manager, Tracer *tracer)
{
    Registry &r = registry();
    const QMutexLocker lock(&r.mutex);
    if (!r.tracers.contains(manager))
        attached.fetch_add(1, std::memory_order_relaxed);
    r.tracers.insert(manager, tracer);
}

void Tracer::detach(const ServiceManager *manager, Tracer *tracer)
{
    Registry &r = registry();
    const QMutexLocker lock(&r.mutex);
    const auto found = r.tracers.constFind(manager);
    if (found == r.tracers.cend() || *found != tracer)
        return;
    r.tracers.erase(found);
    attached.fetch_sub(1, std::memory_order_relaxed);
}

void Tracer::with(const ServiceManager *manager, const std::function<void(Tracer &)> &call)
{
    Registry &r = registry();
    const QMutexLocker lock(&r.mutex);
    if (Tracer *tracer = r.tracers.value(manager))
        call(*tracer);
}

void Tracer::withService(const QService *service, const std::function<void(Tracer &)> &call)
{
    if (const ServiceManager *manager = QServicePrivate::get(service)->manager.data())
        with(manager, call);
}

} // namespace detail
} // namespace QLifecycle
