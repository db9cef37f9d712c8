#pragma once

#include <QLifecycle/servicemodel.h>

#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QPointer>
#include <QtCore/QStringList>

namespace QLifecycle {

// A ServiceModel's rows, and the connections that keep them live.
class ServiceModelPrivate
{
public:
    struct Row {
        QPointer<QService> service;
        QStringList dependencies;
    };

    QPointer<ServiceManager> manager;
    QList<Row> rows;
    QHash<const QService *, int> rowOf;
    QList<QMetaObject::Connection> connections;
};

} // namespace QLifecycle
