#include <QLifecycle/servicemanager.h>

#include "manager/graphrun.h"
#include "manager/servicemanager_p.h"
#include "service/logging.h"
#include "service/qservice_p.h"

#include <QtCore/QPointer>
#include <QtCore/QThread>

namespace QLifecycle {

// The manager's side of the desktop path (docs/lifecycle.md): progress per operation, stop
// reasons, deferred starts on demand, and what run() needs to know of the application (its
// main window, its quit guard).

double ServiceManager::startProgress() const
{
    return d_func()->startProgress;
}
QBindable<double> ServiceManager::bindableStartProgress() const
{
    return &d_func()->startProgress;
}
double ServiceManager::stopProgress() const
{
    return d_func()->stopProgress;
}
QBindable<double> ServiceManager::bindableStopProgress() const
{
    return &d_func()->stopProgress;
}
int ServiceManager::deferredCount() const
{
    return d_func()->deferredCount;
}
QBindable<int> ServiceManager::bindableDeferredCount() const
{
    return &d_func()->deferredCount;
}
ServiceManager::StopReason ServiceManager::stopReason() const
{
    return d_func()->stopReason;
}
QBindable<ServiceManager::StopReason> ServiceManager::bindableStopReason() const
{
    return &d_func()->stopReason;
}

QLatin1String ServiceManagerPrivate::describe(ServiceManager::StopReason reason)
{
    switch (reason) {
    case ServiceManager::StopReason::None:
        return QLatin1String("none");
    case ServiceManager::StopReason::Requested:
        return QLatin1String("requested");
    case ServiceManager::StopReason::Quit:
        return QLatin1String("quit");
    case ServiceManager::StopReason::WindowClosed:
        return QLatin1String("window closed");
    case ServiceManager::StopReason::SessionEnd:
        return QLatin1String("session end");
    case ServiceManager::StopReason::Signal:
        return QLatin1String("signal");
    case ServiceManager::StopReason::Failure:
        return QLatin1String("failure");
    }
    return QLatin1String("unknown");
}

QCoro::Task<> ServiceManager::ensureRunning(QService *service)
{
    ServiceManagerPrivate::checkCaller(this, "ensureRunning");
    if (!service)
        throw LifecycleError(QStringLiteral("ensureRunning() was given no service (nullptr)"));
    const QString name = service->name();
    const QPointer<ServiceManager> self(this);
    const QPointer<QService> target(service);
    const std::shared_ptr<GraphRun> run = d_func()->run;
    const auto refuse = [&name](const QString &why) {
        return LifecycleError(QStringLiteral("ensureRunning(%1): %2").arg(name, why));
    };
    if (!run || run->stage() == GraphRun::Stage::Done)
        throw refuse(QStringLiteral("the graph is not running (start the manager first)"));
    if (const QString refused = run->demand(service); !refused.isEmpty())
        throw refuse(refused);
    for (;;) {
        if (!self)
            throw refuse(QStringLiteral("the ServiceManager was destroyed"));
        if (!target)
            throw refuse(QStringLiteral("it was destroyed"));
        QString why;
        const std::optional<bool> outcome = run->demandOutcome(target, &why);
        if (outcome && *outcome)
            co_return;
        if (outcome && run->failed())
            throw Error(run->failures()); // its start, or what it needs, failed
        if (outcome)
            throw refuse(why);
        const std::shared_ptr<detail::OneShot> changed = run->demandChanged();
        co_await *changed;
    }
}

namespace {
QCoro::Task<> ensureRunningDetached(QPointer<ServiceManager> manager, QService *service)
{
    try {
        co_await manager->ensureRunning(service);
    } catch (const LifecycleError &error) {
        qCWarning(lcManager).noquote() << "requestRunning():" << error.message();
    } catch (const Error &) {
        // A failed start: in state and errorString, and logged, already.
    }
}
} // namespace

void ServiceManager::requestRunning(QService *service)
{
    if (QThread::currentThread() != thread()) {
        const QPointer<QService> target(service);
        QMetaObject::invokeMethod(
            this, [this, target] { requestRunning(target); }, Qt::QueuedConnection);
        return;
    }
    ensureRunningDetached(this, service);
}

void ServiceManager::requestStart(QService *service)
{
    requestRunning(service); // a retry is a start on demand of a service that is out
}

void ServiceManager::setMainWindow(QObject *window)
{
    if (window && !window->isWindowType() && !window->inherits("QWidget")) {
        qCWarning(lcManager).noquote()
            << "ServiceManager::setMainWindow(): refused a"
            << QLatin1String(window->metaObject()->className())
            << QStringLiteral("(%1)").arg(window->objectName())
            << "; the main window is a QWindow (a QQuickWindow) or a QWidget";
        return;
    }
    d_func()->mainWindow = window;
}

QObject *ServiceManager::mainWindow() const
{
    return d_func()->mainWindow;
}

void ServiceManager::setQuitGuard(QuitGuard guard)
{
    d_func()->quitGuard = std::move(guard);
}

ServiceManager::QuitGuard ServiceManager::quitGuard() const
{
    return d_func()->quitGuard;
}

std::chrono::milliseconds ServiceManager::quitGuardTimeout() const
{
    return d_func()->quitGuardTimeout;
}

void ServiceManager::setQuitGuardTimeout(std::chrono::milliseconds timeout)
{
    if (timeout.count() < 0) {
        qCWarning(lcManager) << "ServiceManager: refused a negative quit guard timeout of"
                             << timeout.count() << "ms; it stays"
                             << d_func()->quitGuardTimeout.count() << "ms";
        return;
    }
    d_func()->quitGuardTimeout = timeout;
}

void ServiceManagerPrivate::notifyStartProgress(double value)
{
    Q_EMIT q_ptr->startProgressChanged(value, ServiceManager::QPrivateSignal());
}

void ServiceManagerPrivate::notifyStopProgress(double value)
{
    Q_EMIT q_ptr->stopProgressChanged(value, ServiceManager::QPrivateSignal());
}

void ServiceManagerPrivate::notifyDeferredCount(int value)
{
    Q_EMIT q_ptr->deferredCountChanged(value, ServiceManager::QPrivateSignal());
}

void ServiceManagerPrivate::notifyStopReason(ServiceManager::StopReason value)
{
    Q_EMIT q_ptr->stopReasonChanged(value, ServiceManager::QPrivateSignal());
}

} // namespace QLifecycle
