#pragma once

#include <QtCore/QString>

#include <exception>

class QThreadPool;

namespace QLifecycle {

class QService;
class ServiceManager;

// What a service knows of the run that owns it (the manager's graph run), seen from below: the
// service and its tasks report to it without depending on the manager's layer
// (docs/architecture.md). A run owns its services from its start until it is over.
class ServiceOwner
{
public:
    virtual ~ServiceOwner() = default;

    // True until the run is over: then the service is free.
    virtual bool isActive() const = 0;
    // The manager of the run; nullptr once that manager was destroyed.
    virtual ServiceManager *owningManager() const = 0;
    // The pool for the service's thread-pool tasks.
    virtual QThreadPool *threadPool() = 0;
    // The service is being destroyed: the run must never call it again.
    virtual void forget(QService *service) = 0;
    // A task of the service crashed (docs/lifecycle.md, "Failures").
    // `cleanExit`: not a failure of the code, a daemon task that returned while the service ran
    // (docs/supervision.md: only RestartPolicy::Always restarts it).
    virtual void crash(QService *service, const QString &message, std::exception_ptr cause,
                       bool cleanExit = false) = 0;
    // The service's health changed (docs/health.md): the manager's aggregate follows.
    virtual void healthChanged(QService *service) = 0;
    // A step of the service's code blocked its thread for `ms` (docs/observability.md,
    // "Stalls"): the manager tells it.
    virtual void stalled(QService *service, const QString &what, qint64 ms) = 0;
};

} // namespace QLifecycle
