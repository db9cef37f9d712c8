#include "run.h"

#include <QLifecycle/servicemanager.h>

#include "logging.h"
#include "qservice_p.h"
#include "servicemanager_p.h"

#include <QtCore/QMetaObject>
#include <QtCore/QTimer>

namespace QLifecycle {

namespace {
// How long advance() may keep the event loop busy before it yields a turn, so that a large
// graph of instant services does not freeze a user interface.
constexpr qint64 SliceMs = 8;
constexpr int StepsBetweenClockChecks = 128;

bool isCancellation(const std::exception_ptr &error)
{
    try {
        std::rethrow_exception(error);
    } catch (const Cancelled &) {
        return true;
    } catch (...) {
        return false;
    }
}

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

Run::Run(ServiceManager *manager, DependencyGraph graph)
    : m_manager(manager), m_graph(std::move(graph)), m_nodes(size_t(m_graph.size()))
{
}

Run::~Run() = default;

void Run::begin()
{
    m_serviceCount = int(m_graph.startOrder().size());
    for (int n = 0; n < m_graph.size(); ++n) {
        m_nodes[size_t(n)].waitingFor = int(m_graph.prerequisites(n).size());
        if (QService *service = m_graph.service(n)) {
            QServicePrivate *d = QServicePrivate::get(service);
            d->manager = m_manager;
            d->run = weak_from_this();
        }
    }
    setManagerState(QService::State::Starting);
    for (int n = 0; n < m_graph.size(); ++n)
        if (m_nodes[size_t(n)].waitingFor == 0)
            m_ready.push_back(n);
    advance();
}

void Run::requestStop()
{
    if (m_phase == Phase::Done || m_stopRequested)
        return;
    qCDebug(lcManager) << "stop requested";
    m_stopRequested = true;
    if (m_phase == Phase::Starting) {
        abortStart();
        // Starts in flight that wait cooperatively are cancelled (their waits throw Cancelled).
        for (int n = 0; n < m_graph.size(); ++n) {
            if (m_nodes[size_t(n)].phase != NodePhase::Starting)
                continue;
            if (const auto &tasks = QServicePrivate::get(m_graph.service(n))->tasks)
                tasks->cancelStart();
        }
    }
    advance();
}
void Run::crash(QService *service, const QString &message, std::exception_ptr cause)
{
    if (m_phase == Phase::Done)
        return;
    for (int n = 0; n < m_graph.size(); ++n) {
        if (m_graph.service(n) != service)
            continue;
        const NodePhase phase = m_nodes[size_t(n)].phase;
        if (phase != NodePhase::Starting && phase != NodePhase::Running &&
            phase != NodePhase::Stopping)
            return; // a crash reported after the service left its run is not this run's
        recordFailure(n, QLifecycle::Phase::Run, message, std::move(cause));
        m_stopRequested = true;
        if (m_phase == Phase::Starting)
            abortStart();
        advance();
        return;
    }
}

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

// Calls a hook; an override that is not a coroutine may also throw before returning a task.
// Hooks are not tasks: their first steps run outside any task's context.
static QCoro::Task<> callHook(QService *service, bool starting, std::exception_ptr &thrown)
{
    detail::ContextScope scope(nullptr);
    try {
        return starting ? QServicePrivate::callStart(service) : QServicePrivate::callStop(service);
    } catch (...) {
        thrown = std::current_exception();
        return QCoro::Task<>();
    }
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
    std::exception_ptr thrown;
    QCoro::Task<> operation = callHook(service, true, thrown);
    if (thrown)
        finished(n, generation, thrown);
    else
        follow(std::move(operation), n, generation);
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
        std::exception_ptr thrown;
        QCoro::Task<> operation = callHook(service, false, thrown);
        if (thrown)
            finished(n, generation, thrown);
        else
            follow(std::move(operation), n, generation);
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
    detail::ContextScope scope(nullptr);
    co_await QServicePrivate::callStop(service);
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
        qCDebug(lcManager).noquote() << service->name() << "finished an abandoned operation";
        return;
    }
    settle(n);
    const qint64 elapsed = node.clock.elapsed();
    if (node.phase == NodePhase::Starting) {
        QServicePrivate::setStartDuration(service, elapsed);
        if (error && m_stopRequested && isCancellation(error)) {
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

void Run::markRunning(int n)
{
    m_nodes[size_t(n)].phase = NodePhase::Running;
    ++m_running;
    if (QService *service = m_graph.service(n)) {
        ++m_runningServices;
        publishProgress();
        QServicePrivate::setState(service, QService::State::Running);
    }
    for (int dependent : m_graph.dependents(n))
        if (--m_nodes[size_t(dependent)].waitingFor == 0)
            m_ready.push_back(dependent);
}

void Run::markStopped(int n)
{
    m_nodes[size_t(n)].phase = NodePhase::Stopped;
    if (QService *service = m_graph.service(n)) {
        --m_runningServices;
        publishProgress();
        const bool failed = QServicePrivate::get(service)->failure.has_value();
        QServicePrivate::setState(service,
                                  failed ? QService::State::Failed : QService::State::Stopped);
    }
    // Release this node's lease on each prerequisite, mirror order (last declared first).
    const std::span<const int> prerequisites = m_graph.prerequisites(n);
    for (auto it = prerequisites.rbegin(); it != prerequisites.rend(); ++it) {
        Node &prerequisite = m_nodes[size_t(*it)];
        if (prerequisite.phase == NodePhase::Running && --prerequisite.leases == 0)
            m_ready.push_back(*it);
    }
}

void Run::recordFailure(int n, QLifecycle::Phase phase, const QString &message,
                        std::exception_ptr cause)
{
    QService *service = m_graph.service(n);
    const Failure failure{service->name(), phase, message, std::move(cause)};
    m_failures.append(failure);
    if (phase != QLifecycle::Phase::Run) // crashes were logged by the task that crashed
        qCWarning(lcManager).noquote() << failure.toString();
    QServicePrivate::fail(service, failure);
    if (m_manager) {
        ServiceManagerPrivate::setErrorString(m_manager, Error(m_failures).message());
        ServiceManagerPrivate::emitErrorOccurred(m_manager, service, phase, message);
    }
}

void Run::abortStart()
{
    if (m_aborting)
        return;
    m_aborting = true;
    setManagerState(QService::State::Stopping);
}

void Run::enterStopping()
{
    m_phase = Phase::Stopping;
    m_ready.clear(); // only never-begun starts can be left here
    setManagerState(QService::State::Stopping);
    // Leases: a running node is held by each of its running dependents. A dependent whose
    // start failed or never began holds nothing.
    for (int n = 0; n < m_graph.size(); ++n) {
        if (m_nodes[size_t(n)].phase != NodePhase::Running)
            continue;
        int leases = 0;
        for (int dependent : m_graph.dependents(n))
            leases += m_nodes[size_t(dependent)].phase == NodePhase::Running ? 1 : 0;
        m_nodes[size_t(n)].leases = leases;
    }
    for (int n = m_graph.size() - 1; n >= 0; --n)
        if (m_nodes[size_t(n)].phase == NodePhase::Running && m_nodes[size_t(n)].leases == 0)
            m_ready.push_back(n);
}

void Run::enterDone()
{
    m_phase = Phase::Done;
    // Ownership of the services ends with this phase change (QServicePrivate::run).
    for (int n = 0; n < m_graph.size(); ++n)
        if (m_nodes[size_t(n)].phase == NodePhase::Running && m_graph.service(n))
            qCCritical(lcManager).noquote()
                << m_graph.service(n)->name() << "left running: please report this";
    if (m_manager)
        ServiceManagerPrivate::setErrorString(m_manager,
                                              failed() ? Error(m_failures).message() : QString());
    setManagerState(failed() ? QService::State::Failed : QService::State::Stopped);
    qCDebug(lcManager) << "run ended" << (failed() ? "with failures" : "cleanly");
    m_started.fire();
    m_done.fire();
}

void Run::markBusy(int n)
{
    Node &node = m_nodes[size_t(n)];
    node.busyPrev = m_busyTail;
    node.busyNext = -1;
    (m_busyTail >= 0 ? m_nodes[size_t(m_busyTail)].busyNext : m_busyHead) = n;
    m_busyTail = n;
    publishBusyNamesLater();
}

void Run::markIdle(int n)
{
    Node &node = m_nodes[size_t(n)];
    (node.busyPrev >= 0 ? m_nodes[size_t(node.busyPrev)].busyNext : m_busyHead) = node.busyNext;
    (node.busyNext >= 0 ? m_nodes[size_t(node.busyNext)].busyPrev : m_busyTail) = node.busyPrev;
    node.busyPrev = node.busyNext = -1;
    publishBusyNamesLater();
}

void Run::publishProgress()
{
    if (m_manager)
        ServiceManagerPrivate::setProgress(
            m_manager, m_serviceCount ? double(m_runningServices) / m_serviceCount : 0.0);
}

// The names of the services starting and stopping, rebuilt at most once per event-loop turn:
// with many services in flight, rebuilding them on every transition would cost O(n^2).
void Run::publishBusyNamesLater()
{
    if (m_namesPosted || !m_manager)
        return;
    m_namesPosted = true;
    QMetaObject::invokeMethod(
        m_manager,
        [weak = weak_from_this()] {
            const std::shared_ptr<Run> self = weak.lock();
            if (!self || !self->m_manager)
                return;
            self->m_namesPosted = false;
            QStringList starting, stopping;
            for (int n = self->m_busyHead; n >= 0; n = self->m_nodes[size_t(n)].busyNext) {
                QStringList &names =
                    self->m_nodes[size_t(n)].phase == NodePhase::Starting ? starting : stopping;
                names.append(self->m_graph.service(n)->name());
            }
            ServiceManagerPrivate::setBusyNames(self->m_manager, starting, stopping);
        },
        Qt::QueuedConnection);
}

void Run::setManagerState(QService::State state)
{
    if (m_manager)
        ServiceManagerPrivate::setState(m_manager, state);
}

// Runs the scheduler until nothing more can happen now. Re-entrant calls (from a slot
// connected to a state change, or from an operation that completed synchronously) return at
// once: the outer call picks up whatever they changed.
void Run::advance()
{
    if (m_advancing)
        return;
    const std::shared_ptr<Run> keepAlive = shared_from_this();
    m_advancing = true;
    QElapsedTimer slice;
    slice.start();
    int steps = 0;
    while (advanceStep()) {
        if (++steps % StepsBetweenClockChecks == 0 && slice.elapsed() >= SliceMs && m_manager) {
            if (!m_resumePosted) {
                m_resumePosted = true;
                QMetaObject::invokeMethod(
                    m_manager,
                    [weak = weak_from_this()] {
                        if (std::shared_ptr<Run> self = weak.lock()) {
                            self->m_resumePosted = false;
                            self->advance();
                        }
                    },
                    Qt::QueuedConnection);
            }
            break;
        }
    }
    m_advancing = false;
}

// One scheduling decision; false when there is nothing to do until an operation completes.
bool Run::advanceStep()
{
    if (!m_ready.empty()) {
        const int n = m_ready.front();
        m_ready.pop_front();
        if (m_phase == Phase::Starting)
            launchStart(n);
        else if (m_phase == Phase::Stopping)
            launchStop(n);
        return true;
    }
    switch (m_phase) {
    case Phase::Starting:
        if (m_aborting) {
            if (m_inFlight == 0) {
                enterStopping();
                return true;
            }
        } else if (m_running == m_graph.size()) {
            m_phase = Phase::Running;
            setManagerState(QService::State::Running);
            m_started.fire();
            return true;
        }
        return false;
    case Phase::Running:
        if (m_stopRequested) {
            enterStopping();
            return true;
        }
        return false;
    case Phase::Stopping:
        if (m_inFlight == 0) {
            enterDone();
            return true;
        }
        return false;
    case Phase::Done:
        return false;
    }
    return false;
}

} // namespace QLifecycle
