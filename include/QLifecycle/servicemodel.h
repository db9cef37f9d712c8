#pragma once

#include <QLifecycle/qlifecycle_export.h>

#include <QtCore/QAbstractListModel>
#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtCore/QStringList>

#include <memory>

namespace QLifecycle {

class QService;
class ServiceManager;
class ServiceModelPrivate;

/*!
 * Every service of a ServiceManager as a list model, one row per service in start order
 * (dependencies first), updated live on every transition: bind a ListView to it.
 * \code
 * ListView {
 *     model: ServiceModel { manager: app.manager }
 *     delegate: Text { text: name + ": " + stateName + " (" + startMs + " ms)" }
 * }
 * \endcode
 * The rows are read when the manager starts (a graph can change between runs).
 *
 * The durations are those of the current run (of the last one once it has ended): when a new
 * start of the graph begins, `startMs` and `stopMs` go back to -1 for every row, and each
 * shows its value once measured in this run. A view never shows the last run's times while a
 * new one starts.
 */
class QLIFECYCLE_EXPORT ServiceModel : public QAbstractListModel
{
    Q_OBJECT
    /*! The manager whose services are listed. */
    Q_PROPERTY(QLifecycle::ServiceManager *manager READ manager WRITE setManager NOTIFY
                   managerChanged FINAL)
    /*! The number of rows. */
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)

public:
    /*! The roles, named in QML as in roleNames(). */
    enum Role {
        NameRole = Qt::UserRole + 1, //!< "name": QService::name()
        StateRole,                   //!< "state": QService::State, as a number in QML
        StateNameRole,               //!< "stateName": "Running"...
        ErrorStringRole,             //!< "errorString"
        StartMsRole,                 //!< "startMs": this run's start in ms, -1 until measured
        StopMsRole,                  //!< "stopMs": this run's stop in ms, -1 until measured
        TaskCountRole,               //!< "taskCount": tasks added in the current run
        PendingTaskCountRole,        //!< "pendingTaskCount": of those, still running
        DependenciesRole,            //!< "dependencies": the names it depends on directly
        ServiceRole,                 //!< "service": the QService itself
        RestartCountRole,            //!< "restartCount": QService::restartCount()
        RestartDelayMsRole,          //!< "restartDelayMs": the pending restart's delay, -1 for none
        HealthRole,                  //!< "health": QService::Health, as a number in QML
        HealthReasonRole,            //!< "healthReason": QService::healthReason()
    };
    Q_ENUM(Role)

    /*! An empty model; set a manager to fill it. */
    explicit ServiceModel(QObject *parent = nullptr);
    /*! Destroys the model; the manager and its services are not touched. */
    ~ServiceModel() override;

    /*! The manager whose services are listed. */
    ServiceManager *manager() const;
    /*! Lists the services of \a manager (none until it has started once). */
    void setManager(ServiceManager *manager);
    /*! The number of rows. */
    int count() const;
    /*! The service of a row, or nullptr. (Not invokable from QML on purpose: QML would take
     *  ownership of a returned object without a parent. QML uses the `service` role.) */
    QService *serviceAt(int row) const;

    /*! The number of services; 0 for any valid \a parent (a list has no children). */
    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    /*! The value of \a role (a Role; Qt::DisplayRole gives the name) for the row of \a index. */
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    /*! The role names QML uses: "name", "state", "stateName"... (see Role). */
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    /*! Emitted when manager changes. */
    void managerChanged();
    /*! Emitted when count changes. */
    void countChanged();

private:
    void reload();
    void watch(QService *service);
    void changed(QService *service, const QList<int> &roles);
    void newRun();

    Q_DECLARE_PRIVATE(ServiceModel)
    std::unique_ptr<ServiceModelPrivate> const d_ptr;
};

} // namespace QLifecycle
