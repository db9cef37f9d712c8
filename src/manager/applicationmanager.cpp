#include "manager/applicationmanager_p.h"

#include <QLifecycle/servicemanager.h>

#include <QtCore/QCoreApplication>

namespace QLifecycle {

ApplicationManagers *ApplicationManagers::instance()
{
    static ApplicationManagers registry;
    return &registry;
}

ServiceManager *ApplicationManagers::current() const
{
    const QMutexLocker lock(&m_lock);
    return m_explicit ? m_explicit.data() : m_running.data();
}

// Applies a change and emits changed() if the answer of current() changed.
void ApplicationManagers::update(const std::function<void()> &change)
{
    ServiceManager *before = nullptr, *after = nullptr;
    {
        const QMutexLocker lock(&m_lock);
        before = m_explicit ? m_explicit.data() : m_running.data();
        change();
        after = m_explicit ? m_explicit.data() : m_running.data();
    }
    if (before != after)
        Q_EMIT changed();
}

void ApplicationManagers::setExplicit(ServiceManager *manager)
{
    update([&] { m_explicit = manager; });
}

ServiceManager *ApplicationManagers::exchangeRunning(ServiceManager *manager)
{
    ServiceManager *previous = nullptr;
    update([&] { previous = std::exchange(m_running, manager).data(); });
    return previous;
}

void ApplicationManagers::forget(const ServiceManager *manager)
{
    update([&] {
        if (m_explicit == manager)
            m_explicit = nullptr;
        if (m_running == manager)
            m_running = nullptr;
    });
}

ServiceManager *ServiceManager::applicationManager()
{
    return ApplicationManagers::instance()->current();
}

void ServiceManager::setApplicationManager(ServiceManager *manager)
{
    ApplicationManagers::instance()->setExplicit(manager);
}

} // namespace QLifecycle
