#include <QLifecycle/servicemanager.h>

#include "manager/servicemanager_p.h"
#include "service/emitqueue.h"
#include "service/logging.h"

#include <utility>

namespace QLifecycle {

using detail::EmitQueue;

// The manager's side of supervision (docs/supervision.md): its intensity, the jitter's seed,
// and what it shows of the restarts its runs make (graphrun_restart.cpp decides them).

void ServiceManager::setRestartIntensity(int maxRestarts, std::chrono::milliseconds window)
{
    if (maxRestarts < 0 || window.count() < 0) {
        qCWarning(lcManager).noquote()
            << QStringLiteral("setRestartIntensity(%1, %2 ms) refused: neither can be negative")
                   .arg(maxRestarts)
                   .arg(window.count());
        return;
    }
    d_func()->maxRestarts = maxRestarts;
    d_func()->restartWindow = window;
}

int ServiceManager::maxRestarts() const
{
    return d_func()->maxRestarts;
}

std::chrono::milliseconds ServiceManager::restartWindow() const
{
    return d_func()->restartWindow;
}

void ServiceManager::setJitterSeed(quint64 seed)
{
    d_func()->jitterSeed = seed;
}

int ServiceManager::restartCount() const
{
    return d_func()->restartCount;
}

void ServiceManagerPrivate::queueRestartCount(ServiceManager *manager, int count)
{
    EmitQueue::call(manager, [manager, count] {
        if (std::exchange(get(manager)->restartCount, count) != count)
            Q_EMIT manager->restartCountChanged(count, ServiceManager::QPrivateSignal());
    });
}

void ServiceManagerPrivate::queueRestartScheduled(ServiceManager *manager, QService *service,
                                                  qint64 delayMs, const QStringList &services)
{
    EmitQueue::call(manager, [manager, service, delayMs, services] {
        Q_EMIT manager->restartScheduled(service, delayMs, services,
                                         ServiceManager::QPrivateSignal());
    });
}

void ServiceManagerPrivate::queueRestartsExhausted(ServiceManager *manager, QService *service,
                                                   const QString &reason)
{
    EmitQueue::call(manager, [manager, service, reason] {
        Q_EMIT manager->restartsExhausted(service, reason, ServiceManager::QPrivateSignal());
    });
}

} // namespace QLifecycle
