#include "servicetablemodel_p.h"

#include "progresstext_p.h"

#include <QLifecycle/widgets/servicetableview.h>

namespace QLifecycle::WidgetsPrivate {

namespace {
using Column = ServiceTableView::Column;
} // namespace

ServiceTableModel::ServiceTableModel(QObject *parent)
    : QAbstractTableModel(parent), m_services(new ServiceModel(this))
{
    // Rows come and go as a whole (a new graph is read at each start): reset.
    connect(m_services, &QAbstractItemModel::modelAboutToBeReset, this,
            &ServiceTableModel::beginResetModel);
    connect(m_services, &QAbstractItemModel::modelReset, this, &ServiceTableModel::endResetModel);
    connect(m_services, &QAbstractItemModel::rowsAboutToBeInserted, this,
            [this](const QModelIndex &, int first, int last) {
                beginInsertRows(QModelIndex(), first, last);
            });
    connect(m_services, &QAbstractItemModel::rowsInserted, this, &ServiceTableModel::endInsertRows);
    connect(m_services, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [this](const QModelIndex &, int first, int last) {
                beginRemoveRows(QModelIndex(), first, last);
            });
    connect(m_services, &QAbstractItemModel::rowsRemoved, this, &ServiceTableModel::endRemoveRows);
    // A change of a service shows in its whole row (the state is in several columns).
    connect(m_services, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
                Q_EMIT dataChanged(index(topLeft.row(), 0),
                                   index(bottomRight.row(), ServiceTableView::ColumnCount - 1));
            });
}

void ServiceTableModel::setManager(ServiceManager *manager)
{
    disconnect(m_managerState);
    m_services->setManager(manager);
    if (manager)
        m_managerState = connect(manager, &ServiceManager::stateChanged, this,
                                 &ServiceTableModel::actionsChanged);
    actionsChanged();
}

void ServiceTableModel::actionsChanged()
{
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, Column::ActionColumn),
                           index(rowCount() - 1, Column::ActionColumn));
}

bool ServiceTableModel::canRetry(int row) const
{
    const ServiceManager *manager = m_services->manager();
    return manager && manager->state() == QService::State::Failed &&
           source(row, ServiceModel::StateRole).value<QService::State>() == QService::State::Failed;
}

int ServiceTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_services->rowCount();
}

int ServiceTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(ServiceTableView::ColumnCount);
}

QVariant ServiceTableModel::source(int row, int role) const
{
    return m_services->data(m_services->index(row), role);
}

QVariant ServiceTableModel::displayed(int row, int column) const
{
    switch (column) {
    case Column::NameColumn:
        return source(row, ServiceModel::NameRole);
    case Column::StateColumn:
        return source(row, ServiceModel::StateNameRole);
    case Column::StartColumn:
        return durationText(source(row, ServiceModel::StartMsRole).toLongLong());
    case Column::StopColumn:
        return durationText(source(row, ServiceModel::StopMsRole).toLongLong());
    case Column::TasksColumn: {
        const int all = source(row, ServiceModel::TaskCountRole).toInt();
        const int pending = source(row, ServiceModel::PendingTaskCountRole).toInt();
        if (pending == 0)
            return QString::number(all);
        return tr("%1 (%2 running)").arg(all).arg(pending);
    }
    case Column::RestartsColumn:
        return restartsText(source(row, ServiceModel::RestartCountRole).toInt(),
                            source(row, ServiceModel::RestartDelayMsRole).toLongLong());
    case Column::HealthColumn:
        return healthText(source(row, ServiceModel::HealthRole).value<QService::Health>(),
                          source(row, ServiceModel::StateRole).value<QService::State>());
    case Column::ErrorColumn:
        // The first line: the tooltip has the rest.
        return source(row, ServiceModel::ErrorStringRole)
            .toString()
            .section(QLatin1Char('\n'), 0, 0);
    case Column::ActionColumn:
        return canRetry(row) ? tr("Retry") : QString();
    default:
        return {};
    }
}

QVariant ServiceTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return displayed(row, column);
    case Qt::ToolTipRole:
        if (column == Column::ActionColumn && canRetry(row))
            return tr("Start the services again");
        if (column == Column::HealthColumn) {
            const QString reason = source(row, ServiceModel::HealthReasonRole).toString();
            if (!reason.isEmpty())
                return reason;
        }
        if (column == Column::ErrorColumn || column == Column::StateColumn ||
            column == Column::NameColumn) {
            const QString error = source(row, ServiceModel::ErrorStringRole).toString();
            if (!error.isEmpty())
                return error;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (column == Column::StartColumn || column == Column::StopColumn ||
            column == Column::TasksColumn || column == Column::RestartsColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
    default:
        // ServiceModel's own roles, in every column.
        if (role > Qt::UserRole)
            return source(row, role);
        return {};
    }
}

QVariant ServiceTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Column::NameColumn:
        return tr("Service");
    case Column::StateColumn:
        return tr("State");
    case Column::StartColumn:
        return tr("Start");
    case Column::StopColumn:
        return tr("Stop");
    case Column::TasksColumn:
        return tr("Tasks");
    case Column::RestartsColumn:
        return tr("Restarts");
    case Column::HealthColumn:
        return tr("Health");
    case Column::ErrorColumn:
        return tr("Error");
    default:
        return QString();
    }
}

} // namespace QLifecycle::WidgetsPrivate
