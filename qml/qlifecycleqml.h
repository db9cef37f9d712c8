#pragma once

// What `import QLifecycle` offers QML. The classes live in the core library; these
// declarations only register them, declaratively.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/ServiceModel>

#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtQml/qqml.h>

class QQmlEngine;
class QJSEngine;

namespace QLifecycle::Qml {

// `Service`: the type of every service, with its State values (`Service.Running`).
struct ServiceForeign {
    Q_GADGET
    QML_FOREIGN(QLifecycle::QService)
    QML_NAMED_ELEMENT(Service)
    QML_UNCREATABLE("services are made in C++ and run by a ServiceManager")
};

// `ServiceManager`: usable as a property type (`required property ServiceManager manager`).
struct ServiceManagerForeign {
    Q_GADGET
    QML_FOREIGN(QLifecycle::ServiceManager)
    QML_NAMED_ELEMENT(ServiceManager)
    QML_UNCREATABLE("a ServiceManager is made in C++ around its root service")
};

// `ServiceModel { manager: ... }`: one row per service.
struct ServiceModelForeign {
    Q_GADGET
    QML_FOREIGN(QLifecycle::ServiceModel)
    QML_NAMED_ELEMENT(ServiceModel)
};

// `Lifecycle.manager`: the application's manager (ServiceManager::applicationManager()),
// reachable from any QML file without passing it around; managerChanged() follows it.
class Lifecycle : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON
    Q_PROPERTY(QLifecycle::ServiceManager *manager READ manager NOTIFY managerChanged FINAL)

public:
    explicit Lifecycle(QObject *parent = nullptr);
    ServiceManager *manager() const;

Q_SIGNALS:
    void managerChanged();
};

} // namespace QLifecycle::Qml
