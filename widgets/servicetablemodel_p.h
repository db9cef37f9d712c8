#pragma once

#include <QLifecycle/servicemanager.h>
#include <QLifecycle/servicemodel.h>

#include <QtCore/QAbstractTableModel>
#include <QtCore/QPointer>

namespace QLifecycle::WidgetsPrivate {

// ServiceModel's rows as the columns of ServiceTableView (its Column enum): the texts a user
// reads, with ServiceModel's roles still there for the delegate. The Action column holds
// "Retry" on a failed service's row while the manager is Failed.
class ServiceTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    explicit ServiceTableModel(QObject *parent = nullptr);

    ServiceModel *serviceModel() const { return m_services; }
    ServiceManager *manager() const { return m_services->manager(); }
    void setManager(ServiceManager *manager);
    // Whether the row offers "Retry": its service failed, and so did the manager.
    bool canRetry(int row) const;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QVariant displayed(int row, int column) const;
    QVariant source(int row, int role) const;
    void actionsChanged();

    ServiceModel *m_services;
    QMetaObject::Connection m_managerState;
};

} // namespace QLifecycle::WidgetsPrivate
