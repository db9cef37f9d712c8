#include "progresstext_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QtMath>

#include <algorithm>

namespace QLifecycle::WidgetsPrivate {

namespace {
QString tr(const char *text, int n = -1)
{
    return QCoreApplication::translate("QLifecycle::Widgets", text, nullptr, n);
}
} // namespace

QString startMessage(const ServiceManager *manager)
{
    const int deferred = manager->deferredCount();
    const int total = std::max(0, manager->serviceCount() - deferred);
    const int running = std::min(total, int(qRound(manager->startProgress() * total)));
    QString message = tr("Starting\u2026 %1 of %2").arg(running).arg(total);
    const QStringList starting = manager->startingServices();
    if (!starting.isEmpty())
        message += QStringLiteral(": ") + starting.join(QStringLiteral(", "));
    if (deferred > 0)
        message += QLatin1Char(' ') + tr("(%n later)", deferred);
    return message;
}

int startPercent(const ServiceManager *manager)
{
    return int(qRound(manager->startProgress() * 100));
}

int stopPercent(const ServiceManager *manager)
{
    return int(qRound(manager->stopProgress() * 100));
}

QString reasonText(ServiceManager::StopReason reason)
{
    using Reason = ServiceManager::StopReason;
    switch (reason) {
    case Reason::None:
    case Reason::Requested:
        return tr("Stopping");
    case Reason::Quit:
        return tr("Quitting");
    case Reason::WindowClosed:
        return tr("The window was closed");
    case Reason::SessionEnd:
        return tr("The session is ending");
    case Reason::Signal:
        return tr("Interrupted");
    case Reason::Failure:
        return tr("A service failed");
    }
    return {};
}

QString stopDetails(const ServiceManager *manager)
{
    const QStringList stopping = manager->stoppingServices();
    if (!stopping.isEmpty())
        return tr("Stopping %1").arg(stopping.join(QStringLiteral(", ")));
    if (manager->state() == QService::State::Stopping)
        return tr("Stopping");
    return manager->state() == QService::State::Failed ? tr("Stopped, with errors") : tr("Stopped");
}

bool isQuitReason(ServiceManager::StopReason reason)
{
    using Reason = ServiceManager::StopReason;
    return reason == Reason::Quit || reason == Reason::WindowClosed ||
           reason == Reason::SessionEnd || reason == Reason::Signal;
}

QString durationText(qint64 ms)
{
    return ms < 0 ? QStringLiteral("\u2014") : tr("%1 ms").arg(ms);
}

QString restartsText(int count, qint64 delayMs)
{
    if (delayMs < 0)
        return QString::number(count);
    return tr("%1 (restart in %2 s)").arg(count).arg(double(delayMs) / 1000.0, 0, 'f', 1);
}

QString healthText(QService::Health health, QService::State state)
{
    switch (health) {
    case QService::Health::Degraded:
        return tr("Degraded");
    case QService::Health::Unhealthy:
        return tr("Unhealthy");
    case QService::Health::Healthy:
        break;
    }
    const bool runs = state == QService::State::Running || state == QService::State::Stopping;
    return runs ? tr("Healthy") : QStringLiteral("\u2014");
}

} // namespace QLifecycle::WidgetsPrivate
