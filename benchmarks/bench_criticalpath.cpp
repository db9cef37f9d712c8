// bench_criticalpath: how close the start of a graph comes to its critical path.
//
// 1 000 services in a random DAG (seeded): service i depends on 0 to 3 services chosen among
// services 0 .. i-1, all in one parallel group; a root needs every service that nothing else
// needs. Each start() awaits a precise timer of a random duration of 1 to 20 ms (seeded), each
// stop() is trivial. A ServiceManager with a TraceRecorder attached (docs/observability.md)
// starts the graph; the figures:
//   critical_ms          the recorder's critical path: the sum of the durations of the starts
//                        along the start's critical chain (TraceRecorder::startCriticalPathNs())
//   expected_critical_ms the longest path over the DAG by the seeded durations, computed here
//                        independently: what the critical path is with exact timers
//   wall_ms              the start, from the call of ServiceManager::start() to its end
//   efficiency           critical_ms / wall_ms: 1 for a scheduler that costs nothing
// Target: efficiency >= 0.95 (the median of the runs). A program that prints figures, not a
// test: one JSON line per run, then "TARGET MISSED: ..." lines, then a summary line.
//
// The timers are Qt::PreciseTimer: a default (Qt::CoarseTimer) timer may fire up to 5 % of its
// interval late, which alone would put the efficiency near 0.95 whatever the scheduler does.
//
//   bench_criticalpath [--seed S] [--runs R] [--n N]

#include "benchcommon.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TraceRecorder>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QRandomGenerator>
#include <QtCore/QTimer>

#include <QCoro/QCoroSignal>
#include <QCoro/QCoroTask>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <vector>

namespace {

class TimedService final : public QLifecycle::QService
{
    Q_OBJECT
public:
    QLifecycle::Dependencies deps;
    std::chrono::milliseconds duration{0};

protected:
    QLifecycle::Dependencies dependencies() const override { return deps; }
    QCoro::Task<> start() override;
};

QCoro::Task<> awaitPreciseTimer(std::chrono::milliseconds duration);

QCoro::Task<> TimedService::start()
{
    if (duration.count() > 0)
        co_await awaitPreciseTimer(duration);
}

// The seeded graph: durations (ms) and, per service, the earlier services it depends on.
struct Dag {
    std::vector<int> durationMs;
    std::vector<std::vector<int>> dependencies;
};

Dag makeDag(int n, quint32 seed)
{
    QRandomGenerator random(seed);
    Dag dag;
    dag.durationMs.resize(size_t(n));
    dag.dependencies.resize(size_t(n));
    for (int i = 0; i < n; ++i) {
        dag.durationMs[size_t(i)] = int(random.bounded(1, 21));
        const int count = std::min(i, int(random.bounded(0, 4)));
        std::vector<int> &deps = dag.dependencies[size_t(i)];
        while (int(deps.size()) < count) {
            const int dependency = int(random.bounded(i));
            if (std::find(deps.begin(), deps.end(), dependency) == deps.end())
                deps.push_back(dependency);
        }
    }
    return dag;
}

// The longest path by durations, as service indexes, last first: a service ends its duration
// after the last of its dependencies ended (dependencies come first in the index order).
std::vector<int> longestPath(const Dag &dag)
{
    const size_t n = dag.durationMs.size();
    std::vector<double> end(n);
    std::vector<int> via(n, -1); // the dependency that ended last
    size_t last = 0;
    for (size_t i = 0; i < n; ++i) {
        double ready = 0;
        for (const int dependency : dag.dependencies[i]) {
            if (end[size_t(dependency)] > ready) {
                ready = end[size_t(dependency)];
                via[i] = dependency;
            }
        }
        end[i] = ready + dag.durationMs[i];
        last = end[i] > end[last] ? i : last;
    }
    std::vector<int> path;
    for (int at = n ? int(last) : -1; at >= 0; at = via[size_t(at)])
        path.push_back(at);
    return path;
}

double sumMs(const Dag &dag, const std::vector<int> &path)
{
    double total = 0;
    for (const int service : path)
        total += dag.durationMs[size_t(service)];
    return total;
}

QCoro::Task<> awaitPreciseTimer(std::chrono::milliseconds duration)
{
    QTimer timer;
    timer.setTimerType(Qt::PreciseTimer);
    timer.setSingleShot(true);
    timer.start(duration);
    co_await qCoro(&timer, &QTimer::timeout);
}

// The timers of the longest path awaited one after the other, with no framework: what the
// start would take with no scheduling cost at all, given how late the timers fire.
QCoro::Task<> timersAlone(const Dag *dag, const std::vector<int> *path, double *wallMs,
                          QEventLoop *loop)
{
    QElapsedTimer clock;
    clock.start();
    for (auto service = path->rbegin(); service != path->rend(); ++service)
        co_await awaitPreciseTimer(std::chrono::milliseconds(dag->durationMs[size_t(*service)]));
    *wallMs = bench::msSince(clock);
    bench::quitLater(loop);
}

struct Run {
    double wallMs = 0;
    double criticalMs = 0;
    qsizetype chainLength = 0;
    bool ok = false;
    QString error;
};

QCoro::Task<> drive(const Dag *dag, Run *run, QEventLoop *loop)
{
    try {
        const int n = int(dag->durationMs.size());
        std::vector<std::unique_ptr<TimedService>> services;
        services.reserve(size_t(n));
        std::vector<bool> needed(size_t(n), false);
        for (int i = 0; i < n; ++i) {
            services.push_back(std::make_unique<TimedService>());
            TimedService &service = *services.back();
            service.setObjectName(QStringLiteral("s%1").arg(i));
            service.duration = std::chrono::milliseconds(dag->durationMs[size_t(i)]);
            QList<QLifecycle::QService *> group;
            for (const int dependency : dag->dependencies[size_t(i)]) {
                group.append(services[size_t(dependency)].get());
                needed[size_t(dependency)] = true;
            }
            if (!group.isEmpty())
                service.deps = {QLifecycle::Stage(group)};
        }
        TimedService root;
        root.setObjectName(QStringLiteral("root"));
        QList<QLifecycle::QService *> tops;
        for (int i = 0; i < n; ++i)
            if (!needed[size_t(i)])
                tops.append(services[size_t(i)].get());
        root.deps = {QLifecycle::Stage(tops)};

        QLifecycle::ServiceManager manager(&root);
        QLifecycle::TraceRecorder recorder(&manager);
        QElapsedTimer clock;
        clock.start();
        co_await manager.start();
        run->wallMs = bench::msSince(clock);
        run->criticalMs = double(recorder.startCriticalPathNs()) / 1e6;
        run->chainLength = recorder.startCriticalChain().size();
        run->ok = manager.state() == QLifecycle::QService::State::Running;
        co_await manager.stop();
        run->ok = run->ok && manager.state() == QLifecycle::QService::State::Stopped;
        if (!run->ok)
            run->error = QStringLiteral("the graph did not start and stop");
    } catch (const std::exception &error) {
        run->error = QString::fromUtf8(error.what());
    }
    bench::quitLater(loop);
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const size_t middle = values.size() / 2;
    return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("bench_criticalpath"));
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("The start of a random graph of timed services against its critical path."));
    parser.addHelpOption();
    const QCommandLineOption seedOption(QStringLiteral("seed"),
                                        QStringLiteral("The graph's seed (default 1)."),
                                        QStringLiteral("seed"), QStringLiteral("1"));
    const QCommandLineOption runsOption(QStringLiteral("runs"),
                                        QStringLiteral("Starts measured (default 3)."),
                                        QStringLiteral("runs"), QStringLiteral("3"));
    const QCommandLineOption nOption(QStringLiteral("n"),
                                     QStringLiteral("Services (default 1000)."),
                                     QStringLiteral("n"), QStringLiteral("1000"));
    parser.addOptions({seedOption, runsOption, nOption});
    parser.process(app);
    bool seedOk = false, runsOk = false, nOk = false;
    const quint32 seed = parser.value(seedOption).toUInt(&seedOk);
    const int runs = parser.value(runsOption).toInt(&runsOk);
    const int n = parser.value(nOption).toInt(&nOk);
    if (!seedOk || !runsOk || runs <= 0 || !nOk || n <= 0) {
        std::fprintf(stderr, "--seed, --runs and --n need positive integers\n");
        return 2;
    }
    bench::warnIfAssertionsEnabled();

    const Dag dag = makeDag(n, seed);
    const std::vector<int> path = longestPath(dag);
    const double expectedMs = sumMs(dag, path);
    std::vector<double> efficiencies;
    bool allOk = true;
    for (int r = 0; r < runs; ++r) {
        Run run;
        bench::runInEventLoop([&](QEventLoop *loop) { drive(&dag, &run, loop); });
        double aloneMs = 0;
        bench::runInEventLoop([&](QEventLoop *loop) { timersAlone(&dag, &path, &aloneMs, loop); });
        allOk = allOk && run.ok;
        const double efficiency = run.wallMs > 0 ? run.criticalMs / run.wallMs : 0;
        efficiencies.push_back(efficiency);
        std::printf("{\"n\":%d,\"seed\":%u,\"run\":%d,\"critical_ms\":%.3f,"
                    "\"expected_critical_ms\":%.3f,\"wall_ms\":%.3f,\"efficiency\":%.4f,"
                    "\"chain_length\":%lld,\"expected_chain_length\":%zu,"
                    "\"timers_alone_ms\":%.3f,\"wall_to_timers_alone\":%.4f,\"ok\":%s",
                    n, seed, r, run.criticalMs, expectedMs, run.wallMs, efficiency,
                    static_cast<long long>(run.chainLength), path.size(), aloneMs,
                    aloneMs > 0 ? run.wallMs / aloneMs : 0, run.ok ? "true" : "false");
        if (!run.ok)
            std::printf(",\"error\":\"%s\"", bench::jsonEscaped(run.error).constData());
        std::printf("}\n");
        std::fflush(stdout);
    }
    bench::Check check;
    check.name = "efficiency>=0.95";
    check.checked = true;
    check.passed = allOk && median(efficiencies) >= 0.95;
    check.detail = "median efficiency " + QByteArray::number(median(efficiencies), 'f', 4) +
                   (allOk ? QByteArray() : QByteArray(", a run failed"));
    bench::printSummary({check});
    return 0;
}

#include "bench_criticalpath.moc"
