#pragma once

#include <QLifecycle/qservice.h>
#include <QLifecycle/servicemanager.h>

#include <QtCore/QPointer>

namespace QLifecycle {

// The manager's access to a service: the protected hooks and the state it alone may change.
class QServicePrivate
{
public:
    static QServicePrivate *get(QService *service) { return service->d.get(); }
    static const QServicePrivate *get(const QService *service) { return service->d.get(); }

    static QCoro::Task<> callStart(QService *service) { return service->start(); }
    static QCoro::Task<> callStop(QService *service) { return service->stop(); }
    static Dependencies dependenciesOf(const QService *service) { return service->dependencies(); }
    static std::chrono::milliseconds stopTimeoutOf(const QService *service)
    {
        return service->gracefulShutdownTimeout();
    }
    static std::optional<std::chrono::milliseconds> startTimeoutOf(const QService *service)
    {
        return service->startTimeout();
    }

    // Begins a run: fresh per-run data, then Starting.
    static void beginStart(QService *service);
    static void setState(QService *service, QService::State state);
    // Records a failure: errorOccurred now, errorString now; the caller sets the state.
    static void fail(QService *service, const Failure &failure);
    static void setStartDuration(QService *service, qint64 ms) { service->m_startDurationMs = ms; }
    static void setStopDuration(QService *service, qint64 ms) { service->m_stopDurationMs = ms; }

    QPointer<ServiceManager> manager; // the manager whose run owns the service, if any
    std::optional<Failure> failure;   // the failure of the current or last run
};

} // namespace QLifecycle
