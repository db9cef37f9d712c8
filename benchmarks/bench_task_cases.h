#pragma once

// The measured cases of bench_tasks: N background tasks of one kind in one service, spawned
// then cancelled and awaited, and the raw Qt + QCoro baseline of each kind.

#include <QtCore/QFuture>
#include <QtCore/QPromise>
#include <QtCore/QString>

#include <vector>

enum class Kind {
    Coroutine, // QCoro::Task<> sleeping in QService::sleepFor(1 h)
    Pool,      // a callable on a thread pool polling QPromise::isCanceled()
    Future,    // an adopted QFuture<void> whose QPromise the benchmark owns
};
inline constexpr Kind allKinds[] = {Kind::Coroutine, Kind::Pool, Kind::Future};

const char *kindName(Kind kind);

// One spawn + stop of N tasks. Object construction and destruction outside the spawn and
// the stop are never timed.
struct Figures {
    double spawnMs = 0;         // adding the N tasks (baseline: creating their raw equivalents)
    double stopMs = 0;          // cancelling them until every one has ended
    double rssDeltaBytes = 0;   // VmRSS right after the spawn minus right before it
    double peakRssMb = -1;      // VmHWM at the end of the stop (see peakRssIsPerCase())
    double watchedSpawnMs = -1; // Kind::Future baseline only: pairs + a QFutureWatcher each
    double throwingStopMs = -1; // Kind::Coroutine baseline only: frames woken by an exception
    int taskCount = -1;         // library only: the service's counts after the stop
    int finishedTaskCount = -1;
    bool ok = false;
    QString error; // why the run is not valid, when !ok
};

// Adds N tasks of `kind` from one QLifecycle::QService's start(), then runs
// ServiceManager::stop() and times it. ok is set only if the manager and the service were
// Running after the start and Stopped after the stop, taskCount == finishedTaskCount == N
// and every future addTask() returned has finished.
Figures measureLibrary(Kind kind, int n);

// The same QPromise/QFuture pairs, coroutine frames and thread-pool runs without the
// framework (see bench_tasks.cpp for what each kind's baseline does).
Figures measureBaseline(Kind kind, int n);

// True when the kernel let this process reset its VmHWM before each spawn
// (/proc/self/clear_refs, Linux 4.0+), so that peakRssMb is the peak of that case alone.
bool peakRssIsPerCase();

// Shared by the library run (bench_task_cases.cpp) and the baseline (bench_task_baseline.cpp).
namespace benchtasks {

// Memory figures around one spawn; see bench_task_cases.cpp for their limits.
class MemoryProbe
{
public:
    void beforeSpawn(); // frees what it can, resets VmHWM, reads VmRSS
    void afterSpawn(Figures *figures, int n) const;
    static void afterStop(Figures *figures);

private:
    long long m_before = 0;
};

// The thread-pool task of both runs: short polls, so that it ends promptly once cancelled.
void poll(QPromise<void> &promise);
int countUnfinished(const std::vector<QFuture<void>> &futures);

} // namespace benchtasks
