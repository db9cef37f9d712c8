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

thread_local Run::HookScope *t_hook = nullptr;
} // namespace

Run::HookScope::HookScope(const Run *run, QService *service, bool starting)
    : m_run(run), m_service(service), m_starting(starting), m_previous(t_hook)
{
    t_hook = this;
}

Run::HookScope::~HookScope()
{
    t_hook = m_previous;
}

QService *Run::hookInProgress(const Run *run, bool *starting)
{
    for (const HookScope *scope = t_hook; scope; scope = scope->m_previous) {
        if (run && scope->m_run == run) {
            if (starting)
                *starting = scope->m_starting;
            return scope->m_service;
        }
    }
    return nullptr;
}

Run::Run(ServiceManager *manager, DependencyGraph graph)
    : m_manager(manager), m_graph(std::move(graph)), m_nodes(size_t(m_graph.size()))
{
}

Run::~Run() = default;

void Run::begin()
{
    m_serviceCount = m_graph.serviceCount();
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
void Run::orphan()
{
    m_manager = nullptr;
    if (m_phase == Phase::Done)
        return;
    if (m_graph.serviceCount() == 0) { // every service destroyed already: nothing to stop
        const std::shared_ptr<Run> keepAlive = shared_from_this();
        enterDone();
        return;
    }
    m_self = shared_from_this();
    // Not from inside the manager's destructor: from the event loop, like any stop request.
    QMetaObject::invokeMethod(
        &m_context,
        [weak = weak_from_this()] {
            if (const std::shared_ptr<Run> self = weak.lock())
                self->requestStop();
        },
        Qt::QueuedConnection);
}

void Run::forget(QService *service)
{
    const int n = m_graph.nodeOf(service, QServicePrivate::get(service)->graphNode);
    if (n < 0 || m_phase == Phase::Done)
        return;
    Node &node = m_nodes[size_t(n)];
    const NodePhase phase = node.phase;
    // Needed: it runs, or the start still counts on it.
    const bool needed = phase == NodePhase::Starting || phase == NodePhase::Running ||
                        phase == NodePhase::Stopping ||
                        (phase == NodePhase::Idle && m_phase == Phase::Starting && !m_aborting);
    const QString name = service->name();
    if (phase == NodePhase::Starting || phase == NodePhase::Running ||
        phase == NodePhase::Stopping) {
        // Its tasks must not run on with a destroyed service: cancelled now, awaited by nobody.
        if (const auto &tasks = QServicePrivate::get(service)->tasks)
            tasks->cancelEverythingNow();
    }
    if (phase == NodePhase::Starting || phase == NodePhase::Stopping)
        settle(n); // whatever its hook does from now on is ignored
    if (phase == NodePhase::Running || phase == NodePhase::Stopping) {
        --m_runningServices;
        publishProgress();
    }
    m_graph.forget(n); // from now on the node is a barrier: stopping it calls nothing
    if (phase == NodePhase::Starting)
        node.phase = NodePhase::StartFailed;
    else if (phase == NodePhase::Stopping)
        markStopped(n);
    if (m_self && m_graph.serviceCount() == 0) {
        // An orphaned run whose services are all gone: over now, even if no event loop runs.
        const std::shared_ptr<Run> keepAlive = std::move(m_self);
        enterDone();
        return;
    }
    if (!needed)
        return;
    static const char *const phaseNames[] = {
        "before it started", "while Starting", "while Running", "", "while Stopping", ""};
    const Failure failure{name,
                          QLifecycle::Phase::Run,
                          QStringLiteral("destroyed %1; the graph is stopped")
                              .arg(QLatin1String(phaseNames[int(phase)])),
                          {}};
    m_failures.append(failure);
    qCWarning(lcManager).noquote() << failure.toString();
    if (m_manager) {
        ServiceManagerPrivate::setErrorString(m_manager, Error(m_failures).message());
        ServiceManagerPrivate::emitErrorOccurred(m_manager, nullptr, failure.phase,
                                                 failure.message);
    }
    m_stopRequested = true;
    if (m_phase == Phase::Starting)
        abortStart();
    // Not from inside the service's destructor: from the event loop.
    QMetaObject::invokeMethod(
        &m_context,
        [weak = weak_from_this()] {
            if (const std::shared_ptr<Run> self = weak.lock())
                self->advance();
        },
        Qt::QueuedConnection);
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
    m_self.reset(); // an orphaned run: advance() holds it until this step returns
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
