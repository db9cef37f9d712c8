#pragma once

#include <QLifecycle/servicemanager.h>

#include <QtCore/QPointer>
#include <QtCore/QThreadPool>

#include <memory>

namespace QLifecycle {

class Run;

class ServiceManagerPrivate
{
public:
    static ServiceManagerPrivate *get(ServiceManager *manager) { return manager->d.get(); }
    static void setState(ServiceManager *manager, QService::State state)
    {
        manager->m_state = state;
    }
    static void setErrorString(ServiceManager *manager, const QString &text)
    {
        manager->m_errorString = text;
    }
    static void setProgress(ServiceManager *manager, double progress)
    {
        manager->m_progress = progress;
    }
    static void setBusyNames(ServiceManager *manager, const QStringList &starting,
                             const QStringList &stopping)
    {
        if (manager->m_startingServices.value() != starting)
            manager->m_startingServices = starting;
        if (manager->m_stoppingServices.value() != stopping)
            manager->m_stoppingServices = stopping;
    }
    static void emitErrorOccurred(ServiceManager *manager, QService *service, Phase phase,
                                  const QString &message)
    {
        Q_EMIT
        manager->errorOccurred(service, phase, message, ServiceManager::QPrivateSignal());
    }

    static void emitServicesChanged(ServiceManager *manager)
    {
        Q_EMIT manager->servicesChanged(ServiceManager::QPrivateSignal());
    }

    // Throws LifecycleError when `call` is made from another thread than the manager's, or
    // from one of the hooks of its own run (it would wait for itself).
    static void checkCaller(const ServiceManager *manager, const char *call);

    // The pool for services' callables, made on first use.
    QThreadPool *threadPool();

    QPointer<QService> root;
    QThreadPool *pool = nullptr;
    std::shared_ptr<Run> run;             // the current or last run
    std::optional<Error> validationError; // the last start refused before anything ran
    std::chrono::milliseconds defaultStopTimeout{10000};
    std::optional<std::chrono::milliseconds> defaultStartTimeout;
};

} // namespace QLifecycle
