#include "probe.h"

#include <QtCore/QPointer>
#include <QtCore/QPromise>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <stdexcept>

// The background tasks of a ProbeService's incarnation (probe.h): a crash, a daemon that
// returns, a thread-pool task and an adopted future.

namespace QLifecycle::Property {

using std::chrono::milliseconds;

namespace {

// Counts a thread-pool callable or an adopted future's producer until it is destroyed.
class ExternalWork
{
public:
    explicit ExternalWork(std::shared_ptr<std::atomic<int>> live) : m_live(std::move(live))
    {
        ++*m_live;
    }
    ~ExternalWork() { --*m_live; }

private:
    std::shared_ptr<std::atomic<int>> m_live;
};

QCoro::Task<> crashTask(ProbeService *service, Probe *probe, int cycle, int index, int afterMs,
                        bool nonStd, QString name)
{
    LiveCoroutine live(probe);
    const QPointer<QService> alive(service); // re-entrancy: a slot may delete it meanwhile
    if (afterMs > 0)
        co_await service->sleepFor(milliseconds(afterMs));
    if (!alive)
        co_return;
    const QString what = name + QStringLiteral(" boom");
    probe->record(cycle, index)
        .fired.push_back(
            {Phase::Run, name,
             QStringLiteral("task '%1' failed: %2").arg(name, nonStd ? nonStdText() : what)});
    if (nonStd)
        throw 42;
    throw std::runtime_error(what.toStdString());
}

QCoro::Task<> daemonTask(ProbeService *service, Probe *probe, int cycle, int index, int afterMs,
                         QString name)
{
    LiveCoroutine live(probe);
    const QPointer<QService> alive(service);
    if (afterMs > 0)
        co_await service->sleepFor(milliseconds(afterMs));
    if (!alive)
        co_return;
    // Only a daemon that exits while its service runs is a crash (docs/contract.md).
    if (service->state() == QService::State::Running)
        probe->record(cycle, index)
            .fired.push_back(
                {Phase::Run, name,
                 QStringLiteral("daemon task '%1' exited while the service was running")
                     .arg(name)});
}

} // namespace

void ProbeService::addTasks(int cycle, const Behaviour &b)
{
    Probe *probe = m_probe;
    const int index = m_index;
    auto added = [&](int before, const QString &name) {
        if (taskCount() != before + 1) {
            ++probe->record(cycle, index).refusedTasks;
            probe->violation(
                QStringLiteral("s%1: task %2 refused while starting").arg(index).arg(name));
        }
    };
    if (b.crashAfterMs >= 0) {
        const QString name = token(cycle, "crash");
        const int before = taskCount();
        if (b.crashAsCallable) {
            addTask(
                [this, probe, cycle, index, b, name] {
                    return crashTask(this, probe, cycle, index, b.crashAfterMs, b.crashNonStd,
                                     name);
                },
                {.name = name});
        } else {
            addTask(crashTask(this, probe, cycle, index, b.crashAfterMs, b.crashNonStd, name),
                    {.name = name});
        }
        added(before, name);
    }
    if (b.daemonReturnAfterMs >= 0) {
        const QString name = token(cycle, "daemon");
        const int before = taskCount();
        addTask(daemonTask(this, probe, cycle, index, b.daemonReturnAfterMs, name),
                {.name = name, .daemon = true});
        added(before, name);
    }
    if (b.poolTaskMs >= 0) {
        // Ignores cancellation, but ends by itself: the stop waits for it (bounded).
        const QString name = token(cycle, "pool");
        const int before = taskCount();
        auto work = std::make_shared<ExternalWork>(probe->livePool);
        const unsigned long ms = (unsigned long)b.poolTaskMs;
        addPoolTask([work, ms](QPromise<void> &) { QThread::msleep(ms); }, {.name = name});
        added(before, name);
    }
    if (b.adoptedFutureMs >= 0) {
        // An adopted future whose producer finishes it later, cancelled or not.
        const QString name = token(cycle, "future");
        const int before = taskCount();
        auto promise = std::make_shared<QPromise<void>>();
        promise->start();
        auto work = std::make_shared<ExternalWork>(probe->livePool);
        QTimer::singleShot(milliseconds(b.adoptedFutureMs), QCoreApplication::instance(),
                           [promise, work] { promise->finish(); });
        addTask(promise->future(), {.name = name});
        added(before, name);
    }
}

} // namespace QLifecycle::Property
