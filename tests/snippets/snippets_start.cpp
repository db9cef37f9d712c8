// The code shown in README.md, docs/index.md, docs/getting-started.md and docs/lifecycle.md.
// tst_snippets checks that the Markdown blocks are copies of the marked regions, and runs the
// examples below (docexamples_start).

// [snippet:getting-started-services]
#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QCoro/QCoroTimer>

#include <QtCore/QCoreApplication>

class Database : public QLifecycle::QService
{
    Q_OBJECT
protected:
    QCoro::Task<> start() override { co_await QCoro::sleepFor(std::chrono::milliseconds(100)); }
    QCoro::Task<> stop() override { co_return; }
};

class Api : public QLifecycle::QService
{
    Q_OBJECT
public:
    explicit Api(Database *db) : m_db(db) { setObjectName(QStringLiteral("api")); }

protected:
    QLifecycle::Dependencies dependencies() const override { return {m_db}; }
    std::chrono::milliseconds gracefulShutdownTimeout() const override
    {
        return std::chrono::seconds(30);
    }

private:
    Database *m_db;
};
// [/snippet:getting-started-services]

#include "docexamples.h"

#include <QLifecycle/TestKit>

#include <QtTest/QTest>

using namespace std::chrono_literals;

namespace gettingstarted {

// [snippet:getting-started-main]
int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    Database db;
    Api api(&db);
    return QLifecycle::ServiceManager::run(api);
}
// [/snippet:getting-started-main]

QCoro::Task<> drive(Api &api)
{
    // [snippet:getting-started-coroutine]
    QLifecycle::ServiceManager manager(&api);
    try {
        co_await manager.start(); // throws QLifecycle::Error after rolling back a failed start
        co_await manager.wait();  // until requestStop() or a crash
    } catch (const QLifecycle::Error &error) {
        qWarning() << error.message();
    }
    co_await manager.stop(); // a no-op if it already stopped
    // [/snippet:getting-started-coroutine]
}

} // namespace gettingstarted

namespace quick {

// Stand-ins for a real connection and for the services the example does not show.
class Connection
{
public:
    QCoro::Task<> open() { co_await QCoro::sleepFor(std::chrono::milliseconds(5)); }
    void close() {}
};
class Cache : public QLifecycle::QService
{
    Q_OBJECT
};
class Metrics : public QLifecycle::QService
{
    Q_OBJECT
};

// [snippet:quick-example]
class Database : public QLifecycle::QService
{
    Q_OBJECT
protected:
    QCoro::Task<> start() override { co_await m_connection.open(); }
    QCoro::Task<> stop() override
    {
        m_connection.close();
        co_return;
    }

private:
    Connection m_connection;
};

class Api : public QLifecycle::QService
{
    Q_OBJECT
public:
    Api(Database *db, Cache *cache, Metrics *metrics) : m_db(db), m_cache(cache), m_metrics(metrics)
    {
    }

protected:
    // db and cache start together; then metrics; then Api itself. Stop is the mirror.
    // [snippet:dependency-stages]
    QLifecycle::Dependencies dependencies() const override { return {{m_db, m_cache}, m_metrics}; }
    // [/snippet:dependency-stages]

private:
    Database *m_db;
    Cache *m_cache;
    Metrics *m_metrics;
};

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    Database db;
    Cache cache;
    Metrics metrics;
    Api api(&db, &cache, &metrics);
    return QLifecycle::ServiceManager::run(api); // start, run, SIGINT/SIGTERM -> graceful stop
}
// [/snippet:quick-example]

} // namespace quick

// Runs the examples: they must do what the pages say.
class tst_DocExamplesStart : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void quickExampleStartsInStagesAndStops()
    {
        quick::Database db;
        quick::Cache cache;
        quick::Metrics metrics;
        quick::Api api(&db, &cache, &metrics);
        QLifecycle::ServiceManager manager(&api);
        QLifecycle::Test::runBlocking(manager.start());
        QCOMPARE(manager.services(), (QList<QLifecycle::QService *>{&db, &cache, &metrics, &api}));
        QCOMPARE(api.state(), QLifecycle::State::Running);
        QLifecycle::Test::runBlocking(manager.stop());
        QCOMPARE(db.state(), QLifecycle::State::Stopped);
    }

    void gettingStartedCoroutineDrivesTheGraph()
    {
        Database db;
        Api api(&db);
        QTimer stopper; // stops the graph once it runs, as a user would
        connect(&stopper, &QTimer::timeout, &api, [&api] {
            if (api.state() == QLifecycle::State::Running && api.manager())
                api.manager()->requestStop();
        });
        stopper.start(20ms);
        QLifecycle::Test::runBlocking(gettingstarted::drive(api));
        QCOMPARE(api.state(), QLifecycle::State::Stopped);
        QCOMPARE(db.state(), QLifecycle::State::Stopped);
    }
};

QObject *makeStartExamples()
{
    return new tst_DocExamplesStart;
}

#include "snippets_start.moc"
