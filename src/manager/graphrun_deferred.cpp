#include "manager/graphrun.h"

#include "manager/servicemanager_p.h"
#include "manager/starttriggers.h"
#include "service/emitqueue.h"
#include "service/logging.h"
#include "service/qservice_p.h"

#include <algorithm>

namespace QLifecycle {

// Deferred starts (docs/lifecycle.md, "Start policies"). The early nodes start with the graph:
// the root, and what it needs, except services with a deferred policy (and what only those
// need). The manager is Running once the early nodes run. An early node does not wait for a
// deferred prerequisite: nobody needs a deferred service to start. A node is wanted once it is
// to start in this run: early, or its moment came, or it was demanded, or a wanted node that
// is not early needs it (it then waits for it, as usual). What starts later follows the same
// rules (ordering, leases, timeouts, failures), in the same run.

using Policy = QService::StartPolicy;

// The early nodes: from the root (the one node nobody depends on) down its prerequisites, not
// into a service whose policy defers it.
void GraphRun::markEarly()
{
    const auto deferredService = [this](int n) {
        return m_graph.service(n) && m_nodes[size_t(n)].policy != Policy::Eager;
    };
    std::vector<int> pending;
    for (int n = 0; n < m_graph.size(); ++n)
        if (m_graph.dependents(n).empty() && !deferredService(n))
            pending.push_back(n);
    for (int n : pending)
        m_nodes[size_t(n)].early = true;
    while (!pending.empty()) {
        const int next = pending.back();
        pending.pop_back();
        for (int prerequisite : m_graph.prerequisites(next)) {
            Node &node = m_nodes[size_t(prerequisite)];
            if (!node.early && !deferredService(prerequisite)) {
                node.early = true;
                pending.push_back(prerequisite);
            }
        }
    }
    for (int n = 0; n < m_graph.size(); ++n) {
        Node &node = m_nodes[size_t(n)];
        if (!node.early)
            continue;
        node.wanted = true;
        ++m_wanted;
        if (m_graph.service(n))
            ++m_wantedServices;
    }
}

// Wants `n` and everything it needs that is not wanted yet (a parked optional service too: a
// retry), and queues those that can start.
void GraphRun::want(int n)
{
    if (m_nodes[size_t(n)].wanted)
        return;
    std::vector<int> added;
    std::vector<int> pending{n};
    m_nodes[size_t(n)].wanted = true;
    while (!pending.empty()) {
        const int next = pending.back();
        pending.pop_back();
        added.push_back(next);
        for (int prerequisite : m_graph.prerequisites(next)) {
            if (!m_nodes[size_t(prerequisite)].wanted) {
                m_nodes[size_t(prerequisite)].wanted = true;
                pending.push_back(prerequisite);
            }
        }
    }
    std::sort(added.begin(), added.end()); // ready ones start in graph order
    for (int node : added) {
        ++m_wanted;
        if (m_nodes[size_t(node)].parked)
            unpark(node); // a retry (graphrun_optional.cpp): counted as wanted already
        else if (m_graph.service(node))
            ++m_wantedServices;
        if (m_nodes[size_t(node)].phase == NodeState::Idle && m_nodes[size_t(node)].waitingFor == 0)
            m_ready.push_back(node);
    }
}

void GraphRun::activate(Policy policy)
{
    for (int n = 0; n < m_graph.size(); ++n)
        if (m_graph.service(n) && m_nodes[size_t(n)].policy == policy)
            want(n);
    publishDeferred();
}

void GraphRun::publishDeferred()
{
    if (m_manager)
        ServiceManagerPrivate::queueDeferredCount(m_manager,
                                                  m_graph.serviceCount() - m_wantedServices);
}

// The next step of the deferred starts, once the eager ones run: after the first frame, then
// when the event loop is idle. On demand is never scheduled.
void GraphRun::scheduleDeferred()
{
    const auto pending = [this](Policy policy) {
        for (int n = 0; n < m_graph.size(); ++n)
            if (!m_nodes[size_t(n)].wanted && m_graph.service(n) &&
                m_nodes[size_t(n)].policy == policy)
                return true;
        return false;
    };
    const auto resume = [weak = weak_from_this()](int step, Policy policy) {
        return [weak, step, policy] {
            const std::shared_ptr<GraphRun> self = weak.lock();
            if (!self || self->m_stage != Stage::Running || self->m_aborting)
                return;
            self->m_deferredStep = step;
            self->activate(policy);
            self->advance();
        };
    };
    if (m_deferredStep == 0) {
        if (pending(Policy::AfterFirstFrame)) {
            m_deferredStep = 1;
            detail::afterFirstFrame(&m_context, m_manager ? m_manager->mainWindow() : nullptr,
                                    resume(2, Policy::AfterFirstFrame));
            return;
        }
        m_deferredStep = 2;
    }
    if (m_deferredStep == 2 && m_inFlight == 0 && m_ready.empty()) {
        if (pending(Policy::WhenIdle)) {
            m_deferredStep = 3;
            detail::whenIdle(&m_context, resume(4, Policy::WhenIdle));
            return;
        }
        m_deferredStep = 4;
    }
}

QString GraphRun::demand(QService *service)
{
    const int n = m_graph.nodeOf(service, QServicePrivate::get(service)->graphNode);
    if (n < 0)
        return QStringLiteral("it is not in the graph the manager runs");
    if ((m_stage != Stage::Starting && m_stage != Stage::Running) || m_aborting)
        return QStringLiteral("the graph is stopping");
    if (m_nodes[size_t(n)].parked && m_nodes[size_t(n)].inRestart)
        return QStringLiteral("it is stopping after a failure: retry once it is Failed");
    if (!m_nodes[size_t(n)].wanted) {
        qCDebug(lcManager).noquote() << service->name() << "starts on demand";
        want(n);
        publishDeferred();
        advance();
    }
    return {};
}

std::optional<bool> GraphRun::demandOutcome(QService *service, QString *why) const
{
    const int n = m_graph.nodeOf(service, QServicePrivate::get(service)->graphNode);
    if (n < 0) {
        *why = QStringLiteral("it left the graph (destroyed)");
        return false;
    }
    switch (m_nodes[size_t(n)].phase) {
    case NodeState::Running:
        return true;
    case NodeState::StartFailed:
        *why = QServicePrivate::get(service)->failure
                   ? QServicePrivate::get(service)->failure->message
                   : QStringLiteral("its start was cancelled: the graph is stopping");
        return false;
    case NodeState::Stopping:
    case NodeState::Stopped:
        *why = QStringLiteral("the graph is stopping");
        return false;
    case NodeState::Idle:
    case NodeState::Starting:
        break;
    }
    if (m_stage == Stage::Stopping || m_stage == Stage::Done || m_aborting) {
        *why = QStringLiteral("the graph stopped before it could start");
        return false;
    }
    return std::nullopt;
}

std::shared_ptr<detail::OneShot> GraphRun::demandChanged()
{
    if (!m_demandChanged)
        m_demandChanged = std::make_shared<detail::OneShot>();
    return m_demandChanged;
}

void GraphRun::fireDemand()
{
    if (const std::shared_ptr<detail::OneShot> changed = std::exchange(m_demandChanged, nullptr))
        changed->fire();
}

} // namespace QLifecycle
