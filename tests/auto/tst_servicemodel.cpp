// ServiceModel: rows inserted when the manager first reads its graph, kept across restarts,
// dataChanged on every transition with the right roles.

#include <QLifecycle/ServiceManager>
#include <QLifecycle/ServiceModel>

#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>

#include <QtTest/QAbstractItemModelTester>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

class tst_ServiceModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rowsAppearInStartOrderWhenTheManagerStarts();
    void everyTransitionIsADataChange();
    void restartKeepsTheRows();
    void rolesDescribeTheService();
    void aNewRunShowsNoDurationOfTheLastOne();
    void managerStateProgressAndNames();
    void applicationManagerIsTheOneSetElseTheOneRunning();
};

void tst_ServiceModel::rowsAppearInStartOrderWhenTheManagerStarts()
{
    ScriptedService a(QStringLiteral("a")), b(QStringLiteral("b")), root(QStringLiteral("root"));
    root.deps = {{&a, &b}};
    ServiceManager manager(&root);
    ServiceModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy count(&model, &ServiceModel::countChanged);
    model.setManager(&manager);
    QCOMPARE(model.rowCount(), 0);
    runBlocking(manager.start());
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 2);
    QCOMPARE(count.count(), 1);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.serviceAt(0), &a);
    QCOMPARE(model.serviceAt(2), &root);
    QCOMPARE(model.serviceAt(3), nullptr);
    runBlocking(manager.stop());
}

void tst_ServiceModel::everyTransitionIsADataChange()
{
    ScriptedService a(QStringLiteral("a"));
    ServiceManager manager(&a);
    ServiceModel model;
    model.setManager(&manager);
    QList<int> stateChangesOfRow0;
    connect(&model, &QAbstractItemModel::dataChanged, this,
            [&](const QModelIndex &from, const QModelIndex &to, const QList<int> &roles) {
                QCOMPARE(from, to);
                if (roles.contains(ServiceModel::StateRole))
                    stateChangesOfRow0.append(
                        int(model.data(from, ServiceModel::StateRole).value<State>()));
            });
    runBlocking(manager.start());
    runBlocking(manager.stop());
    // Starting is emitted before the model learns the rows (it reads them as the run begins)
    // only if no manager was set: here the rows exist first, so every transition shows.
    QCOMPARE(stateChangesOfRow0, (QList<int>{int(State::Starting), int(State::Running),
                                             int(State::Stopping), int(State::Stopped)}));
}

void tst_ServiceModel::restartKeepsTheRows()
{
    ScriptedService a(QStringLiteral("a"));
    ServiceManager manager(&a);
    ServiceModel model;
    model.setManager(&manager);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    runBlocking(manager.start());
    QCOMPARE(reset.count(), 0);
    QCOMPARE(inserted.count(), 0);
    QCOMPARE(model.rowCount(), 1);
    runBlocking(manager.stop());
}

void tst_ServiceModel::rolesDescribeTheService()
{
    ScriptedService db(QStringLiteral("db")), api(QStringLiteral("api"));
    api.deps = {&db};
    db.onStart.fail = true;
    ServiceManager manager(&api);
    ServiceModel model;
    model.setManager(&manager);
    QVERIFY(expectError(manager.start()));
    const QModelIndex dbRow = model.index(0), apiRow = model.index(1);
    QCOMPARE(model.data(dbRow, ServiceModel::NameRole).toString(), QStringLiteral("db"));
    QCOMPARE(model.data(dbRow, Qt::DisplayRole).toString(), QStringLiteral("db"));
    QCOMPARE(model.data(dbRow, ServiceModel::StateNameRole).toString(), QStringLiteral("Failed"));
    QCOMPARE(model.data(dbRow, ServiceModel::ErrorStringRole).toString(),
             QStringLiteral("start failed: scripted failure"));
    QVERIFY(model.data(dbRow, ServiceModel::StartMsRole).toLongLong() >= 0);
    QCOMPARE(model.data(dbRow, ServiceModel::StopMsRole).toLongLong(), -1);
    QCOMPARE(model.data(apiRow, ServiceModel::DependenciesRole).toStringList(),
             QStringList{QStringLiteral("db")});
    QCOMPARE(model.data(apiRow, ServiceModel::TaskCountRole).toInt(), 0);
    QCOMPARE(model.data(apiRow, ServiceModel::ServiceRole).value<QService *>(), &api);
    QCOMPARE(model.roleNames().value(ServiceModel::StateNameRole), QByteArray("stateName"));
}

void tst_ServiceModel::aNewRunShowsNoDurationOfTheLastOne()
{
    ScriptedService db(QStringLiteral("db")), api(QStringLiteral("api"));
    api.deps = {&db};
    db.onStart.delay = api.onStart.delay = 5ms;
    ServiceManager manager(&api);
    ServiceModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setManager(&manager);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    const auto startMs = [&model](int row) {
        return model.data(model.index(row), ServiceModel::StartMsRole).toLongLong();
    };
    const auto stopMs = [&model](int row) {
        return model.data(model.index(row), ServiceModel::StopMsRole).toLongLong();
    };
    QVERIFY(startMs(0) >= 0 && stopMs(0) >= 0 && startMs(1) >= 0 && stopMs(1) >= 0);
    QVERIFY(db.startDurationMs() >= 0); // the service keeps its own, the model shows this run's

    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    QCoro::Task<> start = manager.start(); // eager: the new run has begun
    QCOMPARE(manager.state(), State::Starting);
    QCOMPARE(startMs(0), -1);
    QCOMPARE(stopMs(0), -1);
    QCOMPARE(startMs(1), -1);
    QCOMPARE(stopMs(1), -1);
    QVERIFY(!changes.isEmpty()); // views learn it
    runBlocking(std::move(start));
    QVERIFY(startMs(0) >= 0);
    QVERIFY(startMs(1) >= 0);
    QCOMPARE(stopMs(0), -1); // not stopped in this run
    runBlocking(manager.stop());
    QVERIFY(stopMs(0) >= 0);
    QVERIFY(stopMs(1) >= 0);
}

void tst_ServiceModel::managerStateProgressAndNames()
{
    ScriptedService a(QStringLiteral("a")), b(QStringLiteral("b"));
    a.onStart.delay = b.onStart.delay = std::chrono::milliseconds(20);
    b.deps = {&a};
    ServiceManager manager(&b);
    QList<double> progress;
    connect(&manager, &ServiceManager::progressChanged, this,
            [&](double p) { progress.append(p); });
    QSignalSpy starting(&manager, &ServiceManager::startingServicesChanged);
    runBlocking(manager.start());
    QCOMPARE(progress, (QList<double>{0.5, 1.0}));
    QVERIFY(starting.count() >= 2);
    QCOMPARE(starting.first().first().toStringList(), QStringList{QStringLiteral("a")});
    QTRY_VERIFY(manager.startingServices().isEmpty());
    runBlocking(manager.stop());
    // The stop's own progress, from 0 to 1; then none (0) once the run is over.
    QCOMPARE(progress, (QList<double>{0.5, 1.0, 0.0, 0.5, 1.0, 0.0}));
    QCOMPARE(manager.startProgress(), 1.0);
    QCOMPARE(manager.stopProgress(), 1.0);
    QCOMPARE(manager.serviceCount(), 2);
}

void tst_ServiceModel::applicationManagerIsTheOneSetElseTheOneRunning()
{
    ScriptedService root(QStringLiteral("root"));
    QCOMPARE(ServiceManager::applicationManager(), nullptr); // none made is the application's
    {
        ServiceManager manager(&root);
        QCOMPARE(ServiceManager::applicationManager(), nullptr);
        ServiceManager::setApplicationManager(&manager);
        QCOMPARE(ServiceManager::applicationManager(), &manager);
    }
    QCOMPARE(ServiceManager::applicationManager(), nullptr); // forgotten when destroyed
}

QTEST_GUILESS_MAIN(tst_ServiceModel)
#include "tst_servicemodel.moc"
