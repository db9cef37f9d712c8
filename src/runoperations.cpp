#include "run.h"

#include <QLifecycle/servicemanager.h>

#include "logging.h"
#include "qservice_p.h"
#include "servicemanager_p.h"

#include <QtCore/QMetaObject>
#include <QtCore/QTimer>

namespace QLifecycle {

// How one service's start() or stop() is launched, watched until it ends, and given up at its
// deadline. What follows from it (which service is next) is decided in run.cpp.

namespace {
// A start that failed or was cancelled: its tasks are cancelled, not awaited (CONTRACT 3).
void abandonTasks(QService *service)
{
    if (const auto &tasks = QServicePrivate::get(service)->tasks)
        tasks->cancelEverythingNow();
}

QString timeoutMessage(std::chrono::milliseconds after, bool stopping)
{
    return QStringLiteral("timed out after %1 ms%2")
        .arg(after.count())
        .arg(stopping ? QStringLiteral("; abandoned, its dependencies are stopped anyway")
                      : QString());
}
} // namespace

QCoro::Task<> Run::watch(QCoro::Task<> operation, std::weak_ptr<Run> run, int node,
                         quint32 generation)
{
    std::exception_ptr error;
    try {
        co_await operation;
    } catch (...) {
        error = std::current_exception();
    }
    if (std::shared_ptr<Run> self = run.lock())
        self->finished(node, generation, error);
}

// Reports the end of a hook's coroutine to finished(). A hook that already completed (the
// common case for trivial services) is read at once, without a second coroutine frame.
void Run::follow(QCoro::Task<> operation, int n, quint32 generation)
{
    if (!operation.isReady()) {
        watch(std::move(operation), weak_from_this(), n, generation);
        return;
    }
    std::exception_ptr error;
    try {
        operation.operator co_await().await_resume(); // rethrows what the hook threw
    } catch (...) {
        error = std::current_exception();
    }
    finished(n, generation, error);
}

// Calls start() or stop() and follows it until it ends. An override that is not a coroutine
// may also throw before returning a task. Hooks are not tasks: their first steps run outside
// any task's context.
void Run::callHook(QService *service, bool starting, int n, quint32 generation)
{
    std::exception_ptr thrown;
    QCoro::Task<> operation;
    {
        detail::ContextScope scope(nullptr);
        const HookScope hook(this, service, starting);
        try {
            operation =
                starting ? QServicePrivate::callStart(service) : QServicePrivate::callStop(service);
        } catch (...) {
            thrown = std::current_exception();
        }
    }
    if (thrown)
        finished(n, generation, thrown);
    else
        follow(std::move(operation), n, generation);
}

void Run::launchStart(int n)
{
    if (m_aborting)
        return; // a start that had not begun is never begun once the start is given up
    QService *service = m_graph.service(n);
    if (!service) {
        markRunning(n); // a barrier: its whole group runs
        return;
    }
    Node &node = m_nodes[size_t(n)];
    node.phase = NodePhase::Starting;
    markBusy(n);
    const quint32 generation = ++node.generation;
    ++m_inFlight;
    const std::optional<std::chrono::milliseconds> timeout =
        QServicePrivate::startTimeoutOf(service);
    node.clock.start();
    QServicePrivate::beginStart(service);
    callHook(service, true, n, generation);
    if (timeout && node.generation == generation)
        armDeadline(n, generation, *timeout);
}

void Run::launchStop(int n)
{
    QService *service = m_graph.service(n);
    if (!service) {
        markStopped(n);
        return;
    }
    Node &node = m_nodes[size_t(n)];
    node.phase = NodePhase::Stopping;
    markBusy(n);
    const quint32 generation = ++node.generation;
    ++m_inFlight;
    const std::chrono::milliseconds timeout = QServicePrivate::stopTimeoutOf(service);
    node.clock.start();
    QServicePrivate::setState(service, QService::State::Stopping);
    const std::shared_ptr<detail::TaskSet> tasks = QServicePrivate::get(service)->tasks;
    if (tasks && tasks->hasRunningTasks()) {
        // Cancel and await the tasks, then stop(): one operation under one deadline.
        follow(shutdown(tasks, service, weak_from_this(), n, generation), n, generation);
    } else {
        if (tasks)
            tasks->closeForStop(service->name() + QStringLiteral(" is stopping"));
        callHook(service, false, n, generation);
    }
    if (node.generation == generation)
        armDeadline(n, generation, timeout);
}

QCoro::Task<> Run::shutdown(std::shared_ptr<detail::TaskSet> tasks, QService *service,
                            std::weak_ptr<Run> run, int node, quint32 generation)
{
    co_await tasks->cancelAll();
    const std::shared_ptr<Run> self = run.lock();
    if (!self || !self->isCurrent(node, generation))
        co_return; // abandoned at its deadline: stop() must not run behind the manager's back
    QCoro::Task<> stopping;
    {
        detail::ContextScope scope(nullptr);
        const HookScope hook(self.get(), service, false);
        stopping = QServicePrivate::callStop(service);
    }
    co_await stopping;
}

bool Run::isCurrent(int node, quint32 generation) const
{
    return m_nodes[size_t(node)].generation == generation;
}

void Run::armDeadline(int n, quint32 generation, std::chrono::milliseconds timeout)
{
    auto timer = std::make_unique<QTimer>();
    timer->setSingleShot(true);
    timer->setTimerType(Qt::PreciseTimer);
    QObject::connect(timer.get(), &QTimer::timeout, timer.get(),
                     [weak = weak_from_this(), n, generation, timeout] {
                         if (std::shared_ptr<Run> self = weak.lock())
                             self->timedOut(n, generation, timeout);
                     });
    timer->start(timeout);
    m_nodes[size_t(n)].deadline = std::move(timer);
}

void Run::settle(int n)
{
    Node &node = m_nodes[size_t(n)];
    markIdle(n);
    ++node.generation; // whatever the operation does from now on is ignored
    --m_inFlight;
    if (node.deadline) // possibly from inside its own timeout(): delete it later
        node.deadline.release()->deleteLater();
}

void Run::finished(int n, quint32 generation, std::exception_ptr error)
{
    Node &node = m_nodes[size_t(n)];
    QService *service = m_graph.service(n);
    if (generation != node.generation) {
        qCDebug(lcManager).noquote() << (service ? service->name() : QStringLiteral("a service"))
                                     << "finished an abandoned operation";
        return;
    }
    settle(n);
    const qint64 elapsed = node.clock.elapsed();
    if (node.phase == NodePhase::Starting) {
        QServicePrivate::setStartDuration(service, elapsed);
        if (error && m_stopRequested && detail::isCancellation(error)) {
            // Cancelled by the stop request: not a failure, and it takes no lease.
            node.phase = NodePhase::StartFailed;
            abandonTasks(service);
            QServicePrivate::setState(service, QService::State::Stopped);
        } else if (error) {
            node.phase = NodePhase::StartFailed;
            abandonTasks(service);
            recordFailure(n, QLifecycle::Phase::Start, describeException(error), error);
            QServicePrivate::setState(service, QService::State::Failed);
            abortStart();
        } else {
            markRunning(n);
        }
    } else if (node.phase == NodePhase::Stopping) {
        QServicePrivate::setStopDuration(service, elapsed);
        if (error)
            recordFailure(n, QLifecycle::Phase::Stop, describeException(error), error);
        markStopped(n);
    }
    advance();
}

void Run::timedOut(int n, quint32 generation, std::chrono::milliseconds after)
{
    Node &node = m_nodes[size_t(n)];
    if (generation != node.generation)
        return;
    QService *service = m_graph.service(n);
    settle(n);
    const qint64 elapsed = node.clock.elapsed();
    if (node.phase == NodePhase::Starting) {
        QServicePrivate::setStartDuration(service, elapsed);
        node.phase = NodePhase::StartFailed;
        abandonTasks(service);
        recordFailure(n, QLifecycle::Phase::Start, timeoutMessage(after, false), {});
        QServicePrivate::setState(service, QService::State::Failed);
        abortStart();
    } else if (node.phase == NodePhase::Stopping) {
        QServicePrivate::setStopDuration(service, elapsed);
        QString message = timeoutMessage(after, true);
        const auto &tasks = QServicePrivate::get(service)->tasks;
        if (tasks && tasks->hasRunningTasks()) {
            const QStringList names = tasks->runningTaskNames();
            message += QStringLiteral("; tasks still running, abandoned: ") +
                       names.join(QStringLiteral(", "));
        }
        recordFailure(n, QLifecycle::Phase::Stop, message, {});
        markStopped(n);
    }
    advance();
}

} // namespace QLifecycle
