#pragma once

#include <QLifecycle/servicemanager.h>

#include "service/emitqueue.h"

#include <QtCore/QPointer>
#include <QtCore/QThreadPool>

#include <memory>

namespace QLifecycle {

class GraphRun;

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
    static void queueProgress(ServiceManager *manager, double progress)
    {
        detail::EmitQueue::applier(
            manager,
            [](const detail::EmitQueue::Entry &entry) {
                setProgress(static_cast<ServiceManager *>(entry.target), entry.real);
            },
            0, progress);
    }
    static void queueErrorString(ServiceManager *manager, const QString &text)
    {
        detail::EmitQueue::applier(
            manager,
            [](const detail::EmitQueue::Entry &entry) {
                setErrorString(static_cast<ServiceManager *>(entry.target), entry.text);
            },
            0, 0, text);
    }
    static void emitErrorOccurred(ServiceManager *manager, QService *service, Phase phase,
                                  const QString &message)
    {
        Q_EMIT manager->errorOccurred(service, phase, message, ServiceManager::QPrivateSignal());
    }

    // Throws LifecycleError when `call` is made from another thread than the manager's, or
    // from one of the hooks of its own run (it would wait for itself).
    static void checkCaller(const ServiceManager *manager, const char *call);

    // The pool for services' callables, made on first use.
    QThreadPool *threadPool();

    QPointer<QService> root;
    QThreadPool *pool = nullptr;
    std::shared_ptr<GraphRun> run;        // the current or last run
    std::optional<Error> validationError; // the last start refused before anything ran
    std::chrono::milliseconds defaultStopTimeout{10000};
    std::optional<std::chrono::milliseconds> defaultStartTimeout;
};

} // namespace QLifecycle
