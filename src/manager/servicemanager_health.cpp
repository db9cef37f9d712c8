// The manager's health: the aggregate of its services' (docs/health.md), and its JSON report.

#include <QLifecycle/servicemanager.h>

#include "manager/servicemanager_p.h"
#include "service/qservice_p.h"

#include <QtCore/QJsonArray>
#include <QtCore/QMetaEnum>

#include <algorithm>

namespace QLifecycle {

namespace {
QString keyOf(QService::Health health)
{
    return QString::fromLatin1(QMetaEnum::fromType<QService::Health>().valueToKey(int(health)));
}
QString keyOf(QService::State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<QService::State>().valueToKey(int(state)));
}
} // namespace

// The one rule of the aggregate: the worst health of the services, naming each one that is not
// Healthy, worst first. An optional service counts as Degraded at worst: unhealthy, or failed
// for good (docs/supervision.md, "Optional services").
ServiceManagerPrivate::HealthSummary
ServiceManagerPrivate::aggregateHealth(const QList<QService *> &services)
{
    HealthSummary summary;
    QStringList unhealthy;
    QStringList degraded;
    for (const QService *service : services) {
        const QServicePrivate *d = QServicePrivate::get(service);
        if (d->failedForGood) {
            summary.health = std::max(summary.health, QService::Health::Degraded);
            degraded.append(service->name() + QStringLiteral(" failed: ") +
                            (d->failure ? d->failure->message : QString()));
            continue;
        }
        const QService::Health health = service->health();
        if (health == QService::Health::Healthy)
            continue;
        const QService::Health counted = d->optional ? QService::Health::Degraded : health;
        summary.health = std::max(summary.health, counted);
        const QString reason = service->healthReason();
        QString entry = service->name() + QStringLiteral(" is ") + keyOf(health).toLower();
        if (!reason.isEmpty())
            entry += QStringLiteral(": ") + reason;
        (counted == QService::Health::Unhealthy ? unhealthy : degraded).append(entry);
    }
    summary.reason = (unhealthy + degraded).join(QStringLiteral("; "));
    return summary;
}

// Computed when a service's health changes (its run tells the manager), not bound to every
// service: a start costs nothing per service, and a graph whose services never report health
// never computes it.
void ServiceManagerPrivate::updateHealth(ServiceManager *manager, const QList<QService *> &services)
{
    setHealthSummary(manager, aggregateHealth(services));
}

void ServiceManagerPrivate::setHealthSummary(ServiceManager *manager, const HealthSummary &summary)
{
    ServiceManagerPrivate *d = get(manager);
    const bool healthChanged = d->health.value() != summary.health;
    const bool reasonChanged = d->healthReason.value() != summary.reason;
    // Both are set before either is notified, so that a slot on one reads the other up to date.
    d->health.setValueBypassingBindings(summary.health);
    d->healthReason.setValueBypassingBindings(summary.reason);
    const QPointer<ServiceManager> alive(manager); // a slot may destroy it
    if (reasonChanged)
        d->healthReason.notify();
    if (healthChanged && alive)
        d->health.notify();
}

QService::Health ServiceManager::health() const
{
    return d_func()->health;
}
QBindable<QService::Health> ServiceManager::bindableHealth() const
{
    return &d_func()->health;
}
QString ServiceManager::healthReason() const
{
    return d_func()->healthReason;
}
QBindable<QString> ServiceManager::bindableHealthReason() const
{
    return &d_func()->healthReason;
}

QJsonObject ServiceManager::healthReport() const
{
    QJsonArray list;
    for (const QService *service : services()) {
        list.append(QJsonObject{
            {QStringLiteral("name"), service->name()},
            {QStringLiteral("state"), keyOf(service->state())},
            {QStringLiteral("health"), keyOf(service->health())},
            {QStringLiteral("optional"), service->isOptional()},
            {QStringLiteral("reason"), service->healthReason()},
            {QStringLiteral("startDurationMs"), service->startDurationMs()},
            {QStringLiteral("stopDurationMs"), service->stopDurationMs()},
        });
    }
    return {{QStringLiteral("health"), keyOf(health())},
            {QStringLiteral("reason"), healthReason()},
            {QStringLiteral("services"), list}};
}

void ServiceManagerPrivate::notifyHealth(QService::Health value)
{
    Q_EMIT q_ptr->healthChanged(value, ServiceManager::QPrivateSignal());
}
void ServiceManagerPrivate::notifyHealthReason(const QString &value)
{
    Q_EMIT q_ptr->healthReasonChanged(value, ServiceManager::QPrivateSignal());
}

} // namespace QLifecycle
