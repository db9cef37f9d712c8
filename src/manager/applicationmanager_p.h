#pragma once

#include <QLifecycle/qlifecycle_export.h>

#include <QtCore/QMutex>
#include <QtCore/QObject>
#include <QtCore/QPointer>

namespace QLifecycle {

class ServiceManager;

// Which manager is the application's (ServiceManager::applicationManager()): the one the
// application set, else the one whose run() is running, else none. Guarded by a mutex: any
// thread may ask. Not installed; exported for the QML module, whose `Lifecycle.manager`
// follows it through changed().
class QLIFECYCLE_EXPORT ApplicationManagers : public QObject
{
    Q_OBJECT
public:
    static ApplicationManagers *instance();

    ServiceManager *current() const;
    void setExplicit(ServiceManager *manager);
    // run() begins (`manager`) or ends (the one it replaced): returns the one it replaces.
    ServiceManager *exchangeRunning(ServiceManager *manager);
    // A manager is being destroyed.
    void forget(const ServiceManager *manager);

Q_SIGNALS:
    void changed();

private:
    void update(const std::function<void()> &change);

    mutable QMutex m_lock;
    QPointer<ServiceManager> m_explicit;
    QPointer<ServiceManager> m_running;
};

} // namespace QLifecycle
