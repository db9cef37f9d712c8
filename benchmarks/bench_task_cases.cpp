// The library run of bench_tasks (one QService adding N tasks from its start()), and the
// helpers it shares with the baseline (bench_task_baseline.cpp).

#include "bench_task_cases.h"
#include "benchcommon.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QFuture>
#include <QtCore/QPromise>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <QCoro/QCoroTask>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

using QLifecycle::QService;
using namespace std::chrono_literals;

namespace benchtasks {

// ---------------------------------------------------------------------------------------
// Memory figures, from /proc/self/status.
//
// Limits: VmRSS counts resident pages, so a spawn that reuses heap memory freed by an
// earlier case (and still resident) looks cheaper than it is; malloc_trim() before each
// spawn hands most freed memory back to the kernel to limit that. VmHWM is process-wide and
// never decreases unless reset through /proc/self/clear_refs; when the reset is refused the
// peak printed is the highest of every case run so far, not of this case. Both are whole
// pages and include whatever else the process allocates meanwhile (thread stacks, Qt's
// event queues): small next to N tasks, not nothing at N = 10 000.

namespace {
bool g_peakReset = false;
} // namespace

void MemoryProbe::beforeSpawn()
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    if (std::FILE *refs = std::fopen("/proc/self/clear_refs", "w")) {
        const bool written = std::fputs("5", refs) >= 0; // 5: reset VmHWM to VmRSS
        g_peakReset = (std::fclose(refs) == 0) && written;
    }
    m_before = bench::statusKb("VmRSS");
}

void MemoryProbe::afterSpawn(Figures *figures, int n) const
{
    figures->rssDeltaBytes = double(bench::statusKb("VmRSS") - m_before) * 1024.0 / n;
}

void MemoryProbe::afterStop(Figures *figures)
{
    figures->peakRssMb = bench::statusKb("VmHWM") / 1024.0;
}

void poll(QPromise<void> &promise)
{
    while (!promise.isCanceled())
        QThread::usleep(100);
}

int countUnfinished(const std::vector<QFuture<void>> &futures)
{
    return int(std::count_if(futures.begin(), futures.end(),
                             [](const QFuture<void> &future) { return !future.isFinished(); }));
}

} // namespace benchtasks

using namespace benchtasks;

namespace {

// ---------------------------------------------------------------------------------------
// The library run.

// A free coroutine (no capturing lambda as a coroutine: docs/faq.md).
class TaskService;
QCoro::Task<> sleeper(TaskService *s);

// Plays the owner of the adopted futures: while the stop runs, a zero-interval timer
// finishes, in creation order, every promise whose future the service cancelled. The stop
// cancels all adopted futures in one pass before it returns to the event loop, so the first
// tick finishes them all; a tick that meets a promise not cancelled yet waits for the next.
class PromiseFinisher
{
public:
    explicit PromiseFinisher(std::vector<QPromise<void>> *promises) : m_promises(promises)
    {
        m_timer.setInterval(0);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { tick(); });
    }
    void start() { m_timer.start(); }

private:
    void tick()
    {
        while (m_next < m_promises->size() && (*m_promises)[m_next].isCanceled())
            (*m_promises)[m_next++].finish();
        if (m_next == m_promises->size())
            m_timer.stop();
    }

    std::vector<QPromise<void>> *m_promises;
    size_t m_next = 0;
    QTimer m_timer;
};

class TaskService final : public QService
{
    Q_OBJECT
public:
    using QService::sleepFor; // for sleeper(), its tasks' code
    TaskService(Kind kind, int n, Figures *figures) : m_kind(kind), m_n(n), m_figures(figures)
    {
        m_futures.reserve(size_t(n));
        if (kind == Kind::Future)
            m_promises.reserve(size_t(n));
    }

    const std::vector<QFuture<void>> &futures() const { return m_futures; }
    std::vector<QPromise<void>> *promises() { return &m_promises; }

protected:
    QCoro::Task<> start() override
    {
        spawn();
        co_return;
    }
    // The default 10 s would cut a slow stop short: the benchmark wants its duration.
    std::chrono::milliseconds gracefulShutdownTimeout() const override { return 10min; }

private:
    void spawn()
    {
        MemoryProbe probe;
        probe.beforeSpawn();
        QElapsedTimer clock;
        clock.start();
        switch (m_kind) {
        case Kind::Coroutine:
            for (int i = 0; i < m_n; ++i)
                m_futures.push_back(addTask(sleeper(this)));
            break;
        case Kind::Pool:
            for (int i = 0; i < m_n; ++i)
                m_futures.push_back(addPoolTask([](QPromise<void> &promise) { poll(promise); }));
            break;
        case Kind::Future:
            for (int i = 0; i < m_n; ++i) {
                QPromise<void> &promise = m_promises.emplace_back();
                promise.start();
                m_futures.push_back(addTask(promise.future()));
            }
            break;
        }
        m_figures->spawnMs = bench::msSince(clock);
        probe.afterSpawn(m_figures, m_n);
    }

    Kind m_kind;
    int m_n;
    Figures *m_figures;
    std::vector<QFuture<void>> m_futures;
    std::vector<QPromise<void>> m_promises; // Kind::Future: the benchmark's own promises
};

QCoro::Task<> sleeper(TaskService *s)
{
    co_await s->sleepFor(std::chrono::hours(1));
}

QCoro::Task<> driveLibrary(Kind kind, int n, Figures *figures, QEventLoop *loop)
{
    try {
        TaskService service(kind, n, figures);
        QLifecycle::ServiceManager manager(&service);
        co_await manager.start();
        if (manager.state() != QService::State::Running) {
            figures->error = QStringLiteral("not Running after start: ") + manager.errorString();
        } else {
            PromiseFinisher finisher(service.promises());
            QElapsedTimer clock;
            clock.start();
            if (kind == Kind::Future)
                finisher.start();
            co_await manager.stop();
            figures->stopMs = bench::msSince(clock);
            MemoryProbe::afterStop(figures);
            figures->taskCount = service.taskCount();
            figures->finishedTaskCount = service.finishedTaskCount();
            const int unfinished = countUnfinished(service.futures());
            figures->ok = manager.state() == QService::State::Stopped &&
                          service.state() == QService::State::Stopped && figures->taskCount == n &&
                          figures->finishedTaskCount == n && unfinished == 0;
            if (!figures->ok)
                figures->error = QStringLiteral("manager state %1 (%2), taskCount %3, "
                                                "finishedTaskCount %4, %5 futures unfinished")
                                     .arg(int(manager.state()))
                                     .arg(manager.errorString())
                                     .arg(figures->taskCount)
                                     .arg(figures->finishedTaskCount)
                                     .arg(unfinished);
        }
    } catch (const std::exception &error) {
        figures->error = QString::fromUtf8(error.what());
    } catch (...) {
        figures->error = QStringLiteral("unknown exception");
    }
    bench::quitLater(loop);
}

} // namespace

const char *kindName(Kind kind)
{
    switch (kind) {
    case Kind::Coroutine:
        return "coroutine";
    case Kind::Pool:
        return "pool";
    case Kind::Future:
        return "future";
    }
    return "?";
}

Figures measureLibrary(Kind kind, int n)
{
    Figures figures;
    bench::runInEventLoop([&](QEventLoop *loop) { driveLibrary(kind, n, &figures, loop); });
    return figures;
}

bool peakRssIsPerCase()
{
    return g_peakReset;
}

#include "bench_task_cases.moc"
