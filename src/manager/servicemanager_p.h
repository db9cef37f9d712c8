#pragma once

#include <QLifecycle/servicemanager.h>

#include "service/emitqueue.h"

#include <QtCore/QPointer>
#include <QtCore/QThreadPool>

#include <atomic>
#include <memory>

namespace QLifecycle {

class GraphRun;

// A manager's data, including the storage of its properties, and the run's access to it.
class ServiceManagerPrivate
{
    Q_DECLARE_PUBLIC(ServiceManager)
public:
    explicit ServiceManagerPrivate(ServiceManager *manager) : q_ptr(manager) {}

    static ServiceManagerPrivate *get(ServiceManager *manager) { return manager->d_func(); }
    static void setState(ServiceManager *manager, QService::State state)
    {
        get(manager)->state = state;
    }
    static void setErrorString(ServiceManager *manager, const QString &text)
    {
        get(manager)->errorString = text;
    }
    static void setBusyNames(ServiceManager *manager, const QStringList &starting,
                             const QStringList &stopping)
    {
        if (get(manager)->startingServices.value() != starting)
            get(manager)->startingServices = starting;
        if (get(manager)->stoppingServices.value() != stopping)
            get(manager)->stoppingServices = stopping;
    }
    // The same changes, queued (see EmitQueue): applied once the run's bookkeeping is complete.
    static void queueState(ServiceManager *manager, QService::State state)
    {
        detail::EmitQueue::applier(
            manager,
            [](const detail::EmitQueue::Entry &entry) {
                setState(static_cast<ServiceManager *>(entry.target), QService::State(entry.value));
            },
            int(state), 0);
    }
    // Which progress changes: the start's, the stop's, or the stop's as the run ends (the
    // current operation's progress is then 0: none is under way).
    enum class ProgressOf { Start, Stop, End };
    static void setProgress(ServiceManager *manager, ProgressOf which, double value)
    {
        ServiceManagerPrivate *d = get(manager);
        if (which == ProgressOf::Start)
            d->startProgress = value;
        else
            d->stopProgress = value;
        d->progress = which == ProgressOf::End ? 0.0 : value;
    }
    // Applied at once when nothing watches them (see EmitQueue::serviceState()).
    static void queueProgress(ServiceManager *manager, ProgressOf which, double value)
    {
        ServiceManagerPrivate *d = get(manager);
        const QBindingStorage *bindings = manager->bindingStorage();
        const QUntypedPropertyData *changed =
            which == ProgressOf::Start
                ? static_cast<const QUntypedPropertyData *>(&d->startProgress)
                : &d->stopProgress;
        if (!d->watched.load(std::memory_order_relaxed) && !bindings->bindingData(&d->progress) &&
            !bindings->bindingData(changed) && !detail::EmitQueue::isPendingFor(manager)) {
            setProgress(manager, which, value);
            return;
        }
        detail::EmitQueue::applier(
            manager,
            [](const detail::EmitQueue::Entry &entry) {
                setProgress(static_cast<ServiceManager *>(entry.target), ProgressOf(entry.value),
                            entry.real);
            },
            int(which), value);
    }
    static void queueDeferredCount(ServiceManager *manager, int count)
    {
        detail::EmitQueue::applier(
            manager,
            [](const detail::EmitQueue::Entry &entry) {
                get(static_cast<ServiceManager *>(entry.target))->deferredCount = entry.value;
            },
            count, 0);
    }
    static void queueStopReason(ServiceManager *manager, ServiceManager::StopReason reason)
    {
        detail::EmitQueue::applier(
            manager,
            [](const detail::EmitQueue::Entry &entry) {
                get(static_cast<ServiceManager *>(entry.target))->stopReason =
                    ServiceManager::StopReason(entry.value);
            },
            int(reason), 0);
    }
    // How a stop reason reads in the log.
    static QLatin1String describe(ServiceManager::StopReason reason);
    static void queueErrorString(ServiceManager *manager, const QString &text)
    {
        detail::EmitQueue::applier(
            manager,
            [](const detail::EmitQueue::Entry &entry) {
                setErrorString(static_cast<ServiceManager *>(entry.target), entry.text());
            },
            0, 0, text);
    }
    static void emitServicesChanged(ServiceManager *manager)
    {
        Q_EMIT manager->servicesChanged(ServiceManager::QPrivateSignal());
    }
    static void emitErrorOccurred(ServiceManager *manager, QService *service, Phase phase,
                                  const QString &message)
    {
        Q_EMIT manager->errorOccurred(service, phase, message, ServiceManager::QPrivateSignal());
    }
    static void emitStallDetected(ServiceManager *manager, QService *service, const QString &what,
                                  qint64 ms)
    {
        Q_EMIT manager->stallDetected(service, what, ms, ServiceManager::QPrivateSignal());
    }

    // Throws LifecycleError when `call` is made from another thread than the manager's, or
    // from one of the hooks of its own run (it would wait for itself).
    static void checkCaller(const ServiceManager *manager, const char *call);

    // The pool for services' callables, made on first use.
    QThreadPool *threadPool();

    QPointer<QService> root;
    QThreadPool *pool = nullptr;
    std::atomic<bool> watched{false};     // something was connected to one of its signals
    std::shared_ptr<GraphRun> run;        // the current or last run
    std::optional<Error> validationError; // the last start refused before anything ran
    std::chrono::milliseconds defaultStopTimeout{10000};
    std::optional<std::chrono::milliseconds> defaultStartTimeout;
    QPointer<QObject> mainWindow;        // for run(): closing it is a quit request
    ServiceManager::QuitGuard quitGuard; // for run(): asked before a quit stops
    std::chrono::milliseconds quitGuardTimeout{5000};
    // Supervision (servicemanager_supervision.cpp)
    int maxRestarts = 20;
    std::chrono::milliseconds restartWindow{60000};
    std::optional<quint64> jitterSeed;
    int restartCount = 0;
    static void queueRestartCount(ServiceManager *manager, int count);
    static void queueRestartScheduled(ServiceManager *manager, QService *service, qint64 delayMs,
                                      const QStringList &services);
    static void queueRestartsExhausted(ServiceManager *manager, QService *service,
                                       const QString &reason);

    ServiceManager *const q_ptr;
    void notifyState(QService::State value);
    void notifyErrorString(const QString &value);
    void notifyProgress(double value);
    void notifyStartProgress(double value);
    void notifyStopProgress(double value);
    void notifyDeferredCount(int value);
    void notifyStopReason(ServiceManager::StopReason value);
    void notifyStarting(const QStringList &value);
    void notifyStopping(const QStringList &value);
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(ServiceManagerPrivate, QService::State, state,
                                         QService::State::Stopped,
                                         &ServiceManagerPrivate::notifyState)
    Q_OBJECT_BINDABLE_PROPERTY(ServiceManagerPrivate, QString, errorString,
                               &ServiceManagerPrivate::notifyErrorString)
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(ServiceManagerPrivate, double, progress, 0.0,
                                         &ServiceManagerPrivate::notifyProgress)
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(ServiceManagerPrivate, double, startProgress, 0.0,
                                         &ServiceManagerPrivate::notifyStartProgress)
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(ServiceManagerPrivate, double, stopProgress, 0.0,
                                         &ServiceManagerPrivate::notifyStopProgress)
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(ServiceManagerPrivate, int, deferredCount, 0,
                                         &ServiceManagerPrivate::notifyDeferredCount)
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(ServiceManagerPrivate, ServiceManager::StopReason,
                                         stopReason, ServiceManager::StopReason::None,
                                         &ServiceManagerPrivate::notifyStopReason)
    Q_OBJECT_BINDABLE_PROPERTY(ServiceManagerPrivate, QStringList, startingServices,
                               &ServiceManagerPrivate::notifyStarting)
    Q_OBJECT_BINDABLE_PROPERTY(ServiceManagerPrivate, QStringList, stoppingServices,
                               &ServiceManagerPrivate::notifyStopping)

    // Health (servicemanager_health.cpp): the aggregate over the services of the run.
    struct HealthSummary {
        QService::Health health = QService::Health::Healthy;
        QString reason;
        bool operator==(const HealthSummary &) const = default;
    };
    static HealthSummary aggregateHealth(const QList<QService *> &services);
    // A service of the run changed its health: the aggregate is computed again.
    static void updateHealth(ServiceManager *manager, const QList<QService *> &services);
    static void setHealthSummary(ServiceManager *manager, const HealthSummary &summary);
    void notifyHealth(QService::Health value);
    void notifyHealthReason(const QString &value);
    Q_OBJECT_BINDABLE_PROPERTY_WITH_ARGS(ServiceManagerPrivate, QService::Health, health,
                                         QService::Health::Healthy,
                                         &ServiceManagerPrivate::notifyHealth)
    Q_OBJECT_BINDABLE_PROPERTY(ServiceManagerPrivate, QString, healthReason,
                               &ServiceManagerPrivate::notifyHealthReason)
};

inline QBindingStorage *qGetBindingStorage(ServiceManagerPrivate *d)
{
    return d->q_ptr->bindingStorage();
}
inline const QBindingStorage *qGetBindingStorage(const ServiceManagerPrivate *d)
{
    return d->q_ptr->bindingStorage();
}

} // namespace QLifecycle
