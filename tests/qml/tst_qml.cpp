// Runs tests/qml/tst_*.qml. Each file gets a fresh QML engine and, through it, a fresh graph of
// scripted services and its manager, reachable from QML as the context property `fixture`.

#include <QLifecycle/ServiceManager>

#include <QLifecycle/testkit/scriptedservice.h>

#include <QtQml/QQmlContext>
#include <QtQml/QQmlEngine>
#include <QtQuickTest/QtQuickTest>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

// A scripted service whose health the test sets, as the service's own code would.
class ReportingService : public ScriptedService
{
    Q_OBJECT
public:
    using QService::setHealth;
    using ScriptedService::ScriptedService;
};

// config <- {db, cache} <- api: a diamond-free graph with a parallel group and some delays.
class Fixture : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QLifecycle::ServiceManager *manager READ manager CONSTANT)
    Q_PROPERTY(QLifecycle::QService *api READ api CONSTANT)
    Q_PROPERTY(QLifecycle::QService *db READ db CONSTANT)
    Q_PROPERTY(QLifecycle::QService *cache READ cache CONSTANT)

public:
    explicit Fixture(QObject *parent = nullptr) : QObject(parent)
    {
        m_db.deps = {&m_config};
        m_cache.deps = {&m_config};
        m_api.deps = {{&m_db, &m_cache}};
        for (ScriptedService *service :
             std::initializer_list<ScriptedService *>{&m_config, &m_db, &m_cache, &m_api})
            service->onStart.delay = service->onStop.delay = 10ms;
        ServiceManager::setApplicationManager(&m_manager); // `Lifecycle.manager` in QML
    }

    ServiceManager *manager() { return &m_manager; }
    QService *api() { return &m_api; }
    QService *db() { return &m_db; }
    QService *cache() { return &m_cache; } // made deferred by tests (startPolicy)

    // Makes this fixture's manager the application's, or clears it.
    Q_INVOKABLE void setApplicationManager(bool set)
    {
        ServiceManager::setApplicationManager(set ? &m_manager : nullptr);
    }
    // Makes the database's next start fail (or succeed again).
    Q_INVOKABLE void setDatabaseFails(bool fails) { m_db.onStart.fail = fails; }
    // Makes the database restart 400 ms after a failure (or never again).
    Q_INVOKABLE void setDatabaseRestarts(bool restarts)
    {
        m_db.setRestartPolicy(
            restarts ? RestartPolicy{.mode = RestartPolicy::OnFailure, .initialDelay = 400ms}
                     : RestartPolicy{});
    }
    // Makes the database crash 200 ms after each start (api runs by then), or not any more.
    Q_INVOKABLE void setDatabaseCrashes(bool crashes)
    {
        m_db.crashAfter = crashes ? std::optional(200ms) : std::nullopt;
    }
    // Makes the cache optional, and only wanted by api (or needed, as at first).
    Q_INVOKABLE void setCacheOptional(bool optional)
    {
        m_cache.setOptional(optional);
        m_api.deps = optional ? Dependencies{&m_db, QLifecycle::optional(&m_cache)}
                              : Dependencies{{&m_db, &m_cache}};
    }
    // Makes the cache's next start fail (or succeed again).
    Q_INVOKABLE void setCacheFails(bool fails) { m_cache.onStart.fail = fails; }
    // Sets the cache's health (a Service.Health value), as its own code would.
    Q_INVOKABLE void setCacheHealth(int health, const QString &reason)
    {
        m_cache.setHealth(QService::Health(health), reason);
    }

private:
    ScriptedService m_config{QStringLiteral("config")};
    ScriptedService m_db{QStringLiteral("db")};
    ReportingService m_cache{QStringLiteral("cache")};
    ScriptedService m_api{QStringLiteral("api")};
    ServiceManager m_manager{&m_api};
};

class Setup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral(QML_IMPORT_DIR));
        engine->rootContext()->setContextProperty(QStringLiteral("fixture"), new Fixture(engine));
    }
};

QUICK_TEST_MAIN_WITH_SETUP(tst_qml, Setup)
#include "tst_qml.moc"
