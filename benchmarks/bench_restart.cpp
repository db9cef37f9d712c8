// bench_restart: the framework's own cost of supervision (docs/supervision.md), in one run.
//
// A program that prints figures, not a test: one JSON line per case, then "TARGET MISSED"
// lines if any, then the summary line. It exits 0 whatever the figures.
//
//   bench_restart            N = 1000 and 10000
//   bench_restart --quick    N = 1000 only
//
// Cases (trivial services: their start() and stop() do nothing, so every figure is the
// framework's own cost; the restart delay is 0 and there is no jitter):
//   restart  a hub service that N services need, and a root that needs those N. The hub
//            crashes (a task throws) and is restarted with the N and the root: N + 2 services
//            stop and start again. Against `plain`: manager.stop() then manager.start() of the
//            same graph. Target: restart <= 2 x plain.
//   storm    N services the root needs, each with a policy, all crashing in the same turn of
//            the event loop: they merge into one restart (checked), and the time until the
//            root runs again is measured. The framework's time is that, less the cost of the
//            services' own exceptions (the same number thrown and caught in plain coroutines,
//            measured beside it). Target at N = 10000: < 50 ms.

#include "benchcommon.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QLoggingCategory>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

using namespace QLifecycle;

namespace {

class Trivial : public QService
{
    Q_OBJECT
public:
    using QService::addTask;
    using QService::setRestartPolicy;
    Dependencies deps;

protected:
    Dependencies dependencies() const override { return deps; }
};

RestartPolicy immediate()
{
    return {.mode = RestartPolicy::OnFailure,
            .initialDelay = std::chrono::milliseconds(0),
            .jitter = 0.0,
            .maxRestarts = std::numeric_limits<int>::max()};
}

QCoro::Task<> crashNow()
{
    throw std::runtime_error("benchmark crash");
    co_return;
}

// Runs `task` to its end in a nested event loop.
void await(QCoro::Task<> task)
{
    bench::runInEventLoop([&task](QEventLoop *loop) {
        [](QCoro::Task<> inner, QEventLoop *l) -> QCoro::Task<> {
            co_await inner;
            bench::quitLater(l);
        }(std::move(task), loop);
    });
}

// Runs `trigger`, then the event loop until `root` is Running again; the elapsed ms.
template<typename Trigger>
double untilRunningAgain(QService *root, Trigger trigger)
{
    QElapsedTimer clock;
    double ms = -1;
    bench::runInEventLoop([&](QEventLoop *loop) {
        QObject::connect(root, &QService::stateChanged, loop, [&, loop](State state) {
            if (state == State::Running && ms < 0) {
                ms = bench::msSince(clock);
                bench::quitLater(loop);
            }
        });
        clock.start();
        trigger();
    });
    return ms;
}

struct Figures {
    double restartMs = std::numeric_limits<double>::max();
    double plainMs = std::numeric_limits<double>::max();
};

Figures measureRestart(int n, int repeats)
{
    Trivial hub, root;
    std::vector<std::unique_ptr<Trivial>> middle;
    QList<QService *> group;
    hub.setObjectName(QStringLiteral("hub"));
    hub.setRestartPolicy(immediate());
    for (int i = 0; i < n; ++i) {
        middle.push_back(std::make_unique<Trivial>());
        middle.back()->deps = {&hub};
        group.append(middle.back().get());
    }
    root.deps = {Stage(group)};
    ServiceManager manager(&root);
    manager.setRestartIntensity(std::numeric_limits<int>::max(), std::chrono::milliseconds(1));
    await(manager.start());
    Figures figures;
    for (int r = 0; r < repeats; ++r) {
        QElapsedTimer clock;
        clock.start();
        await(manager.stop());
        await(manager.start());
        figures.plainMs = std::min(figures.plainMs, bench::msSince(clock));
        figures.restartMs = std::min(figures.restartMs,
                                     untilRunningAgain(&root, [&hub] { hub.addTask(crashNow()); }));
    }
    if (manager.restartCount() != 1 || root.state() != State::Running)
        std::fprintf(stderr, "restart: the graph did not run again after one restart\n");
    await(manager.stop());
    return figures;
}

struct Storm {
    double ms = 0;        // from the first crash until the root runs again
    double crashesMs = 0; // of which: the crashes themselves, reported one by one
    double throwsMs = 0;  // the same number of exceptions thrown and caught without the library
    int rounds = 0;
};

QCoro::Task<> catchIt()
{
    try {
        co_await crashNow();
    } catch (const std::exception &) {
    }
}

Storm measureStorm(int n)
{
    Trivial root;
    std::vector<std::unique_ptr<Trivial>> leaves;
    QList<QService *> group;
    for (int i = 0; i < n; ++i) {
        leaves.push_back(std::make_unique<Trivial>());
        leaves.back()->setRestartPolicy(immediate());
        group.append(leaves.back().get());
    }
    root.deps = {Stage(group)};
    ServiceManager manager(&root);
    await(manager.start());
    Storm storm;
    storm.ms = untilRunningAgain(&root, [&] {
        QElapsedTimer clock;
        clock.start();
        for (const auto &leaf : leaves)
            leaf->addTask(crashNow());
        storm.crashesMs = bench::msSince(clock);
    });
    storm.rounds = manager.restartCount();
    await(manager.stop());
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < n; ++i)
        catchIt();
    storm.throwsMs = bench::msSince(clock);
    return storm;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const bool quick = app.arguments().contains(QStringLiteral("--quick"));
    // A restart logs a warning per failure: 10 000 lines would measure the terminal.
    QLoggingCategory::setFilterRules(QStringLiteral("qlifecycle.*=false"));
    bench::warnIfAssertionsEnabled();
    std::vector<bench::Check> checks;
    for (const int n : quick ? std::vector<int>{1000} : std::vector<int>{1000, 10000}) {
        const Figures figures = measureRestart(n, 9);
        const double ratio = figures.restartMs / figures.plainMs;
        std::printf("{\"case\":\"restart\",\"n\":%d,\"restart_ms\":%.3f,\"plain_stop_start_ms\":"
                    "%.3f,\"ratio\":%.3f}\n",
                    n, figures.restartMs, figures.plainMs, ratio);
        checks.push_back({"restart<=2*plain n=" + QByteArray::number(n), true, ratio <= 2.0,
                          "ratio " + QByteArray::number(ratio, 'f', 3)});
        const Storm storm = measureStorm(n);
        // The framework's time: all of it but the services' own exceptions.
        const double framework = storm.ms - storm.throwsMs;
        std::printf("{\"case\":\"storm\",\"n\":%d,\"ms\":%.3f,\"crashes_ms\":%.3f,"
                    "\"exceptions_ms\":%.3f,\"framework_ms\":%.3f,\"restart_rounds\":%d}\n",
                    n, storm.ms, storm.crashesMs, storm.throwsMs, framework, storm.rounds);
        checks.push_back({"storm one restart n=" + QByteArray::number(n), true, storm.rounds == 1,
                          QByteArray::number(storm.rounds) + " round(s)"});
        if (n == 10000)
            checks.push_back({"storm<50ms n=10000", true, framework < 50.0,
                              QByteArray::number(framework, 'f', 3) + " ms"});
    }
    bench::printSummary(checks);
    return 0;
}

#include "bench_restart.moc"
