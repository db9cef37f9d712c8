// The code shown in docs/health.md, compiled and run by tst_snippets.

#include "docexamples.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace std::chrono_literals;

namespace health {

// A connection whose answers the example scripts.
class Connection
{
public:
    bool answers = true;
    int lagMs = 0;
    QCoro::Task<bool> ping() { co_return answers; }
    int replicationLagMs() const { return lagMs; }
};

// [snippet:health-check]
class Database : public QLifecycle::QService
{
    Q_OBJECT
public:
    Database()
    {
        setHealthCheckInterval(5s);   // ask every 5 s while Running (0, the default: never)
        setHealthCheckTimeout(1s);    // a check that takes longer is Unhealthy
        setUnhealthyGracePeriod(30s); // Unhealthy for 30 s in a row: the run fails
    }

protected:
    QCoro::Task<HealthStatus> checkHealth() override
    {
        const bool answered = co_await m_connection.ping(); // not in the `if` (FAQ)
        if (!answered)
            co_return {Health::Unhealthy, QStringLiteral("no answer to ping")};
        if (m_connection.replicationLagMs() > 1000)
            co_return {Health::Degraded, QStringLiteral("replica lags behind")};
        co_return Health::Healthy;
    }
    // [/snippet:health-check]

public:
    Connection m_connection;
    void checkEvery(std::chrono::milliseconds interval) { setHealthCheckInterval(interval); }
};

class Cache : public QLifecycle::QService
{
    Q_OBJECT
public:
    // [snippet:health-push]
    void onEvictionStorm(int evictionsPerSecond)
    {
        if (evictionsPerSecond > 1000)
            setHealth(Health::Degraded, QStringLiteral("evicting %1/s").arg(evictionsPerSecond));
        else
            setHealth(Health::Healthy);
    }
    // [/snippet:health-push]
};

class Api : public QLifecycle::QService
{
    Q_OBJECT
public:
    Api(Database *db, Cache *cache) : m_db(db), m_cache(cache) {}

protected:
    QLifecycle::Dependencies dependencies() const override { return {{m_db, m_cache}}; }

private:
    Database *m_db;
    Cache *m_cache;
};

QByteArray report(const QLifecycle::ServiceManager &manager)
{
    // [snippet:health-report]
    // For a health endpoint: {"health": "Degraded", "reason": "cache is degraded: ...", ...}
    const QByteArray body = QJsonDocument(manager.healthReport()).toJson();
    // [/snippet:health-report]
    return body;
}

} // namespace health

class tst_DocExamplesHealth : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void checkAndPushShowInTheManager()
    {
        health::Database db;
        db.checkEvery(10ms);
        health::Cache cache;
        cache.setObjectName(QStringLiteral("cache"));
        health::Api api(&db, &cache);
        QLifecycle::ServiceManager manager(&api);
        QLifecycle::Test::runBlocking(manager.start());

        db.m_connection.lagMs = 5000;
        QTRY_COMPARE(db.health(), QLifecycle::QService::Health::Degraded);
        QCOMPARE(db.healthReason(), QStringLiteral("replica lags behind"));
        db.m_connection.answers = false;
        QTRY_COMPARE(db.health(), QLifecycle::QService::Health::Unhealthy);
        QCOMPARE(manager.health(), QLifecycle::QService::Health::Unhealthy);

        cache.onEvictionStorm(5000);
        QCOMPARE(cache.healthReason(), QStringLiteral("evicting 5000/s"));
        const QByteArray body = health::report(manager);
        QVERIFY(body.contains("\"health\": \"Unhealthy\""));
        QVERIFY(body.contains("cache is degraded: evicting 5000/s"));

        db.m_connection.answers = true;
        db.m_connection.lagMs = 0;
        cache.onEvictionStorm(0);
        QTRY_COMPARE(manager.health(), QLifecycle::QService::Health::Healthy);
        QLifecycle::Test::runBlocking(manager.stop());
    }
};

QObject *makeHealthExamples()
{
    return new tst_DocExamplesHealth;
}

#include "snippets_health.moc"
