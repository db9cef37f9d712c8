// bench_lifecycle: start + stop of N trivial services through QLifecycle::ServiceManager,
// next to a raw Qt + QCoro baseline that does the same amount of event-loop work with no
// framework bookkeeping.
//
// A program that prints figures, not a test: one JSON line per case on stdout, then
// "TARGET MISSED: ..." lines if any, then one summary line. It exits 0 whatever the figures.
// Build it in a Release or RelWithDebInfo build; a debug build measures the wrong thing.
//
//   bench_lifecycle                       every shape at N = 1000, 10000, 100000
//   bench_lifecycle --quick               N = 1000 and 10000 only (CI smoke runs)
//   bench_lifecycle --shape chain --n 100000 --repeat 1
//
// Shapes (node 0 is the root given to the ServiceManager):
//   wide   the root's dependencies() is one parallel group of N services (N + 1 objects);
//   tree   N services, branching factor 10: node i's dependencies() is one parallel group of
//          its children 10i+1 .. 10i+10 (those below N);
//   chain  N services, node i depends on node i+1 (N deep).
//
// The baseline builds the same number of QObjects and, per object, one QCoro::Task<>
// coroutine for the start and one for the stop. Each of them suspends once and is resumed by
// a queued call on its object, so every start and every stop goes once through the event
// loop. Dependency order is kept level by level: the deepest level first when starting (all
// leaves, then their parents, ... for the chain one object at a time), the mirror when
// stopping.
//
// A second baseline, the lower bound (lower_bound_ms, lower_bound_ratio and their cold_*
// twins): the same QObjects, each with a trivial service's two hooks (empty QCoro::Task<>
// coroutines), called by plain code in a precomputed dependency order, each task awaited at
// once: no event loop, no queued call, no bookkeeping. No scheduler can go below it; the
// ratio says what a step of QLifecycle costs over a bare coroutine call. Information, no target.
//
// The trace recorder (docs/observability.md): at N = 10 000 (every N with --recorder), each
// shape is also run warm with no recorder, with a recorder constructed but attached to no
// manager ("off"), and with one attached ("on"), alternately, --repeat rounds (default 7);
// printed are the medians and recorder_off_ratio, recorder_on_ratio (to no recorder) for the
// start and the stop.
//
// Every case is measured twice, each the best of --repeat runs: warm (start_ms, stop_ms,
// baseline_ms, ratio: the start begins right after the objects were built, the stop right
// after the start) and cold (cold_*: the CPU caches are evicted before each timed section).
// Warm, a graph of 10 000 (a few MB) runs from the caches and one of 100 000 does not, so
// the warm growth from 10 000 to 100 000 measures the cache size as much as the code; the
// linear-growth target is therefore checked on the cold figures, where every size pays its
// memory traffic, and the warm growth is printed next to it with the baseline's.

#include "bench_cases.h"
#include "benchcommon.h"

#include <QtCore/QCoreApplication>

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

namespace {

// The best (lowest start + stop) of `repeats` runs of one case, and its baseline.
struct CaseResult {
    Shape shape = Shape::Chain;
    int n = 0;
    Timing library;
    double baselineMs = 0;
    Timing coldLibrary; // the same with caches evicted before each timed section
    double coldBaselineMs = 0;
    double lowerBoundMs = 0; // the lower bound's start + stop, warm
    double coldLowerBoundMs = 0;
    double peakRssMb = 0;
};

double totalMs(const Timing &timing)
{
    return timing.startMs + timing.stopMs;
}

CaseResult runCase(Shape shape, int n, int repeats)
{
    CaseResult result;
    result.shape = shape;
    result.n = n;
    result.baselineMs = std::numeric_limits<double>::infinity();
    result.coldBaselineMs = std::numeric_limits<double>::infinity();
    result.lowerBoundMs = std::numeric_limits<double>::infinity();
    result.coldLowerBoundMs = std::numeric_limits<double>::infinity();
    // Keeps the best run; a failed run is kept only if every run failed.
    auto keepBest = [](Timing &best, const Timing &run, bool first) {
        if (first || (run.ok && (!best.ok || totalMs(run) < totalMs(best))))
            best = run;
    };
    for (int r = 0; r < repeats; ++r) {
        keepBest(result.library, measureLibrary(shape, n, Caches::Warm), r == 0);
        result.baselineMs =
            std::min(result.baselineMs, totalMs(measureBaseline(shape, n, Caches::Warm)));
        keepBest(result.coldLibrary, measureLibrary(shape, n, Caches::Cold), r == 0);
        result.coldBaselineMs =
            std::min(result.coldBaselineMs, totalMs(measureBaseline(shape, n, Caches::Cold)));
        result.lowerBoundMs =
            std::min(result.lowerBoundMs, totalMs(measureLowerBound(shape, n, Caches::Warm)));
        result.coldLowerBoundMs =
            std::min(result.coldLowerBoundMs, totalMs(measureLowerBound(shape, n, Caches::Cold)));
    }
    // VmHWM is a process-wide high-water mark, never reset: it covers this case and every
    // case before it. Cases run in increasing N, so the figure printed for a case is the
    // peak of the largest graph run so far, which is the one this case adds.
    result.peakRssMb = bench::peakRssMb();
    return result;
}

void printCase(const CaseResult &c)
{
    const double ratio = totalMs(c.library) / c.baselineMs;
    std::printf("{\"shape\":\"%s\",\"n\":%d,\"start_ms\":%.3f,\"stop_ms\":%.3f,"
                "\"baseline_ms\":%.3f,\"ratio\":%.3f,\"cold_start_ms\":%.3f,\"cold_stop_ms\":%.3f,"
                "\"cold_baseline_ms\":%.3f,\"cold_ratio\":%.3f,\"lower_bound_ms\":%.3f,"
                "\"lower_bound_ratio\":%.2f,\"cold_lower_bound_ms\":%.3f,"
                "\"cold_lower_bound_ratio\":%.2f,\"peak_rss_mb\":%.1f",
                shapeName(c.shape), c.n, c.library.startMs, c.library.stopMs, c.baselineMs, ratio,
                c.coldLibrary.startMs, c.coldLibrary.stopMs, c.coldBaselineMs,
                totalMs(c.coldLibrary) / c.coldBaselineMs, c.lowerBoundMs,
                totalMs(c.library) / c.lowerBoundMs, c.coldLowerBoundMs,
                totalMs(c.coldLibrary) / c.coldLowerBoundMs, c.peakRssMb);
    for (const Timing *timing : {&c.library, &c.coldLibrary})
        if (!timing->ok)
            std::printf(",\"error\":\"%s\"", bench::jsonEscaped(timing->error).constData());
    std::printf("}\n");
    std::fflush(stdout);
}

double median(std::vector<double> values)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t middle = values.size() / 2;
    return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// No recorder, one off and one on, run alternately (the first of the three rotates from round
// to round), warm; prints their medians and the ratios to no recorder.
void runRecorderCase(Shape shape, int n, int rounds)
{
    constexpr std::array modes = {Recorder::Absent, Recorder::Off, Recorder::On};
    std::array<std::vector<double>, 3> starts, stops;
    int failed = 0;
    for (int round = 0; round < rounds; ++round) {
        for (size_t k = 0; k < modes.size(); ++k) {
            const size_t m = (size_t(round) + k) % modes.size();
            const Timing timing = measureLibrary(shape, n, Caches::Warm, modes[m]);
            failed += timing.ok ? 0 : 1;
            starts[m].push_back(timing.startMs);
            stops[m].push_back(timing.stopMs);
        }
    }
    std::array<double, 3> start{}, stop{};
    for (size_t m = 0; m < modes.size(); ++m) {
        start[m] = median(starts[m]);
        stop[m] = median(stops[m]);
    }
    std::printf("{\"recorder\":\"%s\",\"n\":%d,\"rounds\":%d,\"absent_start_ms\":%.3f,"
                "\"absent_stop_ms\":%.3f,\"off_start_ms\":%.3f,\"off_stop_ms\":%.3f,"
                "\"on_start_ms\":%.3f,\"on_stop_ms\":%.3f,"
                "\"recorder_off_ratio\":{\"start\":%.3f,\"stop\":%.3f},"
                "\"recorder_on_ratio\":{\"start\":%.3f,\"stop\":%.3f},\"failed_runs\":%d}\n",
                shapeName(shape), n, rounds, start[0], stop[0], start[1], stop[1], start[2],
                stop[2], start[1] / start[0], stop[1] / stop[0], start[2] / start[0],
                stop[2] / stop[0], failed);
    std::fflush(stdout);
}

std::vector<bench::Check> checkTargets(const std::vector<CaseResult> &results)
{
    auto find = [&](Shape shape, int n) {
        return bench::findCase(results, &CaseResult::shape, shape, n);
    };

    std::vector<bench::Check> checks;
    for (const Shape shape : allShapes) {
        bench::Check check;
        check.name = QByteArray("ratio<=3 ") + shapeName(shape) + " n=10000";
        if (const CaseResult *c = find(shape, 10000)) {
            const double ratio = totalMs(c->library) / c->baselineMs;
            check.checked = true;
            check.passed = c->library.ok && ratio <= 3.0;
            check.detail = "ratio " + QByteArray::number(ratio, 'f', 3);
            if (!c->library.ok)
                check.detail += ", run failed: " + bench::jsonEscaped(c->library.error);
        }
        checks.push_back(check);
    }
    {
        bench::Check check;
        check.name = "chain n=100000 completed";
        if (const CaseResult *c = find(Shape::Chain, 100000)) {
            check.checked = true;
            check.passed = c->library.ok;
            check.detail = c->library.ok
                               ? QByteArray("completed, every service started and stopped")
                               : "failed: " + bench::jsonEscaped(c->library.error);
        }
        checks.push_back(check);
    }
    for (const Shape shape : allShapes) {
        bench::Check check;
        check.name =
            QByteArray("linear ") + shapeName(shape) + " cold time(100000)<=11*time(10000)";
        const CaseResult *small = find(shape, 10000);
        const CaseResult *large = find(shape, 100000);
        if (small && large) {
            auto growth = [&](const Timing CaseResult::*timing) {
                return totalMs(large->*timing) / totalMs(small->*timing);
            };
            auto figures = [&](const Timing CaseResult::*timing) -> QByteArray { // not a builder
                return "x" + QByteArray::number(growth(timing), 'f', 2) + " (" +
                       QByteArray::number(totalMs(small->*timing), 'f', 3) + " ms -> " +
                       QByteArray::number(totalMs(large->*timing), 'f', 3) + " ms)";
            };
            check.checked = true;
            check.passed = small->coldLibrary.ok && large->coldLibrary.ok &&
                           growth(&CaseResult::coldLibrary) <= 11.0;
            // The warm growth is information: a warm graph of 10 000 runs from the caches,
            // one of 100 000 does not (the baseline's warm growth shows the same step).
            check.detail =
                "cold growth " + figures(&CaseResult::coldLibrary) + "; warm growth " +
                figures(&CaseResult::library) + "; baseline cold x" +
                QByteArray::number(large->coldBaselineMs / small->coldBaselineMs, 'f', 2) +
                ", warm x" + QByteArray::number(large->baselineMs / small->baselineMs, 'f', 2);
        }
        checks.push_back(check);
    }
    return checks;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("bench_lifecycle"));

    const bench::OptionSpec spec{
        .description =
            QStringLiteral("Start + stop of N trivial services, against a raw Qt baseline."),
        .family = QStringLiteral("shape"),
        .choices = QStringLiteral("wide, tree or chain"),
        .quickHelp = QStringLiteral("Only N = 1000 and 10000 (smoke runs)."),
        .repeatHelp = QStringLiteral("Runs per case (default: best of 3)."),
        .sizes = {1000, 10000, 100000},
        .quickSizes = {1000, 10000},
        .switches = {{QStringLiteral("recorder"),
                      QStringLiteral("Compare no trace recorder, one off and one on at every N "
                                     "(default: at N = 10000 only).")}},
    };
    const std::optional<bench::Options<Shape>> options =
        bench::parseOptions(app, spec, allShapes, shapeName);
    if (!options)
        return 2;
    bench::warnIfAssertionsEnabled();

    // Increasing N (every shape at one N before the next N), so that the process-wide VmHWM
    // printed with each case is the peak of that case's size.
    std::vector<int> sizes = options->sizes;
    std::sort(sizes.begin(), sizes.end());
    std::vector<CaseResult> results;
    for (const int n : sizes) {
        for (const Shape shape : options->members) {
            const int repeats = options->repeat > 0 ? options->repeat : 3;
            results.push_back(runCase(shape, n, repeats));
            printCase(results.back());
        }
    }
    const bool everyN = !options->switches.empty(); // --recorder, the only switch
    for (const int n : sizes)
        if (everyN || n == 10000)
            for (const Shape shape : options->members)
                runRecorderCase(shape, n, options->repeat > 0 ? options->repeat : 7);
    bench::printSummary(checkTargets(results));
    return 0;
}
