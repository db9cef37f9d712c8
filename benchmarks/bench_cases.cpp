#include "bench_cases.h"
#include "benchcommon.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TraceRecorder>

#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QList>
#include <QtCore/QMetaObject>
#include <QtCore/QObject>

#include <QCoro/QCoroTask>

#include <algorithm>
#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

using QLifecycle::QService;

namespace {

// ---------------------------------------------------------------------------------------
// Graph layout, shared by the library run and the baseline. Node 0 is the root.

int objectCount(Shape shape, int n)
{
    return shape == Shape::Wide ? n + 1 : n;
}

// The nodes that node i depends on, as a half-open range [first, second).
std::pair<int, int> children(Shape shape, int n, int i)
{
    switch (shape) {
    case Shape::Wide:
        return i == 0 ? std::pair(1, n + 1) : std::pair(0, 0);
    case Shape::Tree: {
        const long long first = 10LL * i + 1; // long long: 10 * i may pass INT_MAX
        return first < n ? std::pair(int(first), int(std::min<long long>(first + 10, n)))
                         : std::pair(0, 0);
    }
    case Shape::Chain:
        return i + 1 < n ? std::pair(i + 1, i + 2) : std::pair(0, 0);
    }
    return {0, 0};
}

// The graph cut in levels, root first; a level depends only on the levels after it. In all
// three shapes a level is a contiguous range of nodes.
std::vector<std::pair<int, int>> levels(Shape shape, int n)
{
    std::vector<std::pair<int, int>> result;
    switch (shape) {
    case Shape::Wide:
        result = {{0, 1}, {1, n + 1}};
        break;
    case Shape::Tree:
        // Level d + 1 starts at 10 * (first node of level d) + 1: 0, 1, 11, 111, ...
        for (long long first = 0; first < n; first = 10 * first + 1)
            result.emplace_back(int(first), int(std::min<long long>(10 * first + 1, n)));
        break;
    case Shape::Chain:
        result.reserve(size_t(n));
        for (int i = 0; i < n; ++i)
            result.emplace_back(i, i + 1);
        break;
    }
    return result;
}

// ---------------------------------------------------------------------------------------
// The library run.

// A trivial service: the default start() and stop() (empty coroutines); only its
// dependencies are set.
class BenchService final : public QService
{
    Q_OBJECT
public:
    using QService::QService;

    void setDependencies(QList<QService *> dependencies, bool group)
    {
        m_dependencies = std::move(dependencies);
        m_group = group;
    }

protected:
    QLifecycle::Dependencies dependencies() const override
    {
        if (m_dependencies.isEmpty())
            return {};
        if (m_group)
            return {QLifecycle::Stage(m_dependencies)};
        return {QLifecycle::Stage(m_dependencies.first())};
    }

private:
    QList<QService *> m_dependencies;
    bool m_group = false;
};

using Services = std::vector<std::unique_ptr<BenchService>>;

Services makeServices(Shape shape, int n)
{
    const int count = objectCount(shape, n);
    Services services;
    services.reserve(size_t(count));
    for (int i = 0; i < count; ++i)
        services.push_back(std::make_unique<BenchService>());
    for (int i = 0; i < count; ++i) {
        const auto [first, last] = children(shape, n, i);
        if (first >= last)
            continue;
        QList<QService *> dependencies;
        dependencies.reserve(last - first);
        for (int child = first; child < last; ++child)
            dependencies.append(services[size_t(child)].get());
        services[size_t(i)]->setDependencies(std::move(dependencies), shape != Shape::Chain);
    }
    return services;
}

qsizetype countNotIn(const Services &services, QService::State state)
{
    return std::count_if(services.begin(), services.end(),
                         [state](const auto &service) { return service->state() != state; });
}

// A free coroutine: its state comes in as parameters, which live in the coroutine frame
// (a capturing lambda coroutine would lose its captures, docs/faq.md). Never awaited, so it
// catches everything itself.
QCoro::Task<> driveLibrary(const Services *services, Caches caches, Recorder mode, Timing *timing,
                           QEventLoop *loop)
{
    try {
        QLifecycle::ServiceManager manager(services->front().get());
        // Destroyed before the manager, outside the timed sections.
        std::optional<QLifecycle::TraceRecorder> recorder;
        if (mode != Recorder::Absent)
            recorder.emplace();
        if (mode == Recorder::On)
            recorder->attach(&manager);
        if (caches == Caches::Cold)
            bench::evictCaches();
        QElapsedTimer clock;
        clock.start();
        co_await manager.start();
        timing->startMs = bench::msSince(clock);
        // Checked outside the timed sections.
        const qsizetype notRunning = countNotIn(*services, QService::State::Running);
        if (caches == Caches::Cold)
            bench::evictCaches();
        clock.restart();
        co_await manager.stop();
        timing->stopMs = bench::msSince(clock);
        const qsizetype notStopped = countNotIn(*services, QService::State::Stopped);
        timing->ok =
            notRunning == 0 && notStopped == 0 && manager.state() == QService::State::Stopped;
        if (!timing->ok)
            timing->error =
                QStringLiteral("%1 services not Running after start, %2 not Stopped after stop")
                    .arg(notRunning)
                    .arg(notStopped);
    } catch (const std::exception &error) {
        timing->error = QString::fromUtf8(error.what());
    } catch (...) {
        timing->error = QStringLiteral("unknown exception");
    }
    bench::quitLater(loop);
}

// ---------------------------------------------------------------------------------------
// The lower bound.

// An object with a trivial service's hooks: two empty coroutines, virtual as QService's are.
class Hooks : public QObject
{
public:
    virtual QCoro::Task<> start()
    {
        running = true;
        co_return;
    }
    virtual QCoro::Task<> stop()
    {
        running = false;
        co_return;
    }
    bool running = false;
};

using HookObjects = std::vector<std::unique_ptr<Hooks>>;

// Calls each object's hook in `order` and awaits its task (done at once: QCoro tasks run
// eagerly up to their first suspension, and these have none).
QCoro::Task<> runHooks(const HookObjects *objects, const std::vector<int> *order, bool starting)
{
    for (const int i : *order) {
        Hooks *object = (*objects)[size_t(i)].get();
        // A named task: GCC 12 mishandles a temporary chosen by ?: in a co_await.
        const QCoro::Task<> hook = starting ? object->start() : object->stop();
        co_await hook;
    }
}

// ---------------------------------------------------------------------------------------
// The baseline.

// Suspends the coroutine and resumes it from the event loop, through a queued call on
// `context`.
struct ResumeFromEventLoop {
    QObject *context;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> waiter) const
    {
        QMetaObject::invokeMethod(
            context, [waiter] { waiter.resume(); }, Qt::QueuedConnection);
    }
    void await_resume() const noexcept {}
};

// One object's start (or stop): a coroutine frame resumed once through the event loop.
QCoro::Task<> baselineStep(QObject *object)
{
    co_await ResumeFromEventLoop{object};
}

using Objects = std::vector<std::unique_ptr<QObject>>;
using Levels = std::vector<std::pair<int, int>>;

QCoro::Task<> driveBaseline(const Objects *objects, const Levels *levels, size_t widest,
                            Caches caches, Timing *timing, QEventLoop *loop)
{
    std::vector<QCoro::Task<>> pending;
    pending.reserve(widest);
    if (caches == Caches::Cold)
        bench::evictCaches();
    QElapsedTimer clock;
    clock.start();
    // Start: the deepest level first (children before parents).
    for (auto level = levels->rbegin(); level != levels->rend(); ++level) {
        for (int i = level->first; i < level->second; ++i)
            pending.push_back(baselineStep((*objects)[size_t(i)].get()));
        for (const QCoro::Task<> &task : pending)
            co_await task;
        pending.clear();
    }
    timing->startMs = bench::msSince(clock);
    if (caches == Caches::Cold)
        bench::evictCaches();
    clock.restart();
    // Stop: the mirror (parents before children).
    for (const auto &level : *levels) {
        for (int i = level.first; i < level.second; ++i)
            pending.push_back(baselineStep((*objects)[size_t(i)].get()));
        for (const QCoro::Task<> &task : pending)
            co_await task;
        pending.clear();
    }
    timing->stopMs = bench::msSince(clock);
    timing->ok = true;
    bench::quitLater(loop);
}

} // namespace

const char *shapeName(Shape shape)
{
    switch (shape) {
    case Shape::Wide:
        return "wide";
    case Shape::Tree:
        return "tree";
    case Shape::Chain:
        return "chain";
    }
    return "?";
}

Timing measureLibrary(Shape shape, int n, Caches caches, Recorder recorder)
{
    const Services services = makeServices(shape, n);
    Timing timing;
    bench::runInEventLoop(
        [&](QEventLoop *loop) { driveLibrary(&services, caches, recorder, &timing, loop); });
    return timing;
}

Timing measureLowerBound(Shape shape, int n, Caches caches)
{
    const int count = objectCount(shape, n);
    HookObjects objects;
    objects.reserve(size_t(count));
    for (int i = 0; i < count; ++i)
        objects.push_back(std::make_unique<Hooks>());
    // In all three shapes a node depends only on nodes of higher index (children()): the
    // highest index first is a valid start order, the lowest first a valid stop order.
    std::vector<int> startOrder(static_cast<size_t>(count)), stopOrder(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        startOrder[size_t(i)] = count - 1 - i;
        stopOrder[size_t(i)] = i;
    }
    auto running = [&] {
        return std::count_if(objects.begin(), objects.end(),
                             [](const auto &object) { return object->running; });
    };
    Timing timing;
    if (caches == Caches::Cold)
        bench::evictCaches();
    QElapsedTimer clock;
    clock.start();
    const bool started = runHooks(&objects, &startOrder, true).isReady();
    timing.startMs = bench::msSince(clock);
    const auto runningAfterStart = running();
    if (caches == Caches::Cold)
        bench::evictCaches();
    clock.restart();
    const bool stopped = runHooks(&objects, &stopOrder, false).isReady();
    timing.stopMs = bench::msSince(clock);
    timing.ok = started && stopped && runningAfterStart == count && running() == 0;
    if (!timing.ok)
        timing.error = QStringLiteral("the lower bound's hooks did not all run");
    return timing;
}

Timing measureBaseline(Shape shape, int n, Caches caches)
{
    const int count = objectCount(shape, n);
    Objects objects;
    objects.reserve(size_t(count));
    for (int i = 0; i < count; ++i)
        objects.push_back(std::make_unique<QObject>());
    const Levels order = levels(shape, n);
    size_t widest = 0;
    for (const auto &[first, last] : order)
        widest = std::max(widest, size_t(last - first));
    Timing timing;
    bench::runInEventLoop(
        [&](QEventLoop *loop) { driveBaseline(&objects, &order, widest, caches, &timing, loop); });
    return timing;
}

#include "bench_cases.moc"
