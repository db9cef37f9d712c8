// Does a user interface freeze while its services start or stop? A probe timer on the same
// event loop as the ServiceManager asks to fire every millisecond; how late it fires is how
// long the loop was blocked. Prints the worst and the 99th-percentile stall of:
//   - the probe alone (the machine's own noise),
//   - start + stop of 10 000 and of 100 000 trivial services (a wide graph and a chain),
//   - start + stop of 1 000 services whose start and stop each sleep 1-3 ms (cancellably).
// Target: no stall over 16 ms (one frame at 60 Hz). A program, not a timed test.
//
//   build/bench/benchmarks/bench_responsiveness [--quick]

#include "benchcommon.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QTimer>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

using namespace std::chrono_literals;

namespace {

class Trivial : public QLifecycle::QService
{
public:
    QLifecycle::Dependencies deps;
    std::chrono::milliseconds delay{0};

protected:
    QLifecycle::Dependencies dependencies() const override { return deps; }
    QCoro::Task<> start() override
    {
        if (delay.count() > 0)
            co_await sleepFor(delay);
    }
    QCoro::Task<> stop() override
    {
        if (delay.count() > 0)
            co_await sleepFor(delay);
    }
};

// Records how late a 1 ms precise timer fires while the loop runs.
class Probe
{
public:
    Probe()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(1ms);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] {
            const double now = bench::msSince(m_clock);
            m_stalls.push_back(std::max(0.0, now - m_last - 1.0));
            m_last = now;
        });
    }
    void start()
    {
        m_stalls.clear();
        m_clock.start();
        m_last = 0;
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    double worst() const
    {
        return m_stalls.empty() ? 0 : *std::max_element(m_stalls.begin(), m_stalls.end());
    }
    double percentile99() const
    {
        if (m_stalls.empty())
            return 0;
        std::vector<double> sorted = m_stalls;
        std::sort(sorted.begin(), sorted.end());
        return sorted[size_t(double(sorted.size() - 1) * 0.99)];
    }
    size_t samples() const { return m_stalls.size(); }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    double m_last = 0;
    std::vector<double> m_stalls;
};

void spin(std::chrono::milliseconds duration)
{
    QEventLoop loop;
    QTimer::singleShot(duration, &loop, &QEventLoop::quit);
    loop.exec();
}

QCoro::Task<> startThenStop(QLifecycle::ServiceManager *manager, bool *done)
{
    co_await manager->start();
    co_await manager->stop();
    *done = true;
}

struct Result {
    double worst = 0, p99 = 0;
    size_t samples = 0;
    bool ok = false;
};

Result measure(const char *shape, int n, std::chrono::milliseconds delay)
{
    std::vector<std::unique_ptr<Trivial>> services;
    for (int i = 0; i < n; ++i) {
        services.push_back(std::make_unique<Trivial>());
        services.back()->delay = delay.count() ? std::chrono::milliseconds(1 + i % 3) : 0ms;
    }
    Trivial root;
    if (std::string_view(shape) == "chain") {
        for (int i = 0; i + 1 < n; ++i)
            services[size_t(i)]->deps = {services[size_t(i) + 1].get()};
        root.deps = {services.front().get()};
    } else {
        QList<QLifecycle::QService *> group;
        for (auto &service : services)
            group.append(service.get());
        root.deps = {QLifecycle::Stage(group)};
    }
    QLifecycle::ServiceManager manager(&root);
    Probe probe;
    bool done = false;
    QEventLoop loop;
    probe.start();
    QTimer::singleShot(5ms, &loop, [&] { startThenStop(&manager, &done); });
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done)
            loop.quit();
    });
    poll.start(1ms);
    loop.exec();
    spin(5ms);
    probe.stop();
    return {probe.worst(), probe.percentile99(), probe.samples(),
            done && manager.state() == QLifecycle::State::Stopped};
}

void print(const char *what, const char *shape, int n, const Result &r)
{
    std::printf("{\"case\":\"%s\",\"shape\":\"%s\",\"n\":%d,\"worst_stall_ms\":%.2f,"
                "\"p99_stall_ms\":%.2f,\"samples\":%zu,\"ok\":%s}\n",
                what, shape, n, r.worst, r.p99, r.samples, r.ok ? "true" : "false");
    std::fflush(stdout);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const bool quick = app.arguments().contains(QStringLiteral("--quick"));
    const int repeats = quick ? 1 : 3;

    Probe idle;
    idle.start();
    spin(200ms);
    idle.stop();
    print("probe alone", "-", 0, {idle.worst(), idle.percentile99(), idle.samples(), true});

    int missed = 0;
    struct Case {
        const char *what;
        const char *shape;
        int n;
        std::chrono::milliseconds delay;
    };
    for (const Case &c :
         {Case{"trivial", "wide", 10000, 0ms}, Case{"trivial", "chain", 10000, 0ms},
          Case{"trivial", "wide", 100000, 0ms}, Case{"trivial", "chain", 100000, 0ms},
          Case{"delayed 1-3 ms", "wide", 1000, 1ms}}) {
        Result worst;
        for (int i = 0; i < repeats; ++i) {
            const Result r = measure(c.shape, c.n, c.delay);
            if (r.worst >= worst.worst)
                worst = r;
        }
        print(c.what, c.shape, c.n, worst);
        if (!worst.ok || worst.worst > 16.0) {
            ++missed;
            std::printf("TARGET MISSED: %s %s n=%d worst stall %.2f ms > 16 ms\n", c.what, c.shape,
                        c.n, worst.worst);
        }
    }
    std::printf("{\"summary\":{\"target\":\"worst stall <= 16 ms\",\"missed\":%d}}\n", missed);
    return 0;
}
