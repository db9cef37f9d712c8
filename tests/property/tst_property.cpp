// Randomized property test of the lifecycle contract: random dependency graphs with random delays,
// faults and tasks, started and stopped by the real ServiceManager, every invariant of
// docs/contract.md checked after every cycle (see checker.cpp). Graph g of a run uses seed S + g,
// so a failure is replayed with --seed <that seed> --graphs 1.
//
//   tst_property [--seed S] [--graphs N] [--max-services M] [--keep-going] [--describe]
//                [--verbose]
// Environment: QLIFECYCLE_PROPERTY_SEED and QLIFECYCLE_PROPERTY_GRAPHS (the options win).

#include "checker.h"
#include "scenario.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QElapsedTimer>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

using namespace QLifecycle::Property;

namespace {

struct Options {
    quint64 seed = 1;
    qint64 graphs = 2000;
    int maxServices = 300;
    bool keepGoing = false;
    bool describe = false;
    bool verbose = false;
};

void usage(const char *program)
{
    fprintf(stderr,
            "usage: %s [--seed S] [--graphs N] [--max-services M] [--keep-going] [--describe] "
            "[--verbose]\n",
            program);
}

bool parse(int argc, char **argv, Options &options)
{
    if (const QByteArray seed = qgetenv("QLIFECYCLE_PROPERTY_SEED"); !seed.isEmpty())
        options.seed = seed.toULongLong();
    if (const QByteArray graphs = qgetenv("QLIFECYCLE_PROPERTY_GRAPHS"); !graphs.isEmpty())
        options.graphs = graphs.toLongLong();
    for (int i = 1; i < argc; ++i) {
        const bool hasValue = i + 1 < argc;
        if (!strcmp(argv[i], "--seed") && hasValue)
            options.seed = strtoull(argv[++i], nullptr, 10);
        else if (!strcmp(argv[i], "--graphs") && hasValue)
            options.graphs = strtoll(argv[++i], nullptr, 10);
        else if (!strcmp(argv[i], "--max-services") && hasValue)
            options.maxServices = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--keep-going"))
            options.keepGoing = true;
        else if (!strcmp(argv[i], "--describe"))
            options.describe = true;
        else if (!strcmp(argv[i], "--verbose"))
            options.verbose = true;
        else
            return false;
    }
    return options.graphs > 0 && options.maxServices > 0;
}

// The last resort against a hang that no timer can see (a busy loop on the event loop's
// thread): names the graph and ends the process when one graph takes more than two minutes.
constexpr qint64 WatchdogLimitMs = 120000;
std::atomic<quint64> s_watchedSeed{0};
std::atomic<qint64> s_watchedSince{0};

void startWatchdog(const char *program)
{
    std::thread([program] {
        for (;;) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            const qint64 since = s_watchedSince.load();
            if (since && QDateTime::currentMSecsSinceEpoch() - since > WatchdogLimitMs) {
                const unsigned long long seed = s_watchedSeed.load();
                printf("HANG: seed %llu ran for more than %lld s\nreplay: %s --seed %llu "
                       "--graphs 1\n",
                       seed, WatchdogLimitMs / 1000, program, seed);
                fflush(stdout);
                std::_Exit(1);
            }
        }
    }).detach();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    Options options;
    if (!parse(argc, argv, options)) {
        usage(argv[0]);
        return 2;
    }
    installMessageTrap(options.verbose);
    printf("tst_property: %lld graph(s) from seed %llu\n", (long long)options.graphs,
           (unsigned long long)options.seed);
    fflush(stdout);

    startWatchdog(argv[0]);
    QElapsedTimer clock;
    clock.start();
    qint64 services = 0, cycles = 0, faults = 0, failedGraphs = 0, run = 0;
    for (qint64 g = 0; g < options.graphs; ++g) {
        const quint64 seed = options.seed + quint64(g);
        RandomChoices choices(seed);
        Scenario scenario = generate(choices, {.maxServices = options.maxServices});
        scenario.seed = seed;
        if (options.describe)
            printf("seed %llu:\n%s\n", (unsigned long long)seed, qPrintable(scenario.describe()));
        s_watchedSeed = seed;
        s_watchedSince = QDateTime::currentMSecsSinceEpoch();
        const Report report = runScenario(scenario);
        ++run;
        services += scenario.size();
        cycles += report.cycles;
        faults += report.faults;
        if (!report.violations.isEmpty()) {
            ++failedGraphs;
            printf("FAIL: seed %llu (%d services, %zu cycles): %lld violation(s)\n",
                   (unsigned long long)seed, scenario.size(), scenario.cycles.size(),
                   (long long)report.violations.size());
            for (qsizetype v = 0; v < report.violations.size() && v < 40; ++v)
                printf("  %s\n", qPrintable(report.violations.at(v)));
            if (!options.describe)
                printf("scenario:\n%s\n", qPrintable(scenario.describe()));
            printf("replay: %s --seed %llu --graphs 1 --max-services %d\n", argv[0],
                   (unsigned long long)seed, options.maxServices);
            fflush(stdout);
            if (report.hung) // its objects are leaked and may still be resumed: stop here
                return 1;
            if (!options.keepGoing)
                break;
        }
        if ((g + 1) % 1000 == 0) {
            printf("  %lld graphs, %lld s\n", (long long)(g + 1),
                   (long long)(clock.elapsed() / 1000));
            fflush(stdout);
        }
    }
    printf("tst_property: %lld graph(s), %lld service(s), %lld cycle(s), %lld fault(s) "
           "reported as expected or not, %lld failing graph(s), %.1f s\n",
           (long long)run, (long long)services, (long long)cycles, (long long)faults,
           (long long)failedGraphs, double(clock.elapsed()) / 1000.0);
    return failedGraphs ? 1 : 0;
}
