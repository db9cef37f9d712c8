#include "qlifecycleqml.h"

namespace QLifecycle::Qml {

Lifecycle::Lifecycle(QObject *parent)
    : QObject(parent), m_manager(ServiceManager::applicationManager())
{
}

ServiceManager *Lifecycle::manager() const
{
    return m_manager;
}

} // namespace QLifecycle::Qml
