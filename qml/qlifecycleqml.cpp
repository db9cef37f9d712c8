#include "qlifecycleqml.h"

#include "manager/applicationmanager_p.h"

namespace QLifecycle::Qml {

Lifecycle::Lifecycle(QObject *parent) : QObject(parent)
{
    connect(ApplicationManagers::instance(), &ApplicationManagers::changed, this,
            &Lifecycle::managerChanged);
}

ServiceManager *Lifecycle::manager() const
{
    return ServiceManager::applicationManager();
}

} // namespace QLifecycle::Qml
