#include "manager/graphrun.h"

#include "manager/servicemanager_p.h"
#include "service/emitqueue.h"
#include "service/logging.h"
#include "service/qservice_p.h"

#include <QtCore/QMetaObject>
#include <QtCore/QPointer>

namespace QLifecycle {

using detail::EmitQueue;

// What the outside world does to a run: a service destroyed while its graph needs it, a crash
// of a running service (docs/lifecycle.md, "Failures").

void GraphRun::forget(QService *service)
{
    HookScope::forget(service);
    const int n = m_graph.nodeOf(service, QServicePrivate::get(service)->graphNode);
    if (n < 0 || m_stage == Stage::Done)
        return;
    const std::shared_ptr<GraphRun> keepAlive = shared_from_this();
    {
        // Cancelling its tasks runs their clean-up code: what that shows is applied once this
        // bookkeeping is complete.
        const EmitQueue::Hold hold;
        Node &node = m_nodes[size_t(n)];
        const NodeState phase = node.phase;
        // Needed: it runs, or the start still counts on it.
        const bool needed =
            phase == NodeState::Starting || phase == NodeState::Running ||
            phase == NodeState::Stopping || node.inRestart ||
            (phase == NodeState::Idle && node.wanted &&
             (m_stage == Stage::Starting || m_stage == Stage::Running) && !m_aborting);
        if (node.wanted || node.parked)
            --m_wantedServices; // the barrier left in its place is not a service
        const QString name = service->name();
        const QService::State visibleState = service->state();
        if (phase == NodeState::Starting || phase == NodeState::Stopping)
            settle(n); // whatever its hook does from now on is ignored
        if (phase == NodeState::Running || phase == NodeState::Stopping) {
            --m_runningServices;
            publishProgress();
        }
        m_graph.forget(n); // from now on the node is a barrier: stopping it calls nothing
        if (node.parked)
            healthChanged(nullptr); // the manager's health no longer names it
        if (!node.wanted)
            publishDeferred(); // one deferred service less
        if (phase == NodeState::Starting)
            node.phase = NodeState::StartFailed;
        else if (phase == NodeState::Stopping)
            markStopped(n);
        if (m_self && m_graph.serviceCount() == 0) {
            // An orphaned run whose services are all gone: over now, even without an event loop.
            m_self.reset();
            enterDone();
        } else if (needed) {
            // Named after the state its observers saw last (a transition of its may still be
            // queued when a nested loop destroys it).
            const QService::State seen = visibleState;
            const char *when = node.inRestart && seen != QService::State::Running &&
                                       seen != QService::State::Stopping
                                   ? "while waiting to be restarted"
                               : seen == QService::State::Starting ? "while Starting"
                               : seen == QService::State::Running  ? "while Running"
                               : seen == QService::State::Stopping ? "while Stopping"
                                                                   : "before it started";
            const Failure failure{
                name,
                QLifecycle::Phase::Run,
                QStringLiteral("destroyed %1; the graph is stopped").arg(QLatin1String(when)),
                {}};
            m_failures.append(failure);
            setStopReason(ServiceManager::StopReason::Failure);
            qCWarning(lcManager).noquote() << failure.toString();
            if (m_manager) {
                ServiceManagerPrivate::queueErrorString(m_manager, Error(m_failures).message());
                EmitQueue::call(m_manager, [manager = m_manager.data(), failure] {
                    ServiceManagerPrivate::emitErrorOccurred(manager, nullptr, failure.phase,
                                                             failure.message);
                });
            }
            m_stopRequested = true;
            if (m_stage == Stage::Starting || m_stage == Stage::Running)
                abortStart();
            // Not from inside the service's destructor: from the event loop.
            QMetaObject::invokeMethod(
                &m_context,
                [weak = weak_from_this()] {
                    if (const std::shared_ptr<GraphRun> self = weak.lock())
                        self->advance();
                },
                Qt::QueuedConnection);
        }
        // Its tasks must not run on with a destroyed service: cancelled now, awaited by nobody.
        if (phase == NodeState::Starting || phase == NodeState::Running ||
            phase == NodeState::Stopping) {
            if (const auto &tasks = QServicePrivate::get(service)->tasks)
                tasks->cancelEverythingNow();
        }
    }
    EmitQueue::flush();
}

void GraphRun::crash(QService *service, const QString &message, std::exception_ptr cause,
                     bool cleanExit)
{
    if (m_stage == Stage::Done)
        return;
    const int n = m_graph.nodeOf(service, QServicePrivate::get(service)->graphNode);
    if (n < 0)
        return;
    const NodeState phase = m_nodes[size_t(n)].phase;
    if (phase == NodeState::StartFailed) {
        // A task of a failed start that failed too before it was cancelled (a slot spun a
        // nested loop meanwhile): one more error of this run, nothing else changes.
        recordFailure(n, QLifecycle::Phase::Run, message, std::move(cause));
        advance();
        return;
    }
    if (phase != NodeState::Starting && phase != NodeState::Running && phase != NodeState::Stopping)
        return; // a crash reported after the service left its run is not this run's
    QString text = message;
    if (phase != NodeState::Stopping || m_nodes[size_t(n)].inRestart) {
        // A crash while it runs (or starts): restarted if its policy says so; a crash during a
        // restart's own stop joins that restart (docs/supervision.md).
        if (superviseFailure(n, QLifecycle::Phase::Run, text, cause, cleanExit) ||
            parkOptional(n, QLifecycle::Phase::Run, text, cause)) {
            advance();
            return;
        }
    }
    recordFailure(n, QLifecycle::Phase::Run, text, std::move(cause));
    m_stopRequested = true;
    if (m_stage == Stage::Starting || m_stage == Stage::Running)
        abortStart();
    advance();
}

void GraphRun::healthChanged(QService *service)
{
    Q_UNUSED(service);
    if (!m_manager)
        return;
    EmitQueue::call(m_manager, [manager = m_manager.data(), weak = weak_from_this()] {
        if (const std::shared_ptr<GraphRun> self = weak.lock())
            ServiceManagerPrivate::updateHealth(manager, self->graph().startOrder());
    });
}

// Told from the event loop: the step that stalled may be deep in bookkeeping of its own.
void GraphRun::stalled(QService *service, const QString &what, qint64 ms)
{
    if (!m_manager)
        return;
    QMetaObject::invokeMethod(
        m_manager,
        [manager = m_manager, service = QPointer<QService>(service), what, ms] {
            if (manager && service)
                ServiceManagerPrivate::emitStallDetected(manager, service, what, ms);
        },
        Qt::QueuedConnection);
}

} // namespace QLifecycle
