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

#include <algorithm>
#include <chrono>
#include <climits>
#include <coroutine>
#include <exception>
#include <memory>
#include <vector>

using namespace benchtasks;

namespace {

// The sleeps of the coroutine baseline: every suspended frame in one intrusive list, in
// deadline order, served by one QTimer armed for the earliest deadline, as a raw Qt program
// with many sleeping coroutines would do (and as the library's own sleep queue does). A
// QTimer per frame would make the baseline pay Qt's timer list, whose registration and
// removal scan it: its cost per frame grows with the number of timers, so that at N = 100 000
// the baseline would measure Qt, not a raw equivalent. All sleeps here have one duration, so
// appending keeps the list in deadline order; each one is O(1) to add, wake or remove.
class SleepList
{
public:
    // What a woken frame throws when `throwing`: the raw equivalent of QLifecycle::Cancelled.
    struct SleepCancelled : std::exception {
    };
    bool throwing = false;

    struct Node {
        Node *prev = nullptr;
        Node *next = nullptr;
        qint64 deadline = 0;
        std::coroutine_handle<> handle;
        bool cancelled = false;
    };

    SleepList()
    {
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { wakeDue(); });
        m_clock.start();
    }

    // A sleep of `duration` for the frame of `node` (it lives in that frame).
    auto sleep(Node *node, std::chrono::milliseconds duration)
    {
        struct Awaiter {
            SleepList *list;
            Node *node;
            qint64 deadline;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<> waiter) const
            {
                node->handle = waiter;
                node->deadline = deadline;
                list->append(node);
            }
            bool await_resume() const
            {
                if (node->cancelled && list->throwing)
                    throw SleepCancelled();
                return !node->cancelled;
            }
        };
        return Awaiter{this, node, m_clock.elapsed() + duration.count()};
    }

    // The stop: wakes every frame, oldest first, as cancelled.
    void cancelAll()
    {
        while (m_head)
            wake(m_head, true);
        m_timer.stop();
    }

private:
    void append(Node *node)
    {
        node->prev = m_tail;
        (m_tail ? m_tail->next : m_head) = node;
        m_tail = node;
        if (node == m_head)
            m_timer.start(int(std::min<qint64>(node->deadline - m_clock.elapsed(), INT_MAX)));
    }
    void wake(Node *node, bool cancelled)
    {
        (node->prev ? node->prev->next : m_head) = node->next;
        (node->next ? node->next->prev : m_tail) = node->prev;
        node->cancelled = cancelled;
        node->handle.resume(); // ends the coroutine, which frees the node
    }
    void wakeDue()
    {
        while (m_head && m_head->deadline <= m_clock.elapsed())
            wake(m_head, false);
        if (m_head)
            m_timer.start(int(std::min<qint64>(m_head->deadline - m_clock.elapsed(), INT_MAX)));
    }

    Node *m_head = nullptr;
    Node *m_tail = nullptr;
    QTimer m_timer;
    QElapsedTimer m_clock;
};

// Never awaited: a QCoro task starts at once and frees its frame when it ends. Woken early,
// it cancels its future; either way it finishes its promise. (Woken by an exception, it ends
// with it, and its promise's destructor cancels and finishes the promise.)
QCoro::Task<> baselineSleeper(SleepList *list, QPromise<void> promise)
{
    SleepList::Node node;
    if (!co_await list->sleep(&node, std::chrono::hours(1)))
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
void driveBaseline(Kind kind, int n, Figures *figures, QEventLoop *loop, bool throwing)
{
    std::vector<QFuture<void>> futures;
    futures.reserve(size_t(n));
    std::vector<QPromise<void>> promises;
    SleepList sleeps;
    sleeps.throwing = throwing;
    QThreadPool pool; // as the manager's own pool: QThread::idealThreadCount() threads
    if (kind == Kind::Future)
        promises.reserve(size_t(n));

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
        sleeps.cancelAll();
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
    bench::runInEventLoop([&](QEventLoop *loop) { driveBaseline(kind, n, &figures, loop, false); });
    if (kind == Kind::Coroutine) {
        Figures throwing;
        bench::runInEventLoop(
            [&](QEventLoop *loop) { driveBaseline(kind, n, &throwing, loop, true); });
        figures.throwingStopMs = throwing.stopMs;
    }
    return figures;
}
