#include <QLifecycle/servicemanager.h>
#include <QLifecycle/servicemodel.h>

#include "manager/graphrun.h"
#include "manager/servicemanager_p.h"
#include "service/qservice_p.h"

#include <QtCore/QMetaEnum>

namespace QLifecycle {

ServiceModel::ServiceModel(QObject *parent) : QAbstractListModel(parent) {}

ServiceModel::~ServiceModel() = default;

ServiceManager *ServiceModel::manager() const
{
    return m_manager;
}

void ServiceModel::setManager(ServiceManager *manager)
{
    if (m_manager == manager)
        return;
    if (m_manager)
        disconnect(m_manager, nullptr, this, nullptr);
    m_manager = manager;
    if (m_manager)
        connect(m_manager, &ServiceManager::servicesChanged, this, &ServiceModel::reload);
    reload();
    Q_EMIT managerChanged();
}

QService *ServiceModel::serviceAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).service.data() : nullptr;
}

int ServiceModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant ServiceModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    const QService *service = row.service;
    if (!service)
        return {};
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return service->name();
    case StateRole:
        return QVariant::fromValue(service->state());
    case StateNameRole:
        return QString::fromLatin1(
            QMetaEnum::fromType<QService::State>().valueToKey(int(service->state())));
    case ErrorStringRole:
        return service->errorString();
    case StartMsRole:
        return service->startDurationMs();
    case StopMsRole:
        return service->stopDurationMs();
    case TaskCountRole:
        return service->taskCount();
    case PendingTaskCountRole:
        return service->pendingTaskCount();
    case DependenciesRole:
        return row.dependencies;
    case ServiceRole:
        return QVariant::fromValue(const_cast<QService *>(service));
    default:
        return {};
    }
}

QHash<int, QByteArray> ServiceModel::roleNames() const
{
    return {{NameRole, "name"},
            {StateRole, "state"},
            {StateNameRole, "stateName"},
            {ErrorStringRole, "errorString"},
            {StartMsRole, "startMs"},
            {StopMsRole, "stopMs"},
            {TaskCountRole, "taskCount"},
            {PendingTaskCountRole, "pendingTaskCount"},
            {DependenciesRole, "dependencies"},
            {ServiceRole, "service"}};
}

void ServiceModel::reload()
{
    const QList<QService *> services = m_manager ? m_manager->services() : QList<QService *>();
    QList<QService *> current;
    for (const Row &row : std::as_const(m_rows))
        current.append(row.service);
    if (current == services)
        return; // restarting the same graph keeps the rows

    const bool wasEmpty = m_rows.isEmpty();
    if (wasEmpty)
        beginInsertRows(QModelIndex(), 0, int(services.size()) - 1);
    else
        beginResetModel();
    for (const QMetaObject::Connection &connection : std::as_const(m_connections))
        disconnect(connection);
    m_connections.clear();
    m_rows.clear();
    m_rowOf.clear();
    // The edges the run uses, from its graph: never dependencies() again, which could answer
    // differently now.
    const std::shared_ptr<GraphRun> &run = ServiceManagerPrivate::get(m_manager)->run;
    for (QService *service : services) {
        Row row{service, {}};
        if (run) {
            const DependencyGraph &graph = run->graph();
            const int node = graph.nodeOf(service, QServicePrivate::get(service)->graphNode);
            for (const int dependency : graph.declaredDependencies(node))
                if (QService *declared = graph.service(dependency))
                    row.dependencies.append(declared->name());
        }
        m_rowOf.insert(service, int(m_rows.size()));
        m_rows.append(row);
        watch(service);
    }
    if (wasEmpty)
        endInsertRows();
    else
        endResetModel();
    Q_EMIT countChanged();
}

void ServiceModel::watch(QService *service)
{
    auto on = [this, service](auto signal, QList<int> roles) {
        m_connections.append(
            connect(service, signal, this, [this, service, roles] { changed(service, roles); }));
    };
    on(&QService::stateChanged, {StateRole, StateNameRole});
    on(&QService::errorStringChanged, {ErrorStringRole});
    on(&QService::startDurationMsChanged, {StartMsRole});
    on(&QService::stopDurationMsChanged, {StopMsRole});
    on(&QService::taskCountChanged, {TaskCountRole});
    on(&QService::pendingTaskCountChanged, {PendingTaskCountRole});
    on(&QService::nameChanged, {NameRole, Qt::DisplayRole});
}

void ServiceModel::changed(QService *service, const QList<int> &roles)
{
    const int row = m_rowOf.value(service, -1);
    if (row < 0)
        return;
    const QModelIndex at = index(row);
    Q_EMIT dataChanged(at, at, roles);
}

} // namespace QLifecycle
