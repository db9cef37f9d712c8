#include <QLifecycle/servicemanager.h>
#include <QLifecycle/servicemodel.h>

#include "manager/graphrun.h"
#include "manager/servicemanager_p.h"
#include "manager/servicemodel_p.h"
#include "service/qservice_p.h"

#include <QtCore/QMetaEnum>

#include <utility>

namespace QLifecycle {

ServiceModel::ServiceModel(QObject *parent)
    : QAbstractListModel(parent), d_ptr(std::make_unique<ServiceModelPrivate>())
{
}

int ServiceModel::count() const
{
    return int(d_func()->rows.size());
}

ServiceModel::~ServiceModel() = default;

ServiceManager *ServiceModel::manager() const
{
    return d_func()->manager;
}

void ServiceModel::setManager(ServiceManager *manager)
{
    if (d_func()->manager == manager)
        return;
    if (d_func()->manager)
        disconnect(d_func()->manager, nullptr, this, nullptr);
    d_func()->manager = manager;
    if (d_func()->manager) {
        connect(d_func()->manager, &ServiceManager::servicesChanged, this, &ServiceModel::reload);
        connect(d_func()->manager, &ServiceManager::stateChanged, this,
                [this](QService::State state) {
                    if (state == QService::State::Starting)
                        newRun();
                });
    }
    reload();
    Q_EMIT managerChanged();
}

QService *ServiceModel::serviceAt(int row) const
{
    return row >= 0 && row < d_func()->rows.size() ? d_func()->rows.at(row).service.data()
                                                   : nullptr;
}

int ServiceModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(d_func()->rows.size());
}

QVariant ServiceModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ServiceModelPrivate::Row &row = d_func()->rows.at(index.row());
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
        return row.startMeasured ? service->startDurationMs() : qint64(-1);
    case StopMsRole:
        return row.stopMeasured ? service->stopDurationMs() : qint64(-1);
    case TaskCountRole:
        return service->taskCount();
    case PendingTaskCountRole:
        return service->pendingTaskCount();
    case DependenciesRole:
        return row.dependencies;
    case ServiceRole:
        return QVariant::fromValue(const_cast<QService *>(service));
    case RestartCountRole:
        return service->restartCount();
    case RestartDelayMsRole:
        return service->restartDelayMs();
    case HealthRole:
        return QVariant::fromValue(service->health());
    case HealthReasonRole:
        return service->healthReason();
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
            {ServiceRole, "service"},
            {RestartCountRole, "restartCount"},
            {RestartDelayMsRole, "restartDelayMs"},
            {HealthRole, "health"},
            {HealthReasonRole, "healthReason"}};
}

void ServiceModel::reload()
{
    const QList<QService *> services =
        d_func()->manager ? d_func()->manager->services() : QList<QService *>();
    QList<QService *> current;
    for (const ServiceModelPrivate::Row &row : std::as_const(d_func()->rows))
        current.append(row.service);
    if (current == services)
        return; // restarting the same graph keeps the rows

    const bool wasEmpty = d_func()->rows.isEmpty();
    if (wasEmpty)
        beginInsertRows(QModelIndex(), 0, int(services.size()) - 1);
    else
        beginResetModel();
    for (const QMetaObject::Connection &connection : std::as_const(d_func()->connections))
        disconnect(connection);
    d_func()->connections.clear();
    d_func()->rows.clear();
    d_func()->rowOf.clear();
    // The edges the run uses, from its graph: never dependencies() again, which could answer
    // differently now.
    const std::shared_ptr<GraphRun> &run = ServiceManagerPrivate::get(d_func()->manager)->run;
    for (QService *service : services) {
        ServiceModelPrivate::Row row{service, {}};
        // Read as a run begins: what was measured before belongs to the last run. Read later
        // (a model set on a manager that runs or ran), the durations are this run's.
        const bool starting = d_func()->manager->state() == QService::State::Starting;
        row.startMeasured = !starting && service->startDurationMs() >= 0;
        row.stopMeasured = !starting && service->stopDurationMs() >= 0;
        row.lastState = service->state();
        if (run) {
            const DependencyGraph &graph = run->graph();
            const int node = graph.nodeOf(service, QServicePrivate::get(service)->graphNode);
            for (const int dependency : graph.declaredDependencies(node))
                if (QService *declared = graph.service(dependency))
                    row.dependencies.append(declared->name());
        }
        d_func()->rowOf.insert(service, int(d_func()->rows.size()));
        d_func()->rows.append(row);
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
    auto on = [this, service](auto signal, const QList<int> &roles) {
        d_func()->connections.append(
            connect(service, signal, this, [this, service, roles] { changed(service, roles); }));
    };
    on(&QService::errorStringChanged, {ErrorStringRole});
    // A duration counts once measured in this run: when it changes, or when the phase it
    // measures ends (a duration equal to the last run's changes nothing).
    auto measured = [this, service](bool start) {
        const int at = d_func()->rowOf.value(service, -1);
        if (at < 0)
            return;
        (start ? d_func()->rows[at].startMeasured : d_func()->rows[at].stopMeasured) = true;
        changed(service, {start ? StartMsRole : StopMsRole});
    };
    d_func()->connections.append(
        connect(service, &QService::startDurationMsChanged, this, [measured] { measured(true); }));
    d_func()->connections.append(
        connect(service, &QService::stopDurationMsChanged, this, [measured] { measured(false); }));
    d_func()->connections.append(
        connect(service, &QService::stateChanged, this, [this, service](QService::State state) {
            const int at = d_func()->rowOf.value(service, -1);
            if (at < 0)
                return;
            ServiceModelPrivate::Row &row = d_func()->rows[at];
            const QService::State before = std::exchange(row.lastState, state);
            if (state == QService::State::Starting) { // started again: nothing measured yet
                row.startMeasured = row.stopMeasured = false;
            } else {
                row.startMeasured = row.startMeasured || before == QService::State::Starting;
                row.stopMeasured = row.stopMeasured || before == QService::State::Stopping;
            }
            changed(service, {StateRole, StateNameRole, StartMsRole, StopMsRole});
        }));
    on(&QService::taskCountChanged, {TaskCountRole});
    on(&QService::pendingTaskCountChanged, {PendingTaskCountRole});
    on(&QService::nameChanged, {NameRole, Qt::DisplayRole});
    on(&QService::restartCountChanged, {RestartCountRole});
    on(&QService::restartDelayMsChanged, {RestartDelayMsRole});
    on(&QService::healthChanged, {HealthRole});
    on(&QService::healthReasonChanged, {HealthReasonRole});
}

void ServiceModel::newRun()
{
    ServiceModelPrivate *d = d_func();
    for (ServiceModelPrivate::Row &row : d->rows)
        row.startMeasured = row.stopMeasured = false;
    if (!d->rows.isEmpty())
        Q_EMIT dataChanged(index(0), index(int(d->rows.size()) - 1), {StartMsRole, StopMsRole});
}

void ServiceModel::changed(QService *service, const QList<int> &roles)
{
    const int row = d_func()->rowOf.value(service, -1);
    if (row < 0)
        return;
    const QModelIndex at = index(row);
    Q_EMIT dataChanged(at, at, roles);
}

} // namespace QLifecycle
