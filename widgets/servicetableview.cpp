#include <QLifecycle/widgets/servicetableview.h>

#include <QLifecycle/servicemanager.h>
#include <QLifecycle/servicemodel.h>

#include "servicetabledelegate_p.h"
#include "servicetablemodel_p.h"

#include <QtCore/QPointer>
#include <QtGui/QAction>
#include <QtWidgets/QHeaderView>

namespace QLifecycle {

class ServiceTableViewPrivate
{
public:
    WidgetsPrivate::ServiceTableModel *model = nullptr;
    QAction *retry = nullptr;
    QMetaObject::Connection managerState;
};

ServiceTableView::ServiceTableView(QWidget *parent)
    : QTableView(parent), d_ptr(std::make_unique<ServiceTableViewPrivate>())
{
    Q_D(ServiceTableView);
    d->model = new WidgetsPrivate::ServiceTableModel(this);
    d->retry = new QAction(tr("Retry"), this);
    d->retry->setToolTip(tr("Start the services again"));
    d->retry->setEnabled(false);
    connect(d->retry, &QAction::triggered, this, [this] {
        if (ServiceManager *manager = this->manager();
            manager && manager->state() == QService::State::Failed)
            manager->requestStart();
    });
    setModel(d->model);
    setItemDelegate(new WidgetsPrivate::ServiceTableDelegate(
        [action = QPointer<QAction>(d->retry)] {
            if (action)
                action->trigger();
        },
        this));
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setMouseTracking(true);
    setShowGrid(false);
    setAlternatingRowColors(true);
    setWordWrap(false);
    verticalHeader()->hide();
    verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setSectionResizeMode(ErrorColumn, QHeaderView::Stretch);
    horizontalHeader()->setHighlightSections(false);
    // Room for "12345 ms" in every column, so that neighbouring numbers never touch.
    horizontalHeader()->setMinimumSectionSize(
        fontMetrics().horizontalAdvance(QStringLiteral("12345 ms")) + 12);
}

ServiceTableView::ServiceTableView(ServiceManager *manager, QWidget *parent)
    : ServiceTableView(parent)
{
    setManager(manager);
}

ServiceTableView::~ServiceTableView() = default;

ServiceManager *ServiceTableView::manager() const
{
    return d_func()->model->manager();
}

void ServiceTableView::setManager(ServiceManager *manager)
{
    Q_D(ServiceTableView);
    if (manager == this->manager())
        return;
    disconnect(d->managerState);
    d->model->setManager(manager);
    const auto update = [this] {
        const ServiceManager *current = this->manager();
        d_func()->retry->setEnabled(current && current->state() == QService::State::Failed);
    };
    if (manager)
        d->managerState = connect(manager, &ServiceManager::stateChanged, this, update);
    update();
    Q_EMIT managerChanged();
}

ServiceModel *ServiceTableView::serviceModel() const
{
    return d_func()->model->serviceModel();
}

QAction *ServiceTableView::retryAction() const
{
    return d_func()->retry;
}

QColor ServiceTableView::stateColor(QService::State state) const
{
    return WidgetsPrivate::stateColor(state, palette());
}

} // namespace QLifecycle
