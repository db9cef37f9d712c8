// The raw baseline of bench_tasks: the same promises, futures, coroutine frames and
// thread-pool runs as the library run, with no framework bookkeeping (see bench_tasks.cpp).

#include "bench_task_cases.h"
#include "benchcommon.h"

#include <QtConcurrent/QtConcurrentRun>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QFuture>
#include <QtCore/QFutureWatcher>
#include <QtCore/QPromise>
#include <QtCore/QThreadPool>
#include <QtCore/QTimer>

#include <QCoro/QCoroTask>

#include <chrono>
#include <coroutine>
#include <memory>
#include <vector>

using namespace benchtasks;

namespace {

// A sleep that can be woken early: a single-shot QTimer, registered in creation order in a
// list that the baseline's stop walks. It is a local variable of the coroutine, so it lives
// in the frame and never moves; wait() is what the coroutine awaits (QCoro copies the
// awaitables it is given).
struct WakeableSleep {
    WakeableSleep(std::vector<WakeableSleep *> *list, std::chrono::milliseconds duration)
        : list(list), duration(duration)
    {
    }
    auto wait()
    {
        struct Awaiter {
            WakeableSleep *sleep;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<> waiter) const { sleep->arm(waiter); }
            void await_resume() const noexcept {}
        };
        return Awaiter{this};
    }
    void arm(std::coroutine_handle<> waiter)
    {
        handle = waiter;
        index = list->size();
        list->push_back(this);
        timer.setSingleShot(true);
        timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer, &QTimer::timeout, &timer, [this] { wake(); });
        timer.start(duration);
    }
    void wake()
    {
        (*list)[index] = nullptr;
        timer.stop();
        handle.resume(); // ends the coroutine, which destroys this
    }

    std::vector<WakeableSleep *> *list;
    std::chrono::milliseconds duration;
    QTimer timer;
    std::coroutine_handle<> handle;
    size_t index = 0;
};

// Never awaited: a QCoro task starts at once and frees its frame when it ends.
QCoro::Task<> baselineSleeper(std::vector<WakeableSleep *> *list, QPromise<void> promise)
{
    WakeableSleep sleep(list, std::chrono::hours(1));
    co_await sleep.wait();
    promise.future().cancel();
    promise.finish();
}

// Informative, for Kind::Future: what plain Qt code pays to be told on its own thread that
// each of N futures ended: the same started pairs, each future watched by a QFutureWatcher
// whose finished() is connected to a lambda. Spawn only; the promises are then finished and
// the watchers destroyed untimed.
double watchedPairsSpawnMs(int n)
{
    std::vector<QPromise<void>> promises;
    promises.reserve(size_t(n));
    std::vector<std::unique_ptr<QFutureWatcher<void>>> watchers;
    watchers.reserve(size_t(n));
    int ended = 0;
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < n; ++i) {
        QPromise<void> &promise = promises.emplace_back();
        promise.start();
        auto &watcher = watchers.emplace_back(std::make_unique<QFutureWatcher<void>>());
        QObject::connect(watcher.get(), &QFutureWatcherBase::finished, watcher.get(),
                         [&ended] { ++ended; });
        watcher->setFuture(promise.future());
    }
    const double ms = bench::msSince(clock);
    for (QPromise<void> &promise : promises)
        promise.finish();
    return ms;
}

// Runs inside the event loop like the library run, but needs no suspension: its stop is
// synchronous.
void driveBaseline(Kind kind, int n, Figures *figures, QEventLoop *loop)
{
    std::vector<QFuture<void>> futures;
    futures.reserve(size_t(n));
    std::vector<QPromise<void>> promises;
    std::vector<WakeableSleep *> sleeps;
    QThreadPool pool; // as the manager's own pool: QThread::idealThreadCount() threads
    if (kind == Kind::Future)
        promises.reserve(size_t(n));
    if (kind == Kind::Coroutine)
        sleeps.reserve(size_t(n));

    MemoryProbe probe;
    probe.beforeSpawn();
    QElapsedTimer clock;
    clock.start();
    switch (kind) {
    case Kind::Coroutine:
        for (int i = 0; i < n; ++i) {
            QPromise<void> promise;
            promise.start();
            futures.push_back(promise.future());
            baselineSleeper(&sleeps, std::move(promise));
        }
        break;
    case Kind::Pool:
        for (int i = 0; i < n; ++i)
            futures.push_back(QtConcurrent::run(&pool, poll));
        break;
    case Kind::Future:
        for (int i = 0; i < n; ++i) {
            QPromise<void> &promise = promises.emplace_back();
            promise.start();
            futures.push_back(promise.future());
        }
        break;
    }
    figures->spawnMs = bench::msSince(clock);
    probe.afterSpawn(figures, n);

    clock.restart();
    switch (kind) {
    case Kind::Coroutine:
        // Creation order: Qt's timer list finds a timer to unregister by a linear scan
        // from its oldest entry, so oldest first is the order a plain loop would use and
        // the one that keeps that scan short.
        for (WakeableSleep *sleep : sleeps)
            if (sleep)
                sleep->wake();
        break;
    case Kind::Pool:
        for (QFuture<void> &future : futures)
            future.cancel();
        for (QFuture<void> &future : futures)
            future.waitForFinished();
        break;
    case Kind::Future:
        for (QFuture<void> &future : futures)
            future.cancel();
        for (QPromise<void> &promise : promises)
            if (promise.isCanceled())
                promise.finish();
        break;
    }
    figures->stopMs = bench::msSince(clock);
    MemoryProbe::afterStop(figures);
    const int unfinished = countUnfinished(futures);
    if (kind == Kind::Future)
        figures->watchedSpawnMs = watchedPairsSpawnMs(n);
    figures->ok = unfinished == 0;
    if (!figures->ok)
        figures->error = QStringLiteral("%1 futures unfinished").arg(unfinished);
    bench::quitLater(loop);
}

} // namespace

Figures measureBaseline(Kind kind, int n)
{
    Figures figures;
    bench::runInEventLoop([&](QEventLoop *loop) { driveBaseline(kind, n, &figures, loop); });
    return figures;
}
