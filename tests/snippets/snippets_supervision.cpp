// The code shown in docs/supervision.md: a restart policy, the manager's intensity, the
// signals of restarts, and an optional service with its retry. tst_snippets checks that the
// Markdown blocks are copies of the marked regions, and runs the examples below.

#include "docexamples.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

#include <QtCore/QCoreApplication>
#include <QtCore/QLoggingCategory>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <stdexcept>

using namespace std::chrono_literals;

namespace supervision {

class Server
{
public:
    int failuresLeft = 0; // the next connections that fail
    bool connect()
    {
        if (failuresLeft == 0)
            return true;
        --failuresLeft;
        return false;
    }
};

// [snippet:sync-restart-policy]
class Sync : public QLifecycle::QService
{
    Q_OBJECT
public:
    explicit Sync(Server *server) : m_server(server)
    {
        // A lost server is no reason to close the application: try again, 1 s, 2 s, 4 s...
        // later, at most 5 times a minute.
        setRestartPolicy({.mode = QLifecycle::RestartPolicy::OnFailure,
                          .initialDelay = std::chrono::seconds(1),
                          .maxRestarts = 5,
                          .window = std::chrono::minutes(1)});
    }

protected:
    QCoro::Task<> start() override
    {
        if (!m_server->connect())
            throw std::runtime_error("connection refused");
        co_return;
    }

private:
    Server *m_server;
};
// [/snippet:sync-restart-policy]

class App : public QLifecycle::QService
{
    Q_OBJECT
public:
    explicit App(Sync *sync) : m_sync(sync) {}

protected:
    QLifecycle::Dependencies dependencies() const override { return {m_sync}; }

private:
    Sync *m_sync;
};

// [snippet:restart-signals]
void watchRestarts(QLifecycle::ServiceManager &manager)
{
    using QLifecycle::QService;
    QObject::connect(&manager, &QLifecycle::ServiceManager::restartScheduled, &manager,
                     [](QService *service, qint64 delayMs, const QStringList &services) {
                         qInfo() << service->name() << "failed; restarting" << services << "in"
                                 << delayMs << "ms";
                     });
    QObject::connect(&manager, &QLifecycle::ServiceManager::restartsExhausted, &manager,
                     [](QService *service, const QString &reason) {
                         qWarning() << service->name() << "gave up:" << reason;
                     });
}
// [/snippet:restart-signals]

void configure(QLifecycle::ServiceManager &manager)
{
    // [snippet:manager-intensity]
    // However many services have a policy: at most 10 restarts of the graph in 5 minutes.
    manager.setRestartIntensity(10, std::chrono::minutes(5));
    // -- in a test, the same delays every time:
    manager.setJitterSeed(42);
    // [/snippet:manager-intensity]
}

class Database : public QLifecycle::QService
{
    Q_OBJECT
};

// [snippet:optional-service]
class Telemetry : public QLifecycle::QService
{
    Q_OBJECT
public:
    Telemetry()
    {
        setOptional(true); // nice to have: its failure must not close the application
    }
    bool reachable = false;

protected:
    QCoro::Task<> start() override
    {
        if (!reachable)
            throw std::runtime_error("collector unreachable");
        co_return;
    }
};

class Editor : public QLifecycle::QService
{
    Q_OBJECT
public:
    Editor(Database *db, Telemetry *telemetry) : m_db(db), m_telemetry(telemetry) {}

protected:
    // Needs the database; wants telemetry: started after it, stopped before it, but not
    // stopped nor restarted with it.
    QLifecycle::Dependencies dependencies() const override
    {
        return {m_db, QLifecycle::optional(m_telemetry)};
    }

private:
    Database *m_db;
    Telemetry *m_telemetry;
};
// [/snippet:optional-service]

// [snippet:optional-retry]
// The settings page's "Retry" button: telemetry starts again, alone; the rest is not touched.
void retryTelemetry(QLifecycle::ServiceManager &manager, Telemetry &telemetry)
{
    if (telemetry.state() == QLifecycle::State::Failed)
        manager.requestStart(&telemetry);
}
// [/snippet:optional-retry]

} // namespace supervision

class tst_DocExamplesSupervision : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void syncIsRetriedUntilTheServerAnswers()
    {
        supervision::Server server;
        server.failuresLeft = 2;
        supervision::Sync sync(&server);
        supervision::App app(&sync);
        QLifecycle::ServiceManager manager(&app);
        supervision::configure(manager);
        QCOMPARE(manager.maxRestarts(), 10);
        supervision::watchRestarts(manager);
        QSignalSpy scheduled(&manager, &QLifecycle::ServiceManager::restartScheduled);
        QLifecycle::Test::VirtualClock clock; // the delays of 1 s and 2 s pass at once
        manager.requestStart();
        QVERIFY(clock.advanceUntilIdle());
        QCOMPARE(app.state(), QLifecycle::State::Running);
        QCOMPARE(sync.restartCount(), 2);
        QCOMPARE(scheduled.count(), 2);
        // 1 s, then 2 s, each moved by up to 10 % (the default jitter).
        QVERIFY(std::abs(scheduled.at(0).at(1).toLongLong() - 1000) <= 100);
        QVERIFY(std::abs(scheduled.at(1).at(1).toLongLong() - 2000) <= 200);
        QLifecycle::Test::runBlocking(manager.stop());
    }

    void theEditorRunsWithoutTelemetryUntilARetry()
    {
        supervision::Database db;
        supervision::Telemetry telemetry;
        supervision::Editor editor(&db, &telemetry);
        QLifecycle::ServiceManager manager(&editor);
        QLifecycle::Test::runBlocking(manager.start());
        QCOMPARE(manager.state(), QLifecycle::State::Running);
        QCOMPARE(editor.state(), QLifecycle::State::Running);
        QTRY_COMPARE(manager.health(), QLifecycle::QService::Health::Degraded);
        QVERIFY(manager.healthReason().contains(QStringLiteral("collector unreachable")));
        telemetry.reachable = true;
        supervision::retryTelemetry(manager, telemetry);
        QTRY_COMPARE(telemetry.state(), QLifecycle::State::Running);
        QTRY_COMPARE(manager.health(), QLifecycle::QService::Health::Healthy);
        QLifecycle::Test::runBlocking(manager.stop());
    }
};

QObject *makeSupervisionExamples()
{
    return new tst_DocExamplesSupervision;
}

#include "snippets_supervision.moc"
