// A service's health (docs/health.md): the pushed value, the polled health check, and the
// escalation of a lasting Unhealthy to a failure of the run.

#include <QLifecycle/qservice.h>
#include <QLifecycle/timesource.h>

#include "service/emitqueue.h"
#include "service/logging.h"
#include "service/qservice_p.h"
#include "service/serviceowner.h"

#include <QtCore/QMetaEnum>
#include <QtCore/QPointer>
#include <QtCore/QThread>

namespace QLifecycle {

namespace {

QLatin1String healthName(QService::Health health)
{
    return QLatin1String(QMetaEnum::fromType<QService::Health>().valueToKey(int(health)));
}

// Calls the check and reports its end, whatever it does. Parameters, not captures: they live
// in the coroutine's frame.
QCoro::Task<> runHealthCheck(QPointer<QService> service, quint64 id)
{
    QService::HealthStatus status;
    try {
        QCoro::Task<QService::HealthStatus> check = QServicePrivate::callCheckHealth(service);
        status = co_await check;
    } catch (...) {
        status = {QService::Health::Unhealthy, QStringLiteral("health check failed: ") +
                                                   describeException(std::current_exception())};
    }
    if (service)
        QServicePrivate::healthCheckEnded(service, id, status);
}

} // namespace

QService::Health QService::health() const
{
    return d_func()->health;
}
QBindable<QService::Health> QService::bindableHealth() const
{
    return &d_func()->health;
}
QString QService::healthReason() const
{
    return d_func()->healthReason;
}
QBindable<QString> QService::bindableHealthReason() const
{
    return &d_func()->healthReason;
}

void QService::setHealth(Health health, const QString &reason)
{
    if (QThread::currentThread() != thread()) {
        QMetaObject::invokeMethod(
            this, [this, health, reason] { setHealth(health, reason); }, Qt::QueuedConnection);
        return;
    }
    detail::EmitQueue::serviceHealth(this, health, reason);
    detail::EmitQueue::flush();
}

QCoro::Task<QService::HealthStatus> QService::checkHealth()
{
    co_return Health::Healthy;
}

void QService::setHealthCheckInterval(std::chrono::milliseconds interval)
{
    if (interval.count() < 0) {
        qCWarning(lcService).noquote() << name() << ": refused a negative health check interval";
        return;
    }
    QServicePrivate::HealthMonitor &monitor = QServicePrivate::monitorOf(this);
    if (std::exchange(monitor.interval, interval) == interval)
        return;
    monitor.poll.reset(); // armed again with the new interval
    QServicePrivate::superviseHealth(this, state());
}

void QService::setHealthCheckTimeout(std::chrono::milliseconds timeout)
{
    if (timeout.count() <= 0) {
        qCWarning(lcService).noquote()
            << name() << ": refused a health check timeout of" << timeout.count() << "ms";
        return;
    }
    QServicePrivate::monitorOf(this).timeout = timeout;
}

void QService::setUnhealthyGracePeriod(std::chrono::milliseconds period)
{
    if (period.count() < 0) {
        qCWarning(lcService).noquote() << name() << ": refused a negative unhealthy grace period";
        return;
    }
    QServicePrivate::HealthMonitor &monitor = QServicePrivate::monitorOf(this);
    if (std::exchange(monitor.grace, period) == period)
        return;
    monitor.escalation.reset(); // armed again for the new period, from the same moment
    QServicePrivate::superviseHealth(this, state());
}

QServicePrivate::HealthMonitor &QServicePrivate::monitorOf(QService *service)
{
    std::unique_ptr<HealthMonitor> &monitor = get(service)->healthMonitor;
    if (!monitor)
        monitor = std::make_unique<HealthMonitor>();
    return *monitor;
}

void QServicePrivate::setHealth(QService *service, QService::Health health, const QString &reason)
{
    QServicePrivate *d = get(service);
    const QService::Health before = d->health.value();
    const bool healthChanged = before != health;
    const bool reasonChanged = d->healthReason.value() != reason;
    if (!healthChanged && !reasonChanged)
        return;
    if (healthChanged) {
        qCInfo(lcService).noquote() << service->name() << "health" << healthName(before) << "->"
                                    << healthName(health) << reason;
    }
    // Both are set before either is notified, so that a slot on one reads the other up to date.
    d->health.setValueBypassingBindings(health);
    d->healthReason.setValueBypassingBindings(reason);
    superviseHealth(service, d->state.value());
    const QPointer<QService> alive(service); // a slot may destroy it
    if (reasonChanged)
        d->healthReason.notify();
    if (healthChanged && alive)
        d->health.notify();
    if (!alive)
        return;
    if (const std::shared_ptr<ServiceOwner> owner = d->owner.lock(); owner && owner->isActive())
        owner->healthChanged(service);
}

void QServicePrivate::superviseHealth(QService *service, QService::State state)
{
    QServicePrivate *d = get(service);
    HealthMonitor *monitor = d->healthMonitor.get();
    if (!monitor)
        return;
    if (state != QService::State::Running) {
        monitor->poll.reset();
        monitor->deadline.reset();
        monitor->escalation.reset();
        monitor->counting = 0; // a check still in flight no longer counts
        monitor->unhealthySince = -1;
        return;
    }
    TimeSource *clock = TimeSource::current();
    if (monitor->interval.count() == 0) {
        monitor->poll.reset();
    } else if (!monitor->poll && !monitor->checking) {
        monitor->poll = clock->callAfter(monitor->interval.count(), service,
                                         [service] { startHealthCheck(service); });
    }
    if (monitor->grace.count() == 0 || d->health.value() != QService::Health::Unhealthy) {
        monitor->escalation.reset();
        monitor->unhealthySince = -1;
        return;
    }
    const qint64 now = clock->nowMs();
    if (monitor->unhealthySince < 0)
        monitor->unhealthySince = now;
    if (!monitor->escalation) {
        const qint64 due = monitor->unhealthySince + monitor->grace.count();
        monitor->escalation = clock->callAfter(qMax<qint64>(0, due - now), service,
                                               [service] { escalateHealth(service); });
    }
}

void QServicePrivate::startHealthCheck(QService *service)
{
    QServicePrivate *d = get(service);
    HealthMonitor &monitor = *d->healthMonitor;
    monitor.poll.reset();
    if (d->state.value() != QService::State::Running || monitor.checking)
        return;
    monitor.checking = true;
    const quint64 id = monitor.counting = ++monitor.checks;
    monitor.deadline = TimeSource::current()->callAfter(
        monitor.timeout.count(), service, [service, id] { healthCheckTimedOut(service, id); });
    runHealthCheck(service, id); // runs up to its first suspension now
}

void QServicePrivate::healthCheckEnded(QService *service, quint64 id,
                                       const QService::HealthStatus &status)
{
    QServicePrivate *d = get(service);
    HealthMonitor &monitor = *d->healthMonitor;
    monitor.checking = false;
    const bool counts = monitor.counting == id;
    if (counts) {
        monitor.counting = 0;
        monitor.deadline.reset();
    }
    superviseHealth(service, d->state.value()); // the next check, if still Running
    if (counts) {
        detail::EmitQueue::serviceHealth(service, status.health, status.reason);
        detail::EmitQueue::flush();
    }
}

void QServicePrivate::healthCheckTimedOut(QService *service, quint64 id)
{
    HealthMonitor &monitor = *get(service)->healthMonitor;
    monitor.deadline.reset();
    if (monitor.counting != id)
        return;
    monitor.counting = 0; // its result, if it ever comes, is ignored; no check starts before
    const QString reason =
        QStringLiteral("health check timed out after %1 ms").arg(monitor.timeout.count());
    qCWarning(lcService).noquote() << service->name() + QStringLiteral(": ") + reason;
    detail::EmitQueue::serviceHealth(service, QService::Health::Unhealthy, reason);
    detail::EmitQueue::flush();
}

void QServicePrivate::escalateHealth(QService *service)
{
    QServicePrivate *d = get(service);
    HealthMonitor &monitor = *d->healthMonitor;
    monitor.escalation.reset();
    if (d->state.value() != QService::State::Running ||
        d->health.value() != QService::Health::Unhealthy)
        return;
    const std::shared_ptr<ServiceOwner> run = d->owner.lock();
    if (!run || !run->isActive())
        return;
    const QString message = QStringLiteral("unhealthy for %1 ms: %2")
                                .arg(monitor.grace.count())
                                .arg(d->healthReason.value());
    qCWarning(lcService).noquote() << service->name() + QStringLiteral(": ") + message;
    run->crash(service, message, {}); // as a crash of a task (docs/lifecycle.md, "Failures")
    detail::EmitQueue::flush();
}

void QServicePrivate::notifyHealth(QService::Health value)
{
    Q_EMIT q_ptr->healthChanged(value, QService::QPrivateSignal());
}
void QServicePrivate::notifyHealthReason(const QString &value)
{
    Q_EMIT q_ptr->healthReasonChanged(value, QService::QPrivateSignal());
}

} // namespace QLifecycle
