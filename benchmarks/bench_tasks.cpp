// bench_tasks: N background tasks of one kind in one QLifecycle::QService, spawned from its
// start() then cancelled and awaited by ServiceManager::stop(), next to a raw Qt + QCoro
// baseline that creates the same promises, futures, coroutine frames and thread-pool runs
// with no framework bookkeeping.
//
// A program that prints figures, not a test: one JSON line per case on stdout, then
// "TARGET MISSED: ..." lines if any, then one summary line. It exits 0 whatever the figures.
// Build it in a Release or RelWithDebInfo build; a debug build measures the wrong thing.
//
//   bench_tasks                         every kind at N = 10000 and 100000, best of 3
//   bench_tasks --quick                 N = 10000 only (CI smoke runs)
//   bench_tasks --kind pool --n 100000 --repeat 1
//
// Kinds, and what their baseline does instead:
//   coroutine  addTask(sleeper(this)), sleeper being a free coroutine that co_awaits
//              QService::sleepFor(1 h). Baseline: per task a QPromise<void> started, its
//              QFuture kept, and one coroutine frame suspended in a 1 h sleep that can be
//              woken early: the frames wait in one intrusive list in deadline order, served
//              by one QTimer for all (as the library's sleep queue is). The stop wakes every
//              frame (oldest first), which cancels and finishes its promise and ends the
//              frame. A QTimer per frame would not do: Qt keeps its timers in one sorted
//              list, scanned on every registration and removal, so that such a baseline
//              measures Qt's list (its cost depends on the order of the wake-ups and is
//              not linear in N) rather than what a task minimally costs. Also printed, as
//              information only: throwing_baseline_stop_ms, the same stop with each frame
//              woken by an exception of its own that ends it (as QLifecycle::Cancelled
//              ends a task: the one unwinding per task that a stop cannot avoid), and
//              throwing_stop_ratio = stop_ms / that.
//   pool       addTask([](QPromise<void> &p) { while (!p.isCanceled()) usleep(100 us) }) on
//              the manager's pool. Only the pool's threads (QThread::idealThreadCount())
//              run at once; the rest stay queued and, once cancelled, are skipped.
//              Baseline: QtConcurrent::run(&pool, same function) on a pool of the same size,
//              then cancel() every future and waitForFinished() each.
//   future     addTask(promise.future()) for N started QPromise<void> that the benchmark
//              keeps in a vector. The benchmark plays their owner: while the stop runs, a
//              zero-interval QTimer finishes (in creation order) every promise whose future
//              was cancelled, as observed through QPromise::isCanceled(). The timer, not a
//              QFutureWatcher per promise, keeps the owner's cost per task to one check.
//              Baseline: the same N started promises and their futures; the stop cancels
//              every future, then finishes every cancelled promise. Also printed, as
//              information only: watched_baseline_spawn_us_per_task, the same pairs with a
//              QFutureWatcher each (what plain Qt code pays to learn on its own thread that
//              a future ended), and watched_ratio = spawn cost / that.
//
// Figures per case: spawn_us_per_task (the addTask loop alone, / N), stop_ms (from
// ServiceManager::stop() until every task ended and the manager is Stopped), peak_rss_mb
// (VmHWM at the end of the stop), rss_per_task_bytes (VmRSS delta around the spawn, / N),
// the same four for the baseline, ratio = spawn cost / baseline spawn cost, and
// stop_ratio = stop_ms / baseline_stop_ms. See bench_task_cases.cpp for the limits of the
// memory figures.
//
// Targets: ratio <= 3 for each kind at N = 10000; stop_ratio <= 1.5 for coroutine and pool
// tasks at N = 10000 and 100000; spawn + stop of N = 100000 <= 11 x that of N = 10000 for
// each kind; N = 100000 of each kind ends cleanly (manager Stopped, taskCount ==
// finishedTaskCount == N, every future finished).

#include "bench_task_cases.h"
#include "benchcommon.h"

#include <QtCore/QByteArray>
#include <QtCore/QCoreApplication>

#include <cstdio>
#include <optional>
#include <vector>

namespace {

struct CaseResult {
    Kind kind = Kind::Coroutine;
    int n = 0;
    Figures library;
    Figures baseline;
};

double totalMs(const Figures &figures)
{
    return figures.spawnMs + figures.stopMs;
}

double usPerTask(const Figures &figures, int n)
{
    return figures.spawnMs * 1000.0 / n;
}

double spawnRatio(const CaseResult &c)
{
    return c.library.spawnMs / c.baseline.spawnMs;
}

// The best (lowest spawn + stop) of `repeats` runs of each side; a failed library run is
// kept only if every run failed. The memory figures come from the run that was kept. Every
// N gets the same number of runs: the linear target compares two sizes, and a best of 3
// against a single run would bias it.
CaseResult runCase(Kind kind, int n, int repeats)
{
    CaseResult result;
    result.kind = kind;
    result.n = n;
    for (int r = 0; r < repeats; ++r) {
        const Figures library = measureLibrary(kind, n);
        if (r == 0 ||
            (library.ok && (!result.library.ok || totalMs(library) < totalMs(result.library))))
            result.library = library;
        const Figures baseline = measureBaseline(kind, n);
        if (r == 0 || totalMs(baseline) < totalMs(result.baseline))
            result.baseline = baseline;
    }
    return result;
}

double stopRatio(const CaseResult &c)
{
    return c.library.stopMs / c.baseline.stopMs;
}

void printCase(const CaseResult &c)
{
    std::printf("{\"kind\":\"%s\",\"n\":%d,\"spawn_us_per_task\":%.3f,\"stop_ms\":%.3f,"
                "\"peak_rss_mb\":%.1f,\"rss_per_task_bytes\":%.0f,"
                "\"baseline_spawn_us_per_task\":%.3f,\"baseline_stop_ms\":%.3f,"
                "\"baseline_peak_rss_mb\":%.1f,\"baseline_rss_per_task_bytes\":%.0f,"
                "\"ratio\":%.3f,\"stop_ratio\":%.3f,\"task_count\":%d,\"finished_task_count\":%d",
                kindName(c.kind), c.n, usPerTask(c.library, c.n), c.library.stopMs,
                c.library.peakRssMb, c.library.rssDeltaBytes, usPerTask(c.baseline, c.n),
                c.baseline.stopMs, c.baseline.peakRssMb, c.baseline.rssDeltaBytes, spawnRatio(c),
                stopRatio(c), c.library.taskCount, c.library.finishedTaskCount);
    if (c.baseline.watchedSpawnMs >= 0)
        std::printf(",\"watched_baseline_spawn_us_per_task\":%.3f,\"watched_ratio\":%.3f",
                    c.baseline.watchedSpawnMs * 1000.0 / c.n,
                    c.library.spawnMs / c.baseline.watchedSpawnMs);
    if (c.baseline.throwingStopMs >= 0)
        std::printf(",\"throwing_baseline_stop_ms\":%.3f,\"throwing_stop_ratio\":%.3f",
                    c.baseline.throwingStopMs, c.library.stopMs / c.baseline.throwingStopMs);
    if (!c.library.ok)
        std::printf(",\"error\":\"%s\"", bench::jsonEscaped(c.library.error).constData());
    if (!c.baseline.ok)
        std::printf(",\"baseline_error\":\"%s\"", bench::jsonEscaped(c.baseline.error).constData());
    std::printf("}\n");
    std::fflush(stdout);
}

std::vector<bench::Check> checkTargets(const std::vector<CaseResult> &results)
{
    auto find = [&](Kind kind, int n) {
        return bench::findCase(results, &CaseResult::kind, kind, n);
    };
    auto failure = [](const CaseResult &c) {
        return c.library.ok ? QByteArray() : ", run failed: " + bench::jsonEscaped(c.library.error);
    };

    std::vector<bench::Check> checks;
    for (const Kind kind : allKinds) {
        bench::Check check;
        check.name = QByteArray("spawn ratio<=3 ") + kindName(kind) + " n=10000";
        if (const CaseResult *c = find(kind, 10000)) {
            check.checked = true;
            check.passed = c->library.ok && spawnRatio(*c) <= 3.0;
            check.detail = "ratio " + QByteArray::number(spawnRatio(*c), 'f', 3) + " (" +
                           QByteArray::number(usPerTask(c->library, c->n), 'f', 3) + " us vs " +
                           QByteArray::number(usPerTask(c->baseline, c->n), 'f', 3) +
                           " us per task)" + failure(*c);
        }
        checks.push_back(check);
    }
    for (const Kind kind : {Kind::Coroutine, Kind::Pool}) {
        for (const int n : {10000, 100000}) {
            bench::Check check;
            check.name =
                QByteArray("stop ratio<=1.5 ") + kindName(kind) + " n=" + QByteArray::number(n);
            if (const CaseResult *c = find(kind, n)) {
                check.checked = true;
                check.passed = c->library.ok && stopRatio(*c) <= 1.5;
                check.detail = "stop_ratio " + QByteArray::number(stopRatio(*c), 'f', 3) + " (" +
                               QByteArray::number(c->library.stopMs, 'f', 3) + " ms vs " +
                               QByteArray::number(c->baseline.stopMs, 'f', 3) + " ms)" +
                               failure(*c);
            }
            checks.push_back(check);
        }
    }
    for (const Kind kind : allKinds) {
        bench::Check check;
        check.name =
            QByteArray("linear ") + kindName(kind) + " spawn+stop(100000)<=11*spawn+stop(10000)";
        const CaseResult *small = find(kind, 10000);
        const CaseResult *large = find(kind, 100000);
        if (small && large) {
            const double growth = totalMs(large->library) / totalMs(small->library);
            check.checked = true;
            check.passed = small->library.ok && large->library.ok && growth <= 11.0;
            check.detail = "growth x" + QByteArray::number(growth, 'f', 2) + " (" +
                           QByteArray::number(totalMs(small->library), 'f', 3) + " ms -> " +
                           QByteArray::number(totalMs(large->library), 'f', 3) + " ms)" +
                           failure(*small) + failure(*large);
        }
        checks.push_back(check);
    }
    for (const Kind kind : allKinds) {
        bench::Check check;
        check.name = QByteArray(kindName(kind)) + " n=100000 in one service completed";
        if (const CaseResult *c = find(kind, 100000)) {
            check.checked = true;
            check.passed = c->library.ok;
            check.detail = c->library.ok ? QByteArray("all ended, manager Stopped, "
                                                      "taskCount == finishedTaskCount == 100000")
                                         : "failed: " + bench::jsonEscaped(c->library.error);
        }
        checks.push_back(check);
    }
    return checks;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("bench_tasks"));

    const bench::OptionSpec spec{
        .description = QStringLiteral(
            "Spawn + stop of N background tasks in one service, against a raw Qt baseline."),
        .family = QStringLiteral("kind"),
        .choices = QStringLiteral("coroutine, pool or future"),
        .quickHelp = QStringLiteral("Only N = 10000 (smoke runs)."),
        .repeatHelp = QStringLiteral("Runs per case (default: best of 3)."),
        .sizes = {10000, 100000},
        .quickSizes = {10000},
    };
    const std::optional<bench::Options<Kind>> options =
        bench::parseOptions(app, spec, allKinds, kindName);
    if (!options)
        return 2;
    bench::warnIfAssertionsEnabled();

    std::vector<CaseResult> results;
    for (const int n : options->sizes) {
        for (const Kind kind : options->members) {
            const int repeats = options->repeat > 0 ? options->repeat : 3;
            results.push_back(runCase(kind, n, repeats));
            printCase(results.back());
        }
    }
    bench::printSummary(checkTargets(results), QByteArray(",\"peak_rss_per_case\":") +
                                                   (peakRssIsPerCase() ? "true" : "false"));
    return 0;
}
