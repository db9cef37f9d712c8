// How long until a Qt Quick window presents its first frame, with and without services?
// Three configurations, each measured in fresh child processes of this program (so that none
// inherits another's warmed-up objects; firstframe_child.cpp), interleaved in a rotating order
// after one warm-up round, several times; the figures are medians:
//   none      no services, no manager: the raw Qt baseline;
//   deferred  50 services that each take 200 ms to start, StartPolicy::AfterFirstFrame, all
//             in one parallel group under an eager root (which does not wait for them);
//   eager     the same 50 services, StartPolicy::Eager (the default).
// Time to first frame: from the first line of the child's main() (before the application
// object, the services and the graph exist) until the window's first frameSwapped (connected
// before the window is shown). The graph is started by ServiceManager::run(), as a main()
// does; the window is a QQmlApplicationEngine with a small inline scene.
//
// Two ways for an application to show its window (docs/lifecycle.md, "Start policies"):
//   after-start   the window is loaded once the manager is Running: an application whose
//                 first screen needs its services. The services' start() awaits a 200 ms timer
//                 and never blocks the thread (the common case). This scenario gives the two
//                 ratio lines.
//   window-first  the window is loaded before run() (as examples/dashboard does), and each
//                 start() first works synchronously for --sync-ms (default 2 ms: reading a file,
//                 building its objects), then awaits a timer for the rest of the 200 ms. Only
//                 the synchronous part can delay this window's first frame.
// Every run of a configuration with services checks that they did all start, and a deferred
// run that none had begun before the frame: deferredCount reaches 0 and all 51 run after it.
//
//   build/bench/benchmarks/bench_firstframe [--quick] [--repeat N] [--sync-ms MS]
//
// Prints one JSON line per scenario and configuration (medians of each moment of the runs:
// application built, graph started, Running, window shown and exposed, first frame, CPU time
// then, every service running), then `deferred ratio: R` and `eager ratio: R` (after-start,
// each against none), the medians and fastest runs of both scenarios, and the summary. Sets
// QT_QPA_PLATFORM=offscreen (and QT_QUICK_BACKEND=software with it) when they are unset; under
// Xvfb, run it with QT_QPA_PLATFORM=xcb.

#include "benchcommon.h"
#include "firstframe_child.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

using namespace Qt::StringLiterals;
using firstframe::ServiceCount;
using firstframe::StartTime;

namespace {

// One child's figures (the JSON object it printed), and why it failed, if it did.
struct Sample {
    QJsonObject figures;
    QString failure;
    double operator[](const char *field) const
    {
        return figures.value(QLatin1String(field)).toDouble(-1);
    }
};

Sample runChild(const QString &config, bool windowFirst, int syncMs)
{
    QProcess process;
    process.start(QCoreApplication::applicationFilePath(),
                  {u"--child"_s, config, u"--window"_s,
                   windowFirst ? u"window-first"_s : u"after-start"_s, u"--sync-ms"_s,
                   QString::number(windowFirst ? syncMs : 0)});
    Sample sample;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        sample.failure = u"the child did not end"_s;
        return sample;
    }
    const QList<QByteArray> lines = process.readAllStandardOutput().split('\n');
    for (const QByteArray &line : lines) {
        const QJsonObject figures = QJsonDocument::fromJson(line).object();
        if (!figures.contains(u"child"_s))
            continue;
        sample.figures = figures;
        sample.failure = figures.value(u"failure"_s).toString();
        if (process.exitCode() != 0 && sample.failure.isEmpty())
            sample.failure = u"exit code %1"_s.arg(process.exitCode());
        return sample;
    }
    sample.failure =
        u"no result; stderr: "_s + QString::fromLocal8Bit(process.readAllStandardError()).left(400);
    return sample;
}

const char *const Configs[] = {"none", "deferred", "eager"};

struct Scenario {
    bool windowFirst = false;
    std::vector<Sample> samples[3]; // by configuration
    int failures = 0;
    QString firstFailure;

    // The median of `field` over the configuration's runs that passed; -1 when none has it.
    double median(int config, const char *field) const
    {
        std::vector<double> values;
        for (const Sample &s : samples[config])
            if (s.failure.isEmpty() && s[field] >= 0)
                values.push_back(s[field]);
        if (values.empty())
            return -1;
        std::sort(values.begin(), values.end());
        const size_t mid = values.size() / 2;
        return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
    double frame(int config) const { return median(config, "first_frame_ms"); }
    // The fastest run: a cross-check that other processes' load inflates less than a median.
    double fastest(int config) const
    {
        double low = -1;
        for (const Sample &s : samples[config])
            if (s.failure.isEmpty() && s["first_frame_ms"] >= 0)
                low = low < 0 ? s["first_frame_ms"] : std::min(low, s["first_frame_ms"]);
        return low;
    }
};

void measure(Scenario &scenario, int repeat, int syncMs)
{
    for (const char *config : Configs) // warm-up: libraries and fonts in the page cache
        runChild(QString::fromLatin1(config), scenario.windowFirst, syncMs);
    for (int r = 0; r < repeat; ++r) {
        for (int k = 0; k < 3; ++k) { // a rotating order: no configuration always comes first
            const int c = (r + k) % 3;
            const Sample sample =
                runChild(QString::fromLatin1(Configs[c]), scenario.windowFirst, syncMs);
            if (!sample.failure.isEmpty() && scenario.failures++ == 0)
                scenario.firstFailure = QString::fromLatin1(Configs[c]) + u": "_s + sample.failure;
            scenario.samples[c].push_back(sample);
        }
    }
}

// One line per configuration: medians (ms since the child's main()) of each moment, and the
// extremes the checks look at.
void print(const Scenario &scenario, int syncMs)
{
    for (int c = 0; c < 3; ++c) {
        int ok = 0;
        double low = -1, high = -1, deferredAtFrame = -1, runningAtFrame = -1, early = 0;
        for (const Sample &s : scenario.samples[c]) {
            if (!s.failure.isEmpty())
                continue;
            ++ok;
            low = low < 0 ? s["first_frame_ms"] : std::min(low, s["first_frame_ms"]);
            high = std::max(high, s["first_frame_ms"]);
            deferredAtFrame = std::max(deferredAtFrame, s["deferred_at_frame"]);
            runningAtFrame = runningAtFrame < 0 ? s["running_at_frame"]
                                                : std::min(runningAtFrame, s["running_at_frame"]);
            early = std::max(early, s["started_before_frame"]);
        }
        const double base = scenario.frame(0), frame = scenario.frame(c);
        std::printf("{\"scenario\":\"%s\",\"config\":\"%s\",\"services\":%d,\"sync_ms\":%d,"
                    "\"runs\":%zu,\"ok\":%d,\"first_frame_ms\":%.1f,\"min_ms\":%.1f,"
                    "\"max_ms\":%.1f,\"ratio\":%.3f,\"cpu_at_frame_ms\":%.1f,\"app_ms\":%.1f,"
                    "\"first_start_ms\":%.1f,\"last_start_ms\":%.1f,\"running_ms\":%.1f,"
                    "\"shown_ms\":%.1f,\"exposed_ms\":%.1f,\"all_running_ms\":%.1f,"
                    "\"max_deferred_at_frame\":%.0f,\"min_running_at_frame\":%.0f,"
                    "\"max_started_before_frame\":%.0f}\n",
                    scenario.windowFirst ? "window-first" : "after-start", Configs[c],
                    c == 0 ? 0 : ServiceCount, scenario.windowFirst ? syncMs : 0,
                    scenario.samples[c].size(), ok, scenario.frame(c), low, high,
                    base > 0 && frame > 0 ? frame / base : -1,
                    scenario.median(c, "cpu_at_frame_ms"), scenario.median(c, "app_ms"),
                    scenario.median(c, "first_start_ms"), scenario.median(c, "last_start_ms"),
                    scenario.median(c, "running_ms"), scenario.median(c, "shown_ms"),
                    scenario.median(c, "exposed_ms"), scenario.median(c, "all_running_ms"),
                    deferredAtFrame, runningAtFrame, early);
    }
    std::fflush(stdout);
}

} // namespace

int main(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--child") == 0)
            return firstframe::childMain(argc, argv); // its clock starts at once
    }

    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Time to the first frame of a Qt Quick window: no services, 50 deferred, 50 eager."_s);
    parser.addHelpOption();
    const QCommandLineOption quick(u"quick"_s, u"5 runs per configuration instead of 11."_s);
    const QCommandLineOption repeat(u"repeat"_s, u"Runs per configuration."_s, u"n"_s);
    const QCommandLineOption syncMs(u"sync-ms"_s,
                                    u"Synchronous work per start in window-first (default 2)."_s,
                                    u"ms"_s, u"2"_s);
    parser.addOptions({quick, repeat, syncMs});
    parser.process(app);
    const int runs = parser.isSet(repeat)  ? std::max(1, parser.value(repeat).toInt())
                     : parser.isSet(quick) ? 5
                                           : 11;
    const int sync = std::clamp(parser.value(syncMs).toInt(), 0, int(StartTime.count()));
    bench::warnIfAssertionsEnabled();
    std::printf("{\"platform\":\"%s\",\"quick_backend\":\"%s\",\"runs\":%d}\n",
                qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") ? "offscreen"
                                                               : qgetenv("QT_QPA_PLATFORM").data(),
                qEnvironmentVariableIsEmpty("QT_QUICK_BACKEND")
                    ? (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") ? "software" : "default")
                    : qgetenv("QT_QUICK_BACKEND").data(),
                runs);

    Scenario afterStart, windowFirst;
    windowFirst.windowFirst = true;
    measure(afterStart, runs, sync);
    print(afterStart, sync);
    measure(windowFirst, runs, sync);
    print(windowFirst, sync);

    const double base = afterStart.frame(0);
    const auto ratio = [](const Scenario &s, int config) {
        return s.frame(0) > 0 && s.frame(config) > 0 ? s.frame(config) / s.frame(0) : -1;
    };
    const double deferredRatio = ratio(afterStart, 1);
    const double eagerRatio = ratio(afterStart, 2);
    std::printf("deferred ratio: %.2f\n", deferredRatio);
    std::printf("eager ratio: %.2f\n", eagerRatio);
    for (const Scenario *s : {&afterStart, &windowFirst}) {
        std::printf("%s medians: none %.1f ms, deferred %.1f ms (%+.1f ms, x%.2f), "
                    "eager %.1f ms (%+.1f ms, x%.2f)\n",
                    s->windowFirst
                        ? qPrintable(u"window-first (%1 ms of each start synchronous)"_s.arg(sync))
                        : "after-start",
                    s->frame(0), s->frame(1), s->frame(1) - s->frame(0), ratio(*s, 1), s->frame(2),
                    s->frame(2) - s->frame(0), ratio(*s, 2));
        const double none = s->fastest(0);
        std::printf(
            "  fastest runs: none %.1f ms, deferred %.1f ms (x%.2f), eager %.1f ms (x%.2f)\n", none,
            s->fastest(1), none > 0 ? s->fastest(1) / none : -1, s->fastest(2),
            none > 0 ? s->fastest(2) / none : -1);
    }

    std::vector<bench::Check> checks;
    const auto check = [&](const char *name, bool passed, const QByteArray &detail) {
        checks.push_back({name, true, passed, detail});
    };
    check("deferred ratio <= 1.1", deferredRatio > 0 && deferredRatio <= 1.1,
          QByteArray::number(deferredRatio, 'f', 2));
    check("eager first frame >= baseline + 200 ms", base > 0 && afterStart.frame(2) - base >= 200,
          QByteArray::number(afterStart.frame(2) - base, 'f', 1) + " ms later");
    for (const Scenario *s : {&afterStart, &windowFirst})
        check(s->windowFirst ? "window-first: every run started all its services"
                             : "after-start: every run started all its services",
              s->failures == 0,
              QByteArray::number(s->failures) + " failed; " + s->firstFailure.toUtf8());
    bench::printSummary(checks);
    return 0;
}
