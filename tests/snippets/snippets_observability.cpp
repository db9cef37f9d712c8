// The code shown in docs/observability.md, compiled and run by tst_snippets.

#include "docexamples.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>
#include <QLifecycle/TraceRecorder>

#include <QtCore/QBuffer>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtCore/QThread>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace std::chrono_literals;

namespace observability {

// [snippet:trace-record]
void startRecorded(QLifecycle::ServiceManager &manager, const QString &directory)
{
    QLifecycle::TraceRecorder recorder(&manager); // records from now on
    QLifecycle::Test::runBlocking(manager.start());
    const QDir dir(directory);
    recorder.save(dir.filePath(QStringLiteral("startup.json"))); // Perfetto, chrome://tracing
    recorder.save(dir.filePath(QStringLiteral("startup.svg")));  // a timeline
    recorder.save(dir.filePath(QStringLiteral("startup.dot")));  // the graph, for Graphviz
    recorder.save(dir.filePath(QStringLiteral("startup.txt")));  // critical chain and blame
}
// [/snippet:trace-record]

// [snippet:trace-device]
QByteArray criticalChain(const QLifecycle::TraceRecorder &recorder)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    recorder.writeCriticalChain(&buffer); // or writeChromeTrace, writeTimeline, writeGraph
    return buffer.data();
}
// [/snippet:trace-device]

// [snippet:stall-threshold]
void watchStalls(QLifecycle::ServiceManager &manager)
{
    QLifecycle::ServiceManager::setStallThreshold(std::chrono::milliseconds(16)); // one frame
    QObject::connect(&manager, &QLifecycle::ServiceManager::stallDetected, &manager,
                     [](QLifecycle::QService *service, const QString &what, qint64 ms) {
                         qInfo() << service->name() << what << "blocked for" << ms << "ms";
                     });
}
// [/snippet:stall-threshold]

// A service whose start() reads "a large file" synchronously: 60 ms without returning.
class Loader : public QLifecycle::QService
{
public:
    Loader() { setObjectName(QStringLiteral("loader")); }

protected:
    QCoro::Task<> start() override
    {
        QThread::msleep(60);
        co_return;
    }
};

} // namespace observability

class tst_DocExamplesObservability : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void savesEveryFormat()
    {
        QLifecycle::Test::ScriptedService config(QStringLiteral("config")),
            app(QStringLiteral("app"));
        app.deps = {&config};
        QLifecycle::ServiceManager manager(&app);
        QTemporaryDir dir;
        observability::startRecorded(manager, dir.path());
        for (const char *name : {"startup.json", "startup.svg", "startup.dot", "startup.txt"})
            QVERIFY(QFile(dir.filePath(QLatin1String(name))).size() > 0);
        QLifecycle::Test::runBlocking(manager.stop());
    }

    void reportsAStall()
    {
        observability::Loader loader;
        QLifecycle::ServiceManager manager(&loader);
        observability::watchStalls(manager);
        QSignalSpy stalls(&manager, &QLifecycle::ServiceManager::stallDetected);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "^loader: start\\(\\) blocked the thread")));
        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral(
                                            "^\"loader\" \"start\\(\\)\" blocked for")));
        QLifecycle::Test::runBlocking(manager.start());
        QTRY_COMPARE(stalls.size(), 1);
        QCOMPARE(stalls[0][1].toString(), QStringLiteral("start()"));
        QVERIFY(stalls[0][2].toLongLong() >= 50);
        QLifecycle::ServiceManager::setStallThreshold(std::chrono::milliseconds(50));
        QLifecycle::Test::runBlocking(manager.stop());
    }

    void writesTheChainToADevice()
    {
        QLifecycle::Test::VirtualClock clock;
        QLifecycle::Test::ScriptedService network(QStringLiteral("network")),
            database(QStringLiteral("database")), app(QStringLiteral("app"));
        network.onStart.delay = 300ms;
        database.onStart.delay = 1200ms;
        app.onStart.delay = 40ms;
        app.onStop.delay = 25ms;
        database.onStop.delay = 150ms;
        network.onStop.delay = 10ms;
        database.deps = {&network};
        app.deps = {&database};
        QLifecycle::ServiceManager manager(&app);
        QLifecycle::TraceRecorder recorder(&manager);
        manager.requestStart();
        QVERIFY(clock.advanceUntilIdle(10s));
        QTRY_COMPARE(manager.state(), QLifecycle::QService::State::Running);
        const QByteArray text = observability::criticalChain(recorder);
        QVERIFY2(text.contains("app @1.500s +40ms\n"
                               "└─database @300ms +1.200s\n"
                               "  └─network @0 +300ms\n"),
                 text.constData());
        manager.requestStop();
        QVERIFY(clock.advanceUntilIdle(10s));
        QTRY_COMPARE(manager.state(), QLifecycle::QService::State::Stopped);
        QVERIFY2(observability::criticalChain(recorder).contains("network @175ms +10ms\n"
                                                                 "└─database @25ms +150ms\n"
                                                                 "  └─app @0 +25ms\n"),
                 text.constData());
    }
};

QObject *makeObservabilityExamples()
{
    return new tst_DocExamplesObservability;
}

#include "snippets_observability.moc"
