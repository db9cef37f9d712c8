#pragma once

#include <QLifecycle/qservice.h>
#include <QLifecycle/servicemanager.h>
#include <QLifecycle/widgets/qlifecycle_widgets_export.h>

#include <QtWidgets/QTableView>

#include <memory>

class QAction;

namespace QLifecycle {

class ServiceModel;
class ServiceTableViewPrivate;

/*!
 * A table of a ServiceManager's services, one row per service in start order, updated live
 * (docs/widgets.md, "The service table"): its name, its state as a coloured badge, how long
 * its last start and stop took ("—" until measured), its tasks, how often it was restarted
 * (and when a pending restart comes), its health (the reason in the tooltip), and its error
 * (the first line; the tooltip has it all).
 *
 * When the manager is Failed, the row of each failed service offers a "Retry" button, and
 * retryAction() is enabled: both start the graph again (ServiceManager::requestStart()).
 * The badges' colours are derived from the view's palette, and read well in light and dark
 * palettes alike.
 *
 * \code
 * auto *table = new QLifecycle::ServiceTableView(&manager);
 * window.setCentralWidget(table);
 * \endcode
 */
class QLIFECYCLE_WIDGETS_EXPORT ServiceTableView : public QTableView
{
    Q_OBJECT
    /*! The manager whose services are listed. */
    Q_PROPERTY(QLifecycle::ServiceManager *manager READ manager WRITE setManager NOTIFY
                   managerChanged FINAL)

public:
    /*! The columns, left to right. */
    enum Column {
        NameColumn,     //!< The service's name.
        StateColumn,    //!< Its state, as a badge.
        StartColumn,    //!< Its last start's duration, "12 ms", or "—" until measured.
        StopColumn,     //!< Its last stop's duration, likewise.
        TasksColumn,    //!< Its tasks in this run: "3", or "3 (1 running)".
        RestartsColumn, //!< Its restarts in this run: "2", or "2 (restart in 0.4 s)".
        HealthColumn,   //!< "Healthy", "Degraded"... after a dot of its colour (tooltip: the
                        //!< reason); "—" for a healthy service that does not run.
        ErrorColumn,    //!< The first line of its error, if it failed (tooltip: all of it).
        ActionColumn,   //!< "Retry" on a failed service's row while the manager is Failed.
        ColumnCount,    //!< The number of columns.
    };
    Q_ENUM(Column)

    /*! An empty table; set a manager to fill it. */
    explicit ServiceTableView(QWidget *parent = nullptr);
    /*! A table of the services of \a manager. */
    explicit ServiceTableView(ServiceManager *manager, QWidget *parent = nullptr);
    /*! Destroys the table; the manager and its services are not touched. */
    ~ServiceTableView() override;

    /*! The manager whose services are listed. */
    ServiceManager *manager() const;
    /*! Lists the services of \a manager (none until it has started once). */
    void setManager(ServiceManager *manager);
    /*! The list model under the table, one row per service. */
    ServiceModel *serviceModel() const;
    /*!
     * "Retry": starts the graph again (ServiceManager::requestStart()). Enabled only while the
     * manager is Failed. Put it in a menu or a toolbar; the failed rows show it as a button.
     */
    QAction *retryAction() const;
    /*!
     * The colour of \a state's badge, derived from the view's palette: readable over the
     * palette's base colour, light or dark.
     */
    QColor stateColor(QService::State state) const;

Q_SIGNALS:
    /*! Emitted when manager changes. */
    void managerChanged();

private:
    Q_DECLARE_PRIVATE(ServiceTableView)
    std::unique_ptr<ServiceTableViewPrivate> const d_ptr;
};

} // namespace QLifecycle
