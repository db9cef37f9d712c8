// Randomized property test of the lifecycle contract: random dependency graphs with random delays,
// faults and tasks, started and stopped by the real ServiceManager, every invariant of
// docs/contract.md checked after every cycle (see checker.cpp). Graph g of a run uses seed S + g,
// so a failure is replayed with --seed <that seed> --graphs 1.
//
//   tst_property [--seed S] [--graphs N] [--max-services M] [--keep-going] [--describe]
//                [--verbose] [--reentrancy] [--strict] [--restarts]
// Environment: QLIFECYCLE_PROPERTY_SEED, QLIFECYCLE_PROPERTY_GRAPHS,
// QLIFECYCLE_PROPERTY_REENTRANCY=1 and QLIFECYCLE_PROPERTY_RESTARTS=1 (the options win);
// QLIFECYCLE_PROPERTY_TRACE=1 prints the restart signals and the services' states, numbered.
//
// --reentrancy adds the re-entrancy dimension (reentrancy.h): slots on the lifecycle signals
// that spin nested event loops, request stops and starts or delete a service, and hooks that
// spin a nested loop before their first suspension. Its choices come from a generator of their
// own: a seed describes the same graph, behaviours and stop requests with or without it.
//
// --restarts adds the restart dimension (restarts.h): restart policies on some services, now
// and then an intensity of the manager, and services that crash or fail to start the first
// times. It has a generator of its own too; its graphs start every service eagerly.
//
// Start policies (policies.h, demands.h) are part of every scenario: most graphs are eager,
// the others defer some services and call ensureRunning() at random moments. Where the library
// departs from docs/lifecycle.md in a known way (policies.h, KnownIssue), the scenario is
// checked as the library behaves and counted apart; --strict (or QLIFECYCLE_PROPERTY_STRICT=1)
// checks it as the documentation states it, and fails it.

#include "checker.h"
#include "reentrancy.h"
#include "scenario.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QElapsedTimer>
#include <QtCore/QStringList>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <unistd.h>

using namespace QLifecycle::Property;

namespace {

struct Options {
    quint64 seed = 1;
    qint64 graphs = 2000;
    int maxServices = 300;
    bool keepGoing = false;
    bool describe = false;
    bool verbose = false;
    bool reentrancy = false;
    bool strict = false;
    bool restarts = false;
};

void usage(const char *program)
{
    fprintf(stderr,
            "usage: %s [--seed S] [--graphs N] [--max-services M] [--keep-going] [--describe] "
            "[--verbose] [--reentrancy] [--strict] [--restarts]\n",
            program);
}

bool parse(int argc, char **argv, Options &options)
{
    if (const QByteArray seed = qgetenv("QLIFECYCLE_PROPERTY_SEED"); !seed.isEmpty())
        options.seed = seed.toULongLong();
    if (const QByteArray graphs = qgetenv("QLIFECYCLE_PROPERTY_GRAPHS"); !graphs.isEmpty())
        options.graphs = graphs.toLongLong();
    if (qEnvironmentVariableIntValue("QLIFECYCLE_PROPERTY_REENTRANCY") != 0)
        options.reentrancy = true;
    if (qEnvironmentVariableIntValue("QLIFECYCLE_PROPERTY_STRICT") != 0)
        options.strict = true;
    if (qEnvironmentVariableIntValue("QLIFECYCLE_PROPERTY_RESTARTS") != 0)
        options.restarts = true;
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
        else if (!strcmp(argv[i], "--reentrancy"))
            options.reentrancy = true;
        else if (!strcmp(argv[i], "--strict"))
            options.strict = true;
        else if (!strcmp(argv[i], "--restarts"))
            options.restarts = true;
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

// A crash (a use-after-free in the library, say) names the graph it happened in: the handler
// only writes the seed and the command that replays and describes it (async-signal-safe).
const char *s_program = "tst_property";
const char *s_replayOptions = "";

void appendText(char *&out, const char *end, const char *text)
{
    while (*text && out < end)
        *out++ = *text++;
}

void appendNumber(char *&out, const char *end, unsigned long long value)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = char('0' + value % 10);
        value /= 10;
    } while (value);
    while (n && out < end)
        *out++ = digits[--n];
}

void onFatalSignal(int signo)
{
    char text[1024];
    char *out = text;
    const char *end = text + sizeof text;
    const unsigned long long seed = s_watchedSeed.load();
    appendText(out, end, "CRASH: signal ");
    appendNumber(out, end, (unsigned long long)signo);
    appendText(out, end, " in seed ");
    appendNumber(out, end, seed);
    appendText(out, end, "\nreplay: ");
    appendText(out, end, s_program);
    appendText(out, end, " --seed ");
    appendNumber(out, end, seed);
    appendText(out, end, " --graphs 1 --describe");
    appendText(out, end, s_replayOptions);
    appendText(out, end, "\n");
    fflush(stdout); // not async-signal-safe, but the process is lost anyway
    (void)!write(STDOUT_FILENO, text, size_t(out - text));
    std::signal(signo, SIG_DFL);
    std::raise(signo);
}

void installCrashReport(const char *program, const QByteArray &options)
{
    s_program = program;
    static QByteArray replay;
    replay = options;
    s_replayOptions = replay.constData();
    for (int signo : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) {
        // Leaves a sanitizer's handler in place: its report says more.
        struct sigaction current = {};
        if (sigaction(signo, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
            std::signal(signo, onFatalSignal);
    }
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
    printf("tst_property: %lld graph(s) from seed %llu%s%s\n", (long long)options.graphs,
           (unsigned long long)options.seed, options.reentrancy ? ", with re-entrancy" : "",
           options.restarts ? ", with restarts" : "");
    fflush(stdout);

    startWatchdog(argv[0]);
    const QByteArray replayOptions = QByteArray(options.reentrancy ? " --reentrancy" : "") +
                                     (options.strict ? " --strict" : "") +
                                     (options.restarts ? " --restarts" : "");
    installCrashReport(argv[0], replayOptions);
    QElapsedTimer clock;
    clock.start();
    qint64 services = 0, cycles = 0, faults = 0, failedGraphs = 0, run = 0, restarts = 0,
           deletions = 0, deferredGraphs = 0, demands = 0, restartRounds = 0, givenUp = 0,
           restartGraphs = 0;
    qint64 knownGraphs[KnownIssueCount] = {};
    QStringList knownSeeds[KnownIssueCount];
    for (qint64 g = 0; g < options.graphs; ++g) {
        const quint64 seed = options.seed + quint64(g);
        RandomChoices choices(seed);
        Scenario scenario = generate(choices, {.maxServices = options.maxServices});
        scenario.seed = seed;
        scenario.strictPolicies = options.strict;
        if (options.reentrancy)
            addReentrancy(scenario, seed);
        if (options.restarts)
            addRestarts(scenario, seed);
        if (options.describe)
            printf("seed %llu:\n%s\n", (unsigned long long)seed, qPrintable(scenario.describe()));
        fflush(stdout); // a crash loses nothing printed so far
        s_watchedSeed = seed;
        s_watchedSince = QDateTime::currentMSecsSinceEpoch();
        const Report report = runScenario(scenario);
        ++run;
        services += scenario.size();
        cycles += report.cycles;
        faults += report.faults;
        restarts += report.restarts;
        deletions += report.deletions;
        restartRounds += report.restartRounds;
        givenUp += report.restartsGivenUp;
        restartGraphs += report.restartRounds > 0 ? 1 : 0;
        deferredGraphs += report.deferred ? 1 : 0;
        demands += report.demands;
        for (int k = 0; k < KnownIssueCount; ++k) {
            if (report.knownIssues[k].isEmpty())
                continue;
            ++knownGraphs[k];
            if (knownSeeds[k].size() < 3)
                knownSeeds[k].append(
                    QStringLiteral("%1 (%2)").arg(seed).arg(report.knownIssues[k]));
        }
        if (!report.violations.isEmpty()) {
            ++failedGraphs;
            printf("FAIL: seed %llu (%d services, %zu cycles): %lld violation(s)\n",
                   (unsigned long long)seed, scenario.size(), scenario.cycles.size(),
                   (long long)report.violations.size());
            for (qsizetype v = 0; v < report.violations.size() && v < 40; ++v)
                printf("  %s\n", qPrintable(report.violations.at(v)));
            if (!options.describe)
                printf("scenario:\n%s\n", qPrintable(scenario.describe()));
            for (const QString &issue : report.knownIssues)
                if (!issue.isEmpty())
                    printf("known issue: %s\n", qPrintable(issue));
            printf("replay: %s --seed %llu --graphs 1 --max-services %d%s\n", argv[0],
                   (unsigned long long)seed, options.maxServices, replayOptions.constData());
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
    printf("start policies: %lld graph(s) with deferred services, %lld ensureRunning() call(s)\n",
           (long long)deferredGraphs, (long long)demands);
    for (int k = 0; k < KnownIssueCount; ++k) {
        printf("known library issue, %s: %lld graph(s)%s\n", knownIssueName(KnownIssue(k)),
               (long long)knownGraphs[k],
               knownGraphs[k] == 0 ? ""
               : options.strict    ? ", checked as documented"
                                   : ", checked as the library behaves (--strict fails them)");
        if (!knownSeeds[k].isEmpty())
            printf("  e.g. seed %s\n", qPrintable(knownSeeds[k].join(QStringLiteral(", seed "))));
    }
    if (options.restarts)
        printf("restarts: %lld graph(s) restarted services, %lld restart round(s), %lld "
               "failure(s) given up at the intensity or an abandoned stop\n",
               (long long)restartGraphs, (long long)restartRounds, (long long)givenUp);
    if (options.reentrancy)
        printf("re-entrancy: %lld nested loop(s) spun, %lld restart(s) by a slot, %lld service(s) "
               "deleted by a slot\n",
               (long long)nestedLoopsSpun(), (long long)restarts, (long long)deletions);
    return failedGraphs ? 1 : 0;
}
