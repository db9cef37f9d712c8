#pragma once

#include <QLifecycle/qservice.h>
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
        // Whether the service's start and stop durations were measured in this run: a new run
        // shows -1 until they are, never the last run's (docs/qml.md, "ServiceModel").
        bool startMeasured = false;
        bool stopMeasured = false;
        QService::State lastState = QService::State::Stopped;
    };

    QPointer<ServiceManager> manager;
    QList<Row> rows;
    QHash<const QService *, int> rowOf;
    QList<QMetaObject::Connection> connections;
};

} // namespace QLifecycle
