#include "manager/graphrun.h"

#include <QLifecycle/servicemanager.h>

#include "manager/servicemanager_p.h"
#include "service/emitqueue.h"
#include "service/logging.h"
#include "service/qservice_p.h"

#include <QtCore/QMetaObject>
#include <QtCore/QThread>

#include <algorithm>

namespace QLifecycle {

using detail::EmitQueue;
using ProgressOf = ServiceManagerPrivate::ProgressOf;

namespace {
// How long advance() may keep the event loop busy before it yields a turn, so that a large
// graph of instant services does not freeze a user interface.
constexpr qint64 SliceMs = 8;
constexpr int StepsBetweenClockChecks = 8; // a hook may work synchronously for a while

} // namespace

GraphRun::GraphRun(ServiceManager *manager, DependencyGraph graph)
    : m_manager(manager), m_graph(std::move(graph)), m_nodes(size_t(m_graph.size()))
{
    static_assert(sizeof(Node) == 56, "a node per service: keep it small");
}

GraphRun::~GraphRun() = default;

void GraphRun::begin(qint64 spentMs)
{
    m_serviceCount = m_graph.serviceCount();
    bool deferred = false;
    for (int n = 0; n < m_graph.size(); ++n) {
        if (QService *service = m_graph.service(n)) {
            QServicePrivate *d = QServicePrivate::get(service);
            d->manager = m_manager;
            d->owner = weak_from_this();
            m_nodes[size_t(n)].policy = d->startPolicy;
            deferred = deferred || d->startPolicy != QService::StartPolicy::Eager;
            if (d->restartPolicy) // set only for a mode other than Never
                m_supervised[n].policy = *d->restartPolicy;
            if (d->restartCount != 0)
                QServicePrivate::queueRestartCount(service, 0);
            if (std::exchange(d->failedForGood, false))
                healthChanged(service); // the manager's health forgets the last run's
        }
    }
    if (deferred) {
        markEarly(); // graphrun_deferred.cpp
    } else {
        for (Node &node : m_nodes) // every node starts with the graph (the common case)
            node.early = node.wanted = true;
        m_wanted = m_graph.size();
        m_wantedServices = m_serviceCount;
    }
    for (int n = 0; n < m_graph.size(); ++n) {
        int waitingFor = 0;
        for (int prerequisite : m_graph.prerequisites(n))
            waitingFor += waitsFor(n, prerequisite) ? 1 : 0;
        m_nodes[size_t(n)].waitingFor = waitingFor;
        if (waitingFor == 0 && m_nodes[size_t(n)].wanted)
            m_ready.push_back(n);
    }
    // Starting, then servicesChanged: a slot on either (a model filling its rows) may already
    // stop the run or destroy a service; it runs once this run's bookkeeping is ready for it.
    if (m_manager) {
        ServiceManagerPrivate::queueStopReason(m_manager, ServiceManager::StopReason::None);
        ServiceManagerPrivate::queueProgress(m_manager, ProgressOf::Stop, 0.0);
        ServiceManagerPrivate::queueProgress(m_manager, ProgressOf::Start, 0.0);
        publishDeferred();
        if (ServiceManagerPrivate::get(m_manager)->restartCount != 0)
            ServiceManagerPrivate::queueRestartCount(m_manager, 0);
    }
    setManagerState(QService::State::Starting);
    if (m_manager)
        EmitQueue::call(m_manager, [manager = m_manager.data()] {
            ServiceManagerPrivate::emitServicesChanged(manager);
        });
    advance(spentMs);
}

QThreadPool *GraphRun::threadPool()
{
    return m_manager ? ServiceManagerPrivate::get(m_manager)->threadPool()
                     : QThreadPool::globalInstance();
}

void GraphRun::requestStop(ServiceManager::StopReason reason)
{
    if (m_stage == Stage::Done || m_stopRequested)
        return;
    setStopReason(reason);
    m_stopRequested = true;
    if (m_stage == Stage::Starting || m_stage == Stage::Running) {
        abortStart();
        // Starts in flight that wait cooperatively are cancelled (their waits throw Cancelled),
        // including a start() whose first steps have not run yet.
        for (int n = 0; n < m_graph.size(); ++n) {
            if (m_nodes[size_t(n)].phase != NodeState::Starting)
                continue;
            QService *service = m_graph.service(n);
            EmitQueue::call(service,
                            [tasks = QServicePrivate::tasksFor(service)] { tasks->cancelStart(); });
        }
    }
    advance();
}

void GraphRun::orphan()
{
    m_manager = nullptr;
    if (m_restart)
        m_restart->timer.reset(); // no restart once the manager is gone
    if (m_stage == Stage::Done)
        return;
    if (m_graph.serviceCount() == 0) { // every service destroyed already: nothing to stop
        const std::shared_ptr<GraphRun> keepAlive = shared_from_this();
        enterDone();
        EmitQueue::flush();
        return;
    }
    m_self = shared_from_this();
    // Not from inside the manager's destructor: from the event loop, like any stop request.
    QMetaObject::invokeMethod(
        &m_context,
        [weak = weak_from_this()] {
            if (const std::shared_ptr<GraphRun> self = weak.lock())
                self->requestStop();
        },
        Qt::QueuedConnection);
}

void GraphRun::markRunning(int n)
{
    Node &node = m_nodes[size_t(n)];
    node.phase = NodeState::Running;
    ++m_running;
    // A member of a restart that has not started again yet (its cancelled start ran all the
    // same) holds its dependents back: it is about to stop.
    const bool held = node.inRestart && m_restart && !m_restart->starting;
    if (!held) {
        node.released = true;
        for (int dependent : m_graph.dependents(n)) {
            if (waitsFor(dependent, n) && --m_nodes[size_t(dependent)].waitingFor == 0) {
                if (m_nodes[size_t(dependent)].wanted)
                    m_ready.push_back(dependent);
                else if (isParkedOut(dependent))
                    releaseOptional(dependent); // parked: what waits for it goes on
            }
        }
    }
    if (QService *service = m_graph.service(n)) {
        ++m_runningServices;
        publishProgress();
        EmitQueue::serviceState(service, QService::State::Running);
        if (!m_supervised.empty())
            noteRunning(n);
    }
    if (held) {
        if (node.leases == 0)
            m_restartStops.push_back(n);
    } else if (node.inRestart) {
        memberRunning(n);
    }
}

void GraphRun::markStopped(int n)
{
    m_nodes[size_t(n)].phase = NodeState::Stopped;
    const bool restarting = m_nodes[size_t(n)].inRestart;
    if (restarting) {
        --m_running; // stopped for a restart: what needs it waits for it again
    } else {
        // Release this node's lease on each prerequisite, mirror order (last declared first).
        const std::span<const int> prerequisites = m_graph.prerequisites(n);
        for (auto it = prerequisites.rbegin(); it != prerequisites.rend(); ++it) {
            Node &prerequisite = m_nodes[size_t(*it)];
            if (prerequisite.phase == NodeState::Running && --prerequisite.leases == 0)
                m_ready.push_back(*it);
        }
    }
    if (QService *service = m_graph.service(n)) {
        --m_runningServices;
        publishProgress();
        const bool failed = QServicePrivate::get(service)->failure != nullptr;
        EmitQueue::serviceState(service,
                                failed ? QService::State::Failed : QService::State::Stopped);
    }
    if (restarting)
        restartMemberStopped(n); // its prerequisites in the restart may stop now
}

void GraphRun::recordFailure(int n, QLifecycle::Phase phase, const QString &message,
                             std::exception_ptr cause)
{
    QService *service = m_graph.service(n);
    const Failure failure{service->name(), phase, message, std::move(cause)};
    m_failures.append(failure);
    setStopReason(ServiceManager::StopReason::Failure);
    if (phase != QLifecycle::Phase::Run) // crashes were logged by the task that crashed
        qCWarning(lcManager).noquote() << failure.toString();
    // Both error strings first: a slot on either signal reads them up to date.
    QServicePrivate::fail(service, failure);
    if (m_manager)
        ServiceManagerPrivate::queueErrorString(m_manager, Error(m_failures).message());
    QServicePrivate::queueErrorOccurred(service, failure);
    if (m_manager) {
        EmitQueue::call(m_manager, [manager = m_manager.data(), service, phase, message] {
            ServiceManagerPrivate::emitErrorOccurred(manager, service, phase, message);
        });
    }
}

void GraphRun::abortStart()
{
    if (m_aborting)
        return;
    m_aborting = true;
    // The current operation is a stop from now on: its progress shows, from 0 (before the
    // state, so that a slot on Stopping reads it).
    if (m_manager)
        ServiceManagerPrivate::queueProgress(m_manager, ProgressOf::Stop, 0.0);
    setManagerState(QService::State::Stopping);
}

void GraphRun::enterStopping()
{
    endRestart(); // what a restart had stopped stays stopped
    m_stage = Stage::Stopping;
    m_ready.clear(); // only never-begun starts can be left here
    m_stopTotal = m_runningServices;
    publishProgress();
    setManagerState(QService::State::Stopping);
    // Leases: a running node is held by each of its running dependents. A dependent whose
    // start failed or never began holds nothing.
    for (int n = 0; n < m_graph.size(); ++n) {
        if (m_nodes[size_t(n)].phase != NodeState::Running)
            continue;
        int leases = 0;
        for (int dependent : m_graph.dependents(n))
            leases += m_nodes[size_t(dependent)].phase == NodeState::Running ? 1 : 0;
        m_nodes[size_t(n)].leases = leases;
    }
    for (int n = m_graph.size() - 1; n >= 0; --n)
        if (m_nodes[size_t(n)].phase == NodeState::Running && m_nodes[size_t(n)].leases == 0)
            m_ready.push_back(n);
}

void GraphRun::enterDone()
{
    m_stage = Stage::Done;
    m_deadlineTimer.reset();
    m_timerDueAt = -1;
    // Ownership of the services ends with this phase change (QServicePrivate::run).
    for (int n = 0; n < m_graph.size(); ++n)
        if (m_nodes[size_t(n)].phase == NodeState::Running && m_graph.service(n))
            qCCritical(lcManager).noquote()
                << m_graph.service(n)->name() << "left running: please report this";
    if (m_manager)
        ServiceManagerPrivate::queueErrorString(m_manager,
                                                failed() ? Error(m_failures).message() : QString());
    if (m_manager)
        ServiceManagerPrivate::queueProgress(m_manager, ProgressOf::End, 1.0);
    setManagerState(failed() ? QService::State::Failed : QService::State::Stopped);
    qCDebug(lcManager) << "run ended" << (failed() ? "with failures" : "cleanly");
    // Those who await the run resume after everything above has been shown.
    EmitQueue::call(nullptr, [self = shared_from_this()] {
        self->m_started.fire();
        self->m_done.fire();
    });
    m_self.reset(); // an orphaned run: the queued call above holds it until it is applied
}

void GraphRun::markBusy(int n)
{
    Node &node = m_nodes[size_t(n)];
    node.busyPrev = m_busyTail;
    node.busyNext = -1;
    (m_busyTail >= 0 ? m_nodes[size_t(m_busyTail)].busyNext : m_busyHead) = n;
    m_busyTail = n;
    publishBusyNamesLater();
}

void GraphRun::markIdle(int n)
{
    Node &node = m_nodes[size_t(n)];
    (node.busyPrev >= 0 ? m_nodes[size_t(node.busyPrev)].busyNext : m_busyHead) = node.busyNext;
    (node.busyNext >= 0 ? m_nodes[size_t(node.busyNext)].busyPrev : m_busyTail) = node.busyPrev;
    node.busyPrev = node.busyNext = -1;
    publishBusyNamesLater();
}

// Start progress while starting (of the wanted services), stop progress while stopping (of
// those running when the stop began); deferred starts while Running change neither.
void GraphRun::publishProgress()
{
    if (!m_manager)
        return;
    if (m_stage == Stage::Starting && !m_aborting && m_wantedServices > 0)
        ServiceManagerPrivate::queueProgress(
            m_manager, ProgressOf::Start,
            std::min(1.0, double(m_runningServices) / m_wantedServices));
    else if (m_stage == Stage::Stopping)
        ServiceManagerPrivate::queueProgress(
            m_manager, ProgressOf::Stop,
            m_stopTotal > 0 ? double(m_stopTotal - m_runningServices) / m_stopTotal : 1.0);
}

void GraphRun::setStopReason(ServiceManager::StopReason reason)
{
    if (m_stopReason != ServiceManager::StopReason::None || m_stage == Stage::Done)
        return;
    m_stopReason = reason;
    qCInfo(lcManager).noquote() << "stopping the graph of"
                                << (m_manager && m_manager->root() ? m_manager->root()->name()
                                                                   : QStringLiteral("(no root)"))
                                << "(reason:" << ServiceManagerPrivate::describe(reason) + u')';
    if (m_manager)
        ServiceManagerPrivate::queueStopReason(m_manager, reason);
}

// The names of the services starting and stopping, rebuilt at most once per event-loop turn:
// with many services in flight, rebuilding them on every transition would cost O(n^2).
void GraphRun::publishBusyNamesLater()
{
    if (m_namesPosted || !m_manager)
        return;
    m_namesPosted = true;
    QMetaObject::invokeMethod(
        m_manager,
        [weak = weak_from_this()] {
            const std::shared_ptr<GraphRun> self = weak.lock();
            if (!self || !self->m_manager)
                return;
            self->m_namesPosted = false;
            QStringList starting, stopping;
            for (int n = self->m_busyHead; n >= 0; n = self->m_nodes[size_t(n)].busyNext) {
                QStringList &names =
                    self->m_nodes[size_t(n)].phase == NodeState::Starting ? starting : stopping;
                names.append(self->m_graph.service(n)->name());
            }
            ServiceManagerPrivate::setBusyNames(self->m_manager, starting, stopping);
        },
        Qt::QueuedConnection);
}

void GraphRun::setManagerState(QService::State state)
{
    if (m_manager)
        ServiceManagerPrivate::queueState(m_manager, state);
}

// Runs the scheduler until nothing more can happen now. Each step updates the bookkeeping
// only; what it shows is applied after it (EmitQueue::flush()), and a hook it launches is
// called after that. Foreign code runs only there, so a call back into the run from it (a
// slot, a nested event loop) may run a nested advance() safely: this loop then finds the
// work done. A hook that completes at once is recorded without a nested advance(), so the
// stack stays flat however deep the graph. The first slice is shortened by `spentMs`, the time
// the caller already held the event loop in this turn.
void GraphRun::advance(qint64 spentMs)
{
    if (EmitQueue::isHeld()) {
        // Inside a bulk cancellation (a woken task ended a hook): what it shows is held, so no
        // hook may be called now; go on from the event loop.
        postResume();
        return;
    }
    const std::shared_ptr<GraphRun> keepAlive = shared_from_this();
    EmitQueue::flush();
    QElapsedTimer slice;
    slice.start();
    int steps = 0;
    while (advanceStep()) {
        const PendingHook hook = std::exchange(m_pendingHook, PendingHook());
        EmitQueue::flush();
        if (hook.node >= 0) {
            // Should the hook spin a nested event loop before its first suspension, the
            // services ready after it are launched from inside that loop.
            if (!m_ready.empty())
                postResume();
            callPendingHook(hook);
        }
        EmitQueue::flush();
        if (++steps % StepsBetweenClockChecks == 0 && slice.elapsed() + spentMs >= SliceMs) {
            postResume(); // yield a turn of the event loop, then go on
            break;
        }
    }
    if (m_demandChanged)
        fireDemand(); // ensureRunning() looks again
}

// One advance() from the event loop, unless one is already queued.
void GraphRun::postResume()
{
    if (m_resumePosted)
        return;
    m_resumePosted = true;
    QMetaObject::invokeMethod(
        &m_context,
        [weak = weak_from_this()] {
            if (std::shared_ptr<GraphRun> self = weak.lock()) {
                self->m_resumePosted = false;
                self->advance();
            }
        },
        Qt::QueuedConnection);
}

// One scheduling decision; false when there is nothing to do until an operation completes.
bool GraphRun::advanceStep()
{
    if (!m_restartStops.empty() && !m_stopRequested && !m_aborting && launchRestartStop())
        return true;
    if (!m_ready.empty()) {
        const int n = m_ready.front();
        m_ready.pop_front();
        bool callHook = false;
        if (m_stage == Stage::Starting || m_stage == Stage::Running) {
            const Node &node = m_nodes[size_t(n)];
            if (node.phase != NodeState::Idle || node.waitingFor != 0)
                return true; // queued before a restart took what it needs down again
            callHook = prepareStart(n);
        } else if (m_stage == Stage::Stopping)
            callHook = prepareStop(n);
        if (callHook)
            m_pendingHook = {n, m_nodes[size_t(n)].generation, m_stage != Stage::Stopping};
        return true;
    }
    switch (m_stage) {
    case Stage::Starting:
        if (m_aborting) {
            if (m_inFlight == 0) {
                enterStopping();
                return true;
            }
        } else if (m_running == m_wanted) {
            m_stage = Stage::Running;
            if (m_manager)
                ServiceManagerPrivate::queueProgress(m_manager, ProgressOf::Start, 1.0);
            setManagerState(QService::State::Running);
            EmitQueue::call(nullptr, [self = shared_from_this()] { self->m_started.fire(); });
            scheduleDeferred();
            return true;
        }
        return false;
    case Stage::Running:
        if (m_stopRequested || m_aborting) {
            if (m_inFlight > 0)
                return false; // deferred starts in flight end first (cancelled, or failed)
            enterStopping();
            return true;
        }
        if (m_deferredStep == 2 && m_inFlight == 0)
            scheduleDeferred();
        return false;
    case Stage::Stopping:
        if (m_inFlight == 0) {
            enterDone();
            return true;
        }
        return false;
    case Stage::Done:
        return false;
    }
    return false;
}

} // namespace QLifecycle
