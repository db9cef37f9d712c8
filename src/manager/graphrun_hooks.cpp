#include "manager/graphrun.h"

#include <QLifecycle/servicemanager.h>

#include "manager/servicemanager_p.h"
#include "service/emitqueue.h"
#include "service/exceptions.h"
#include "service/logging.h"
#include "service/qservice_p.h"
#include "service/steps.h"
#include "service/threadlocal.h"
#include "service/tracer.h"

#include <QtCore/QMetaObject>
#include <QtCore/QThread>

namespace QLifecycle {

using detail::EmitQueue;

// How one service's start() or stop() is launched, watched until it ends, and given up at its
// deadline. What follows from it (which service is next) is decided in run.cpp.

namespace {
QLC_HOT_THREAD_LOCAL GraphRun::HookScope *t_hook = nullptr;

// A run's hooks are called on its thread: the thread of its context object (cheaper to reach
// than the current thread's, and the same).
int loopLevelOf(const GraphRun *run)
{
    return run->thread()->loopLevel();
}
} // namespace

GraphRun::HookScope::HookScope(const GraphRun *run, QService *service, bool starting)
    : m_run(run), m_service(service), m_starting(starting), m_loopLevel(loopLevelOf(run)),
      m_previous(t_hook)
{
    t_hook = this;
    detail::steps::begin(); // a step of the hook (docs/observability.md, "Stalls")
    if (detail::Tracer::any()) {
        detail::Tracer::with(run->manager(),
                             [&](detail::Tracer &tracer) { tracer.hookCalled(service, starting); });
    }
}

GraphRun::HookScope::~HookScope()
{
    t_hook = m_previous;
    if (const qint64 ns = detail::steps::end(); ns && m_service)
        detail::steps::report(
            m_service, m_starting ? QStringLiteral("start()") : QStringLiteral("stop()"), ns);
}

// The service is being destroyed: the hook that destroyed it (or its caller) has no one to
// name any more.
void GraphRun::HookScope::forget(const QService *service)
{
    for (HookScope *scope = t_hook; scope; scope = scope->m_previous) {
        if (scope->m_service == service)
            scope->m_service = nullptr;
    }
}

QService *GraphRun::hookInProgress(const GraphRun *run, bool *starting)
{
    if (!run || !t_hook)
        return nullptr;
    const int level = loopLevelOf(run);
    for (const HookScope *scope = t_hook; scope; scope = scope->m_previous) {
        if (scope->m_run == run && scope->m_loopLevel == level) {
            if (starting)
                *starting = scope->m_starting;
            return scope->m_service;
        }
    }
    return nullptr;
}

namespace {
QString timeoutMessage(qint64 after, bool stopping)
{
    return QStringLiteral("timed out after %1 ms%2")
        .arg(after)
        .arg(stopping ? QStringLiteral("; abandoned, its dependencies are stopped anyway")
                      : QString());
}

// A timeout from an override is untrusted: one that throws or is negative is refused with a
// message naming what it returned (docs/lifecycle.md, "Timeouts").
QString checkTimeout(std::chrono::milliseconds timeout, const char *override)
{
    if (timeout.count() >= 0)
        return {};
    return QStringLiteral("%1() returned %2 ms; a timeout cannot be negative")
        .arg(QLatin1String(override))
        .arg(timeout.count());
}
} // namespace

QCoro::Task<> GraphRun::watch(QCoro::Task<> operation, std::weak_ptr<GraphRun> run, int node,
                              quint32 generation)
{
    std::exception_ptr error;
    try {
        co_await operation;
    } catch (...) {
        error = std::current_exception();
    }
    if (std::shared_ptr<GraphRun> self = run.lock())
        self->finished(node, generation, error);
}

// Reports the end of a hook's coroutine. A hook that already completed (the common case for
// trivial services) is recorded at once, without a second coroutine frame and without a nested
// advance(): the advance() that called it goes on.
void GraphRun::follow(QCoro::Task<> operation, int n, quint32 generation)
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
    complete(n, generation, error);
}

// Calls start() or stop() and follows it until it ends. An override that is not a coroutine
// may also throw before returning a task. Hooks are not tasks: their first steps run outside
// any task's context. Its deadline is already armed: a hook that spins a nested event loop
// before its first suspension is timed out inside that loop.
void GraphRun::callHook(QService *service, bool starting, int n, quint32 generation)
{
    std::exception_ptr thrown;
    QCoro::Task<> operation;
    {
        impl::ContextScope scope(nullptr);
        const HookScope hook(this, service, starting);
        try {
            operation =
                starting ? QServicePrivate::callStart(service) : QServicePrivate::callStop(service);
        } catch (...) {
            thrown = std::current_exception();
        }
    }
    if (thrown)
        complete(n, generation, thrown);
    else
        follow(std::move(operation), n, generation);
}

// A launch whose Starting or Stopping has been shown: call its hook, unless what ran since
// (a slot, a nested event loop) decided otherwise.
void GraphRun::callPendingHook(PendingHook hook)
{
    const int n = hook.node;
    if (!isCurrent(n, hook.generation))
        return; // settled meanwhile: timed out, or its service destroyed
    QService *service = m_graph.service(n);
    // Timeouts and durations count from here, the call of the hook: not from its launch (slots
    // may have run since), nor from its first suspension.
    m_nodes[size_t(n)].begunAt = now();
    if (!(hook.starting && m_aborting))
        armDeadline(n);
    if (hook.starting) {
        if (m_aborting) {
            // A stop was requested before its start() began: that start is never begun.
            settle(n);
            m_nodes[size_t(n)].phase = NodeState::StartFailed;
            EmitQueue::serviceState(service, QService::State::Stopped);
            return;
        }
        callHook(service, true, n, hook.generation);
        return;
    }
    if (QServicePrivate::get(service)->tasks) { // a service with no tasks costs no reference
        const std::shared_ptr<detail::TaskSet> tasks = QServicePrivate::get(service)->tasks;
        if (tasks->hasRunningTasks()) {
            // Cancel and await the tasks, then stop(): one operation under one deadline.
            follow(shutdown(tasks, service, weak_from_this(), n, hook.generation), n,
                   hook.generation);
            return;
        }
        tasks->closeForStop(service->name() + QStringLiteral(" is stopping"));
    }
    if (isCurrent(n, hook.generation))
        callHook(service, false, n, hook.generation);
}

// The bookkeeping of a start's launch. False when no hook is to be called.
bool GraphRun::prepareStart(int n)
{
    if (m_aborting)
        return false; // a start that had not begun is never begun once the start is given up
    QService *service = m_graph.service(n);
    if (!service) {
        markRunning(n); // a barrier: its whole group runs
        return false;
    }
    Node &node = m_nodes[size_t(n)];
    node.phase = NodeState::Starting;
    markBusy(n);
    ++node.generation;
    ++m_inFlight;
    node.begunAt = -1; // set when its hook is called
    std::optional<std::chrono::milliseconds> timeout;
    QString refused;
    std::exception_ptr cause;
    try {
        timeout = QServicePrivate::startTimeoutOf(service);
        if (timeout)
            refused = checkTimeout(*timeout, "startTimeout");
    } catch (...) {
        cause = std::current_exception();
        refused = QStringLiteral("startTimeout() threw: ") + describeException(cause);
    }
    QServicePrivate::beginStart(service);
    if (!refused.isEmpty()) {
        failStartNow(n, refused, cause);
        return false;
    }
    node.timeout = timeout ? timeout->count() : -1; // armed when start() is called
    return true;
}

// The bookkeeping of a stop's launch. False when no hook is to be called.
bool GraphRun::prepareStop(int n)
{
    QService *service = m_graph.service(n);
    if (!service) {
        markStopped(n);
        return false;
    }
    Node &node = m_nodes[size_t(n)];
    node.phase = NodeState::Stopping;
    markBusy(n);
    ++node.generation;
    ++m_inFlight;
    node.begunAt = -1; // set when its hook is called
    std::chrono::milliseconds timeout{0};
    QString refused;
    std::exception_ptr cause;
    try {
        timeout = QServicePrivate::stopTimeoutOf(service);
        refused = checkTimeout(timeout, "gracefulShutdownTimeout");
    } catch (...) {
        cause = std::current_exception();
        refused = QStringLiteral("gracefulShutdownTimeout() threw: ") + describeException(cause);
    }
    EmitQueue::serviceState(service, QService::State::Stopping);
    if (!refused.isEmpty()) {
        // It still has to stop (it runs): with the manager's default timeout, ending Failed.
        recordFailure(n, QLifecycle::Phase::Stop, refused, cause);
        timeout = m_manager ? m_manager->defaultGracefulShutdownTimeout()
                            : std::chrono::milliseconds(10000);
    }
    node.timeout = timeout.count(); // armed when stop() is called
    return true;
}

QCoro::Task<> GraphRun::shutdown(std::shared_ptr<detail::TaskSet> tasks, QService *service,
                                 std::weak_ptr<GraphRun> run, int node, quint32 generation)
{
    co_await tasks->cancelAll();
    const std::shared_ptr<GraphRun> self = run.lock();
    if (!self || !self->isCurrent(node, generation))
        co_return; // abandoned at its deadline: stop() must not run behind the manager's back
    QCoro::Task<> stopping;
    {
        impl::ContextScope scope(nullptr);
        const HookScope hook(self.get(), service, false);
        stopping = QServicePrivate::callStop(service);
    }
    co_await stopping;
}

bool GraphRun::isCurrent(int node, quint32 generation) const
{
    return m_nodes[size_t(node)].generation == generation &&
           (m_nodes[size_t(node)].phase == NodeState::Starting ||
            m_nodes[size_t(node)].phase == NodeState::Stopping);
}

// Deadlines share one timer, set for the earliest. Arming one is a comparison in the common
// case (equal timeouts, armed in order), so that instant hooks cost no timer each.
void GraphRun::armDeadline(int n)
{
    Node &node = m_nodes[size_t(n)];
    if (node.timeout < 0)
        return; // no limit
    node.dueAt = node.begunAt + node.timeout;
    if (m_timerDueAt >= 0 && m_timerDueAt <= node.dueAt)
        return;
    m_timerDueAt = node.dueAt;
    armTimer(node.dueAt - now());
}

// Checked from the event loop, not inside the timer's own call: a deadline may end the run,
// and the run owns the timer.
void GraphRun::armTimer(qint64 delayMs)
{
    m_deadlineTimer = TimeSource::current()->callAfter(delayMs, &m_context, [this] {
        QMetaObject::invokeMethod(
            &m_context,
            [weak = weak_from_this()] {
                if (const std::shared_ptr<GraphRun> self = weak.lock())
                    self->checkDeadlines();
            },
            Qt::QueuedConnection);
    });
}

void GraphRun::checkDeadlines()
{
    m_timerDueAt = -1;
    const qint64 now = GraphRun::now();
    std::vector<std::pair<int, quint32>> expired;
    qint64 next = -1;
    for (int n = m_busyHead; n >= 0; n = m_nodes[size_t(n)].busyNext) {
        const Node &node = m_nodes[size_t(n)];
        if (node.dueAt < 0)
            continue;
        if (node.dueAt <= now)
            expired.emplace_back(n, node.generation);
        else if (next < 0 || node.dueAt < next)
            next = node.dueAt;
    }
    if (next >= 0) {
        m_timerDueAt = next;
        armTimer(next - now);
    }
    // Every hook past its deadline is given up before anything is shown: a slot on the first
    // failure (a nested loop) must not let a later one end as if it had been in time.
    for (const auto &[n, generation] : expired)
        timedOut(n, generation);
    advance();
}

void GraphRun::settle(int n)
{
    Node &node = m_nodes[size_t(n)];
    markIdle(n);
    ++node.generation; // whatever the operation does from now on is ignored
    --m_inFlight;
    node.dueAt = -1;
}

// A start that failed before its hook was called (an override refused): no hook, no stop().
void GraphRun::failStartNow(int n, const QString &message, std::exception_ptr cause)
{
    QService *service = m_graph.service(n);
    settle(n);
    m_nodes[size_t(n)].phase = NodeState::StartFailed;
    recordFailure(n, QLifecycle::Phase::Start, message, std::move(cause));
    EmitQueue::serviceState(service, QService::State::Failed);
    abortStart();
}

// A failed or cancelled start: its tasks are cancelled, not awaited (docs/lifecycle.md,
// "Failures"). Cancelling runs their clean-up code: after this step's bookkeeping.
void GraphRun::abandonTasks(QService *service)
{
    if (const std::shared_ptr<detail::TaskSet> &tasks = QServicePrivate::get(service)->tasks)
        EmitQueue::call(service, [tasks] { tasks->cancelEverythingNow(); });
}

void GraphRun::finished(int n, quint32 generation, const std::exception_ptr &error)
{
    complete(n, generation, error);
    advance();
}

void GraphRun::complete(int n, quint32 generation, const std::exception_ptr &error)
{
    Node &node = m_nodes[size_t(n)];
    QService *service = m_graph.service(n);
    if (!isCurrent(n, generation)) {
        qCDebug(lcManager).noquote() << (service ? service->name() : QStringLiteral("a service"))
                                     << "finished an abandoned operation";
        return;
    }
    // A hook that ends after its deadline, before the deadline's check could run (it blocked
    // the thread past it, or both became due in the same turn of the event loop), is timed out
    // all the same: a deadline holds whatever the order of events (docs/lifecycle.md,
    // "Timeouts").
    const qint64 now = GraphRun::now(); // one reading: a clock read costs as much as a step
    if (node.dueAt >= 0 && now > node.dueAt) {
        timedOut(n, generation);
        return;
    }
    settle(n);
    if (detail::Tracer::any() && service) {
        detail::Tracer::with(m_manager, [&](detail::Tracer &tracer) {
            tracer.hookEnded(service, node.phase == NodeState::Starting, bool(error));
        });
    }
    const qint64 elapsed = node.begunAt < 0 ? 0 : now - node.begunAt;
    if (node.phase == NodeState::Starting) {
        EmitQueue::serviceDuration(service, true, elapsed);
        bool cancellation = false;
        QString message = error ? detail::describeFailure(error, &cancellation) : QString();
        if (error && (m_stopRequested || node.inRestart) && cancellation) {
            // Cancelled by the stop request, or by a restart: not a failure, no lease.
            node.phase = NodeState::StartFailed;
            abandonTasks(service);
            const bool failed = QServicePrivate::get(service)->failure != nullptr;
            EmitQueue::serviceState(service,
                                    failed ? QService::State::Failed : QService::State::Stopped);
            restartMemberStopped(n);
        } else if (error) {
            node.phase = NodeState::StartFailed;
            abandonTasks(service);
            if (superviseFailure(n, QLifecycle::Phase::Start, message, error) ||
                parkOptional(n, QLifecycle::Phase::Start, message, error)) {
                EmitQueue::serviceState(service, QService::State::Failed);
                restartMemberStopped(n);
            } else {
                recordFailure(n, QLifecycle::Phase::Start, message, error);
                EmitQueue::serviceState(service, QService::State::Failed);
                abortStart();
            }
        } else {
            markRunning(n);
        }
    } else if (node.phase == NodeState::Stopping) {
        EmitQueue::serviceDuration(service, false, elapsed);
        if (error) {
            QString message = describeException(error);
            // A stop that failed during a restart joins it: the service did stop. Not restarted
            // (past the intensity), the failure is final: the graph stops, as after a crash.
            if (!node.inRestart) {
                recordFailure(n, QLifecycle::Phase::Stop, message, error);
            } else if (!superviseFailure(n, QLifecycle::Phase::Stop, message, error)) {
                recordFailure(n, QLifecycle::Phase::Stop, message, error);
                m_stopRequested = true;
                if (m_stage == Stage::Starting || m_stage == Stage::Running)
                    abortStart();
            }
        }
        markStopped(n);
    }
}

void GraphRun::timedOut(int n, quint32 generation)
{
    if (!isCurrent(n, generation))
        return;
    Node &node = m_nodes[size_t(n)];
    QService *service = m_graph.service(n);
    const qint64 after = node.timeout;
    settle(n);
    const qint64 elapsed = node.begunAt < 0 ? 0 : now() - node.begunAt;
    if (node.phase == NodeState::Starting) {
        EmitQueue::serviceDuration(service, true, elapsed);
        node.phase = NodeState::StartFailed;
        abandonTasks(service);
        QString message = timeoutMessage(after, false);
        if (superviseFailure(n, QLifecycle::Phase::Start, message, {}) ||
            parkOptional(n, QLifecycle::Phase::Start, message, {})) {
            EmitQueue::serviceState(service, QService::State::Failed);
            restartMemberStopped(n);
        } else {
            recordFailure(n, QLifecycle::Phase::Start, message, {});
            EmitQueue::serviceState(service, QService::State::Failed);
            abortStart();
        }
    } else if (node.phase == NodeState::Stopping) {
        EmitQueue::serviceDuration(service, false, elapsed);
        QString message = timeoutMessage(after, true);
        const auto &tasks = QServicePrivate::get(service)->tasks;
        if (tasks && tasks->hasRunningTasks()) {
            const QStringList names = tasks->runningTaskNames();
            message += QStringLiteral("; tasks still running, abandoned: ") +
                       names.join(QStringLiteral(", "));
        }
        if (node.inRestart && m_restart) {
            // An instance that may still be alive is never restarted over: the failure is final.
            giveUpRestart(n, QStringLiteral("its stop was abandoned"), message);
            recordFailure(n, QLifecycle::Phase::Stop, message, {});
            m_stopRequested = true;
            if (m_stage == Stage::Starting || m_stage == Stage::Running)
                abortStart();
        } else {
            recordFailure(n, QLifecycle::Phase::Stop, message, {});
        }
        markStopped(n);
    }
}

} // namespace QLifecycle
