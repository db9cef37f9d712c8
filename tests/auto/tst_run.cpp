// ServiceManager::run() in-process (docs/contract.md, The manager and the application): quit()
// turned into a graceful stop, the exit codes, and RunMode::UntilQuit keeping the application alive
// after a failure. The real process under signals is tested in tests/process.

#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

#include <QtCore/QCoreApplication>

using namespace QLifecycle;
using namespace QLifecycle::Test;

class tst_Run : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void quitStopsGracefullyAndReturnsZero();
    void failedStartReturnsOne();
    void invalidGraphReturnsOne();
    void crashReturnsOne();
    void untilQuitStaysAfterAFailureAndRestarts();
    void untilQuitAfterAFailureReturnsOne();
};

void tst_Run::quitStopsGracefullyAndReturnsZero()
{
    EventLog log;
    ScriptedService db(QStringLiteral("db"), &log), api(QStringLiteral("api"), &log);
    api.deps = {&db};
    ServiceManager manager(&api);
    connect(&manager, &ServiceManager::stateChanged, this, [](State state) {
        if (state == State::Running)
            QCoreApplication::quit(); // what a "Quit" menu entry does
    });
    QCOMPARE(manager.run(), 0);
    QCOMPARE(log.only(QStringLiteral(":stopped")), names("api db"));
    QCOMPARE(manager.state(), State::Stopped);
}

void tst_Run::failedStartReturnsOne()
{
    ScriptedService db(QStringLiteral("db"));
    db.onStart.fail = true;
    ServiceManager manager(&db);
    QTest::ignoreMessage(QtWarningMsg, "db: start failed: scripted failure");
    QTest::ignoreMessage(QtCriticalMsg,
                         QRegularExpression(QStringLiteral("stopped after a failure: db: start")));
    QCOMPARE(manager.run(), 1);
}

class Cyclic : public QService
{
public:
    Cyclic *other = nullptr;

protected:
    Dependencies dependencies() const override { return {other}; }
};

void tst_Run::invalidGraphReturnsOne()
{
    Cyclic a, b;
    a.other = &b;
    b.other = &a;
    ServiceManager manager(&a);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("start refused")));
    QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(QStringLiteral("cycle")));
    QCOMPARE(manager.run(), 1);
}

void tst_Run::crashReturnsOne()
{
    ScriptedService worker(QStringLiteral("worker"));
    worker.crashAfter = std::chrono::milliseconds(5);
    ServiceManager manager(&worker);
    QCOMPARE(manager.run(), 1);
    QCOMPARE(worker.state(), State::Failed);
}

void tst_Run::untilQuitStaysAfterAFailureAndRestarts()
{
    ScriptedService db(QStringLiteral("db"));
    db.onStart.fail = true;
    ServiceManager manager(&db);
    QList<State> seen;
    connect(&manager, &ServiceManager::stateChanged, this, [&](State state) {
        seen.append(state);
        if (state == State::Failed) { // the window shows the error; the user presses Restart
            db.onStart.fail = false;
            QTimer::singleShot(0, &manager, qOverload<>(&ServiceManager::requestStart));
        } else if (state == State::Running) { // and later closes the window
            QTimer::singleShot(0, qApp, &QCoreApplication::quit);
        }
    });
    QCOMPARE(manager.run(ServiceManager::RunMode::UntilQuit), 0);
    QCOMPARE(seen, (QList{State::Starting, State::Stopping, State::Failed, State::Starting,
                          State::Running, State::Stopping, State::Stopped}));
}

void tst_Run::untilQuitAfterAFailureReturnsOne()
{
    ScriptedService db(QStringLiteral("db"));
    db.onStart.fail = true;
    ServiceManager manager(&db);
    connect(&manager, &ServiceManager::stateChanged, this, [](State state) {
        if (state == State::Failed)
            QTimer::singleShot(0, qApp, &QCoreApplication::quit); // closed without a restart
    });
    QCOMPARE(manager.run(ServiceManager::RunMode::UntilQuit), 1);
}

QTEST_GUILESS_MAIN(tst_Run)
#include "tst_run.moc"
