// Stall attribution, and the hooks and tasks a trace recorder sees (docs/observability.md).
// The services here block their thread on purpose: that is what is measured.

#include <QLifecycle/ServiceManager>
#include <QLifecycle/TraceRecorder>

#include "outcome.h"

#include <QtCore/QBuffer>
#include <QtCore/QEventLoop>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace QLifecycle;
using QLifecycle::Test::launch;
using namespace std::chrono_literals;
using State = QService::State;

namespace {
constexpr auto Threshold = 60ms;
constexpr unsigned long BlockMs = 200; // well over the threshold and the coarse clock's steps

// A service whose code blocks its thread where a test says.
class Blocker : public QService
{
    Q_OBJECT
public:
    explicit Blocker(const QString &name) { setObjectName(name); }
    bool scanned = false;            // the task's blocking steps ran
    bool blockInStart = false;       // start()'s first step
    bool nestedLoopInStart = false;  // start() spins an event loop for BlockMs
    bool taskBlocksFirst = false;    // a task "scan" whose first step blocks
    bool taskBlocksResumed = false;  // a task "scan" that blocks after a sleepFor()
    bool startBlocksResumed = false; // start() blocks after a sleepFor()
    Dependencies deps;

protected:
    Dependencies dependencies() const override { return deps; }
    QCoro::Task<> start() override
    {
        if (taskBlocksFirst || taskBlocksResumed)
            addTask([this] { return scan(); }, {.name = QStringLiteral("scan")});
        if (blockInStart)
            QThread::msleep(BlockMs);
        if (nestedLoopInStart) {
            QEventLoop loop;
            QTimer::singleShot(std::chrono::milliseconds(BlockMs), &loop, &QEventLoop::quit);
            loop.exec();
        }
        if (startBlocksResumed) {
            co_await sleepFor(1ms);
            QThread::msleep(BlockMs);
        }
        co_return;
    }

private:
    QCoro::Task<> scan()
    {
        if (taskBlocksFirst)
            QThread::msleep(BlockMs);
        co_await sleepFor(1ms);
        if (taskBlocksResumed)
            QThread::msleep(BlockMs);
        scanned = true;
        co_await sleepFor(1h); // until the stop
    }
};

struct Stall {
    QString service, what;
    qint64 ms = 0;
};

// Starts and stops `root`'s graph, collecting the stalls reported.
QList<Stall> runAndCollect(Blocker &root, TraceRecorder *recorder = nullptr)
{
    ServiceManager manager(&root);
    if (recorder)
        recorder->attach(&manager);
    QList<Stall> stalls;
    QObject::connect(&manager, &ServiceManager::stallDetected,
                     [&](QService *service, const QString &what, qint64 ms) {
                         stalls.append({service->name(), what, ms});
                     });
    const auto started = launch(manager.start());
    if (!QTest::qWaitFor([&] { return started->done; }, 10000))
        qWarning("the start did not end");
    const bool hasTask = root.taskBlocksFirst || root.taskBlocksResumed;
    if (hasTask && !QTest::qWaitFor([&] { return root.scanned; }, 10000))
        qWarning("the task did not run");
    const auto stopped = launch(manager.stop());
    if (!QTest::qWaitFor([&] { return stopped->done; }, 10000))
        qWarning("the stop did not end");
    QCoreApplication::sendPostedEvents(); // stallDetected is emitted from the event loop
    if (recorder)
        recorder->detach();
    return stalls;
}

QStringList describe(const QList<Stall> &stalls)
{
    QStringList lines;
    for (const Stall &stall : stalls)
        lines.append(stall.service + QLatin1Char(' ') + stall.what);
    return lines;
}
} // namespace

class tst_Stalls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { ServiceManager::setStallThreshold(Threshold); }
    void cleanupTestCase() { ServiceManager::setStallThreshold(50ms); }
    void aBlockingStartIsReportedAndLogged();
    void aTaskStepIsReportedUnderItsName();
    void aStepResumedByAWaitIsTimed();
    void aNestedStepIsNotCountedTwice();
    void aNestedEventLoopIsNoStall();
    void zeroTurnsTheTimingOff();
    void theTraceHasHooksTasksAndStalls();
};

void tst_Stalls::aBlockingStartIsReportedAndLogged()
{
    Blocker db(QStringLiteral("db"));
    db.blockInStart = true;
    QTest::ignoreMessage(
        QtWarningMsg,
        QRegularExpression(QStringLiteral(
            R"(^db: start\(\) blocked the thread for \d+ ms \(stall threshold 60 ms\)$)")));
    const QList<Stall> stalls = runAndCollect(db);
    QCOMPARE(describe(stalls), QStringList{QStringLiteral("db start()")});
    QVERIFY2(stalls[0].ms >= qint64(BlockMs) - 10, qPrintable(QString::number(stalls[0].ms)));
    QCOMPARE(ServiceManager::stallThreshold(), Threshold);
}

void tst_Stalls::aTaskStepIsReportedUnderItsName()
{
    Blocker indexer(QStringLiteral("indexer"));
    indexer.taskBlocksFirst = true;
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("^indexer: task 'scan' blocked")));
    QCOMPARE(describe(runAndCollect(indexer)), QStringList{QStringLiteral("indexer task 'scan'")});
}

void tst_Stalls::aStepResumedByAWaitIsTimed()
{
    Blocker indexer(QStringLiteral("indexer"));
    indexer.taskBlocksResumed = true;
    Blocker db(QStringLiteral("db"));
    db.startBlocksResumed = true;
    indexer.deps = {&db};
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^db: start\\(\\)")));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^indexer: task 'scan'")));
    QStringList seen = describe(runAndCollect(indexer));
    seen.sort();
    QCOMPARE(seen,
             (QStringList{QStringLiteral("db start()"), QStringLiteral("indexer task 'scan'")}));
}

// The task's first step runs inside start(): it is the task's, and start() is not blamed.
void tst_Stalls::aNestedStepIsNotCountedTwice()
{
    Blocker indexer(QStringLiteral("indexer"));
    indexer.taskBlocksFirst = true;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^indexer: task")));
    const QList<Stall> stalls = runAndCollect(indexer);
    QCOMPARE(stalls.size(), 1);
    QCOMPARE(stalls[0].what, QStringLiteral("task 'scan'"));
}

void tst_Stalls::aNestedEventLoopIsNoStall()
{
    Blocker dialog(QStringLiteral("dialog"));
    dialog.nestedLoopInStart = true;
    QCOMPARE(describe(runAndCollect(dialog)), QStringList());
}

void tst_Stalls::zeroTurnsTheTimingOff()
{
    ServiceManager::setStallThreshold(0ms);
    Blocker db(QStringLiteral("db"));
    db.blockInStart = true;
    const QList<Stall> stalls = runAndCollect(db);
    ServiceManager::setStallThreshold(Threshold);
    QCOMPARE(describe(stalls), QStringList());
}

void tst_Stalls::theTraceHasHooksTasksAndStalls()
{
    Blocker db(QStringLiteral("db"));
    db.blockInStart = true;
    Blocker indexer(QStringLiteral("indexer"));
    indexer.taskBlocksResumed = true;
    indexer.deps = {&db};
    TraceRecorder recorder;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^db: start\\(\\)")));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^indexer: task")));
    runAndCollect(indexer, &recorder);

    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(recorder.writeChromeTrace(&buffer));
    const QJsonArray events = QJsonDocument::fromJson(buffer.data())
                                  .object()
                                  .value(QStringLiteral("traceEvents"))
                                  .toArray();
    QHash<QString, int> tidOf; // service -> track
    for (const QJsonValue &value : events) {
        const QJsonObject event = value.toObject();
        if (event[QStringLiteral("name")] == QStringLiteral("thread_name"))
            tidOf.insert(event[QStringLiteral("args")][QStringLiteral("name")].toString(),
                         event[QStringLiteral("tid")].toInt());
    }
    auto find = [&](const QString &name, const QString &phase, const QString &service) {
        QList<QJsonObject> found;
        for (const QJsonValue &value : events) {
            const QJsonObject event = value.toObject();
            if (event[QStringLiteral("name")].toString() == name &&
                event[QStringLiteral("ph")].toString() == phase &&
                event[QStringLiteral("tid")].toInt() == tidOf.value(service))
                found.append(event);
        }
        return found;
    };
    // Each hook is a slice inside its service's start or stop.
    for (const QString &service : {QStringLiteral("db"), QStringLiteral("indexer")}) {
        for (const auto &[hook, span] :
             {std::pair{QStringLiteral("start()"), QStringLiteral("start")},
              std::pair{QStringLiteral("stop()"), QStringLiteral("stop")}}) {
            const QList<QJsonObject> hooks = find(hook, QStringLiteral("X"), service);
            const QList<QJsonObject> spans = find(span, QStringLiteral("X"), service);
            QCOMPARE(hooks.size(), 1);
            QCOMPARE(spans.size(), 1);
            const double begin = hooks[0][QStringLiteral("ts")].toDouble();
            const double end = begin + hooks[0][QStringLiteral("dur")].toDouble();
            const double spanBegin = spans[0][QStringLiteral("ts")].toDouble();
            const double spanEnd = spanBegin + spans[0][QStringLiteral("dur")].toDouble();
            QVERIFY2(spanBegin <= begin && end <= spanEnd,
                     qPrintable(QStringLiteral("%1 %2: %3..%4 not in %5..%6")
                                    .arg(service, hook)
                                    .arg(begin)
                                    .arg(end)
                                    .arg(spanBegin)
                                    .arg(spanEnd)));
        }
    }
    // The task: an async slice from its start to its cancellation.
    const QList<QJsonObject> begins =
        find(QStringLiteral("scan"), QStringLiteral("b"), QStringLiteral("indexer"));
    const QList<QJsonObject> ends =
        find(QStringLiteral("scan"), QStringLiteral("e"), QStringLiteral("indexer"));
    QCOMPARE(begins.size(), 1);
    QCOMPARE(ends.size(), 1);
    QCOMPARE(ends[0][QStringLiteral("id")], begins[0][QStringLiteral("id")]);
    QCOMPARE(ends[0][QStringLiteral("args")][QStringLiteral("result")].toString(),
             QStringLiteral("cancelled"));
    // The stalls: slices as long as they blocked.
    const QList<QJsonObject> dbStall =
        find(QStringLiteral("stall: start()"), QStringLiteral("X"), QStringLiteral("db"));
    const QList<QJsonObject> taskStall =
        find(QStringLiteral("stall: task 'scan'"), QStringLiteral("X"), QStringLiteral("indexer"));
    QCOMPARE(dbStall.size(), 1);
    QCOMPARE(taskStall.size(), 1);
    QVERIFY(dbStall[0][QStringLiteral("dur")].toDouble() >= (BlockMs - 10) * 1000.0);
    QVERIFY(taskStall[0][QStringLiteral("args")][QStringLiteral("ms")].toInt() >=
            int(BlockMs) - 10);

    // The text lists them, in the order they happened; the timeline marks them.
    QBuffer text;
    text.open(QIODevice::WriteOnly);
    QVERIFY(recorder.writeCriticalChain(&text));
    const QString chain = QString::fromUtf8(text.data());
    const QRegularExpression listed(QStringLiteral(
        R"(\nStalls \(code that blocked the thread longer than the threshold\):\n +\S+ db start\(\) @\S+ \(main\)\n +\S+ indexer task 'scan' @\S+ \(main\)\n)"));
    QVERIFY2(listed.match(chain).hasMatch(), qPrintable(chain));
    QBuffer svg;
    svg.open(QIODevice::WriteOnly);
    QVERIFY(recorder.writeTimeline(&svg));
    QVERIFY(svg.data().contains("<title>db: start() blocked the thread for "));
    QVERIFY(svg.data().contains("<title>indexer: task 'scan' blocked the thread for "));
}

QTEST_GUILESS_MAIN(tst_Stalls)
#include "tst_stalls.moc"
