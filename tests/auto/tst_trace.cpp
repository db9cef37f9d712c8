// The trace recorder and its exports (docs/observability.md).

#include <QLifecycle/ServiceManager>
#include <QLifecycle/TraceRecorder>

#include "outcome.h"
#include "restartkit.h"
#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>
#include <QLifecycle/testkit/virtualclock.h>

#include <QtCore/QBuffer>
#include <QtCore/QHash>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtCore/QXmlStreamReader>
#include <QtTest/QTest>

#include <memory>
#include <vector>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;
using State = QService::State;

namespace {
using Writer = bool (TraceRecorder::*)(QIODevice *) const;

QByteArray exported(const TraceRecorder &recorder, Writer writer)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    (recorder.*writer)(&buffer);
    return buffer.data();
}

// base (10 ms) -> left (30 ms) and right (50 ms) -> top (5 ms): the start waits for right.
struct Diamond {
    EventLog log;
    ScriptedService base{QStringLiteral("base"), &log}, left{QStringLiteral("left"), &log},
        right{QStringLiteral("right"), &log}, top{QStringLiteral("top"), &log};
    Diamond()
    {
        base.onStart.delay = 10ms;
        left.onStart.delay = 30ms;
        right.onStart.delay = 50ms;
        top.onStart.delay = 5ms;
        left.onStop.delay = 20ms; // the stop waits for left
        right.onStop.delay = 5ms;
        left.deps = {&base};
        right.deps = {&base};
        top.deps = {{&left, &right}};
    }
};

// Starts and stops the diamond on the virtual clock, recorded.
void runDiamond(Diamond &diamond, TraceRecorder &recorder, VirtualClock &clock)
{
    ServiceManager manager(&diamond.top);
    recorder.attach(&manager);
    const auto started = launch(manager.start());
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_VERIFY(started->done);
    QCOMPARE(manager.state(), State::Running);
    const auto stopped = launch(manager.stop());
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_VERIFY(stopped->done);
    recorder.detach();
}

QJsonArray traceEvents(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning() << "the trace is no JSON:" << error.errorString();
    return document.object().value(QStringLiteral("traceEvents")).toArray();
}
} // namespace

class tst_Trace : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void criticalChainOfADiamondFollowsTheSlowestPath();
    void criticalPathIsTheSumOfTheDurationsAlongTheChain();
    void aStageAfterAGroupIsReleasedByTheSlowestOfTheGroup();
    void chainTextPrintsStartStopAndBlame();
    void chromeTraceIsWellFormed();
    void failureIsAnInstantEvent();
    void restartIsRecordedAndNoPartOfTheStartChain();
    void optionalEdgesAreDashedInDot();
    void timelineHasARowPerService_data();
    void timelineHasARowPerService();
    void unknownExtensionIsRefusedWithAWarning();
    void runWritesTheTraceOfTheEnvironmentAfterAFailure();
    void recordsRealTimeOnTheMainThread();
};

void tst_Trace::criticalChainOfADiamondFollowsTheSlowestPath()
{
    VirtualClock clock;
    Diamond diamond;
    TraceRecorder recorder;
    runDiamond(diamond, recorder, clock);
    QCOMPARE(recorder.startCriticalChain(),
             (QStringList{QStringLiteral("top"), QStringLiteral("right"), QStringLiteral("base")}));
    QCOMPARE(recorder.releasedBy(QStringLiteral("top")), QStringLiteral("right"));
    QCOMPARE(recorder.releasedBy(QStringLiteral("left")), QStringLiteral("base"));
    QCOMPARE(recorder.releasedBy(QStringLiteral("base")), QString());
    // The stop: top, then left (20 ms) and right (5 ms), then base.
    QCOMPARE(recorder.stopCriticalChain(),
             (QStringList{QStringLiteral("base"), QStringLiteral("left"), QStringLiteral("top")}));
}

void tst_Trace::criticalPathIsTheSumOfTheDurationsAlongTheChain()
{
    VirtualClock clock;
    Diamond diamond;
    TraceRecorder recorder;
    QCOMPARE(recorder.startCriticalPathNs(), qint64(0)); // nothing recorded yet
    QCOMPARE(recorder.stopCriticalPathNs(), qint64(0));
    runDiamond(diamond, recorder, clock);
    // Start: base (10 ms), right (50 ms), top (5 ms); left (30 ms) is off the chain.
    QCOMPARE(recorder.startCriticalPathNs(), qint64(65'000'000));
    // Stop: top (0), left (20 ms), base (0); right (5 ms) is off the chain.
    QCOMPARE(recorder.stopCriticalPathNs(), qint64(20'000'000));
    recorder.clear();
    QCOMPARE(recorder.startCriticalPathNs(), qint64(0));
}

void tst_Trace::chainTextPrintsStartStopAndBlame()
{
    VirtualClock clock;
    Diamond diamond;
    TraceRecorder recorder;
    runDiamond(diamond, recorder, clock);
    const QString text = QString::fromUtf8(exported(recorder, &TraceRecorder::writeCriticalChain));
    QVERIFY2(text.contains(QStringLiteral("top @60ms +5ms\n"
                                          "└─right @10ms +50ms\n"
                                          "  └─base @0 +10ms\n")),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("base @20ms +0\n"
                                          "└─left @0 +20ms\n"
                                          "  └─top @0 +0\n")),
             qPrintable(text));
    const qsizetype blame = text.indexOf(QStringLiteral("Blame"));
    QVERIFY(blame > 0);
    const qsizetype stalls = text.indexOf(QStringLiteral("\nStalls"));
    QVERIFY(stalls > blame);
    QVERIFY2(text.mid(stalls).startsWith(QStringLiteral("\nStalls (code that blocked the thread "
                                                        "longer than the threshold): none\n")),
             qPrintable(text));
    const QStringList lines = text.mid(blame, stalls - blame).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 5);
    QCOMPARE(lines[1].simplified(), QStringLiteral("50ms right"));
    QCOMPARE(lines[4].simplified(), QStringLiteral("5ms top"));
}

void tst_Trace::chromeTraceIsWellFormed()
{
    VirtualClock clock;
    Diamond diamond;
    TraceRecorder recorder;
    runDiamond(diamond, recorder, clock);
    const QJsonArray events = traceEvents(exported(recorder, &TraceRecorder::writeChromeTrace));
    QVERIFY(!events.isEmpty());
    QHash<int, QStringList> flows; // id -> phases
    QStringList tracks;
    int slices = 0, hooks = 0, counters = 0;
    for (const QJsonValue &value : events) {
        const QJsonObject event = value.toObject();
        for (const char *key : {"name", "ph", "ts", "pid", "tid"})
            QVERIFY2(event.contains(QLatin1String(key)), key);
        const QString phase = event.value(QStringLiteral("ph")).toString();
        if (phase == u"X") {
            ++(event.value(QStringLiteral("cat")).toString() == u"hook" ? hooks : slices);
            QVERIFY(event.value(QStringLiteral("dur")).toDouble(-1) >= 0);
        } else if (phase == u"s" || phase == u"f") {
            flows[event.value(QStringLiteral("id")).toInt()].append(phase);
        } else if (phase == u"C") {
            ++counters;
        } else if (phase == u"M" &&
                   event.value(QStringLiteral("name")).toString() == u"thread_name") {
            tracks.append(event[QStringLiteral("args")][QStringLiteral("name")].toString());
        }
    }
    QCOMPARE(slices, 8); // a start and a stop per service
    QCOMPARE(hooks, 8);  // inside each, the call of its start() or stop()
    QVERIFY(counters > 0);
    QVERIFY(tracks.contains(QStringLiteral("right")));
    QCOMPARE(flows.size(), 6); // each release: 3 starts, 3 stops
    for (const QStringList &phases : std::as_const(flows))
        QCOMPARE(phases, (QStringList{QStringLiteral("s"), QStringLiteral("f")}));
}

void tst_Trace::failureIsAnInstantEvent()
{
    ScriptedService broken(QStringLiteral("broken")), root(QStringLiteral("root"));
    broken.onStart.fail = true;
    broken.onStart.failMessage = QStringLiteral("no disk");
    root.deps = {&broken};
    ServiceManager manager(&root);
    TraceRecorder recorder(&manager);
    QVERIFY(expectError(manager.start()));
    const QJsonArray events = traceEvents(exported(recorder, &TraceRecorder::writeChromeTrace));
    int tid = -1;
    for (const QJsonValue &value : events)
        if (value[QStringLiteral("ph")].toString() == u"M" &&
            value[QStringLiteral("args")][QStringLiteral("name")].toString() == u"broken")
            tid = value[QStringLiteral("tid")].toInt();
    QVERIFY(tid > 0);
    bool found = false;
    for (const QJsonValue &value : events)
        found =
            found || (value[QStringLiteral("ph")].toString() == u"i" &&
                      value[QStringLiteral("name")].toString() == u"failure" &&
                      value[QStringLiteral("tid")].toInt() == tid &&
                      value[QStringLiteral("args")][QStringLiteral("message")].toString().contains(
                          QStringLiteral("no disk")));
    QVERIFY(found);
}

void tst_Trace::restartIsRecordedAndNoPartOfTheStartChain()
{
    VirtualClock clock;
    Diamond diamond;
    diamond.right.setRestartPolicy(restartkit::quick());
    ServiceManager manager(&diamond.top);
    TraceRecorder recorder(&manager);
    const auto started = launch(manager.start());
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_VERIFY(started->done);
    diamond.right.addTask(restartkit::crashNow("boom"));
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_COMPARE(diamond.right.restartCount(), 1);
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_COMPARE(diamond.top.state(), State::Running);
    QCOMPARE(diamond.top.startCalls, 2); // taken down with right, and started again
    QCOMPARE(recorder.startCriticalChain(),
             (QStringList{QStringLiteral("top"), QStringLiteral("right"), QStringLiteral("base")}));
    QCOMPARE(recorder.releasedBy(QStringLiteral("top")), QStringLiteral("right")); // the restart
    QStringList instants;
    for (const QJsonValue &value :
         traceEvents(exported(recorder, &TraceRecorder::writeChromeTrace)))
        if (value[QStringLiteral("ph")].toString() == u"i")
            instants.append(value[QStringLiteral("name")].toString());
    QVERIFY2(instants.contains(QStringLiteral("failure")), qPrintable(instants.join(u',')));
    QVERIFY2(instants.contains(QStringLiteral("restart scheduled")),
             qPrintable(instants.join(u',')));
    const auto stopped = launch(manager.stop());
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_VERIFY(stopped->done);
}

void tst_Trace::optionalEdgesAreDashedInDot()
{
    ScriptedService telemetry(QStringLiteral("telemetry")), db(QStringLiteral("db")),
        root(QStringLiteral("root"));
    telemetry.setOptional(true);
    root.deps = {optional(&telemetry), &db};
    ServiceManager manager(&root);
    TraceRecorder recorder(&manager);
    runBlocking(manager.start());
    const QString dot = QString::fromUtf8(exported(recorder, &TraceRecorder::writeGraph));
    // n0 is root (the run's first service); the label names each node.
    auto node = [&dot](const QString &name) {
        const QRegularExpression label(QStringLiteral("(n\\d+) \\[label=\"%1\\\\n").arg(name));
        return label.match(dot).captured(1);
    };
    const QString r = node(QStringLiteral("root")), t = node(QStringLiteral("telemetry")),
                  d = node(QStringLiteral("db"));
    QVERIFY2(!r.isEmpty() && !t.isEmpty() && !d.isEmpty(), qPrintable(dot));
    QVERIFY2(dot.contains(QStringLiteral("%1 -> %2 [style=dashed").arg(r, t)), qPrintable(dot));
    QVERIFY2(dot.contains(QStringLiteral("%1 -> %2;").arg(r, d)), qPrintable(dot));
    QVERIFY(dot.contains(QStringLiteral("Running\\nstart @")));
    runBlocking(manager.stop());

    const QString graphviz = QStandardPaths::findExecutable(QStringLiteral("dot"));
    if (graphviz.isEmpty())
        QSKIP("Graphviz's dot is not installed (scripts/setup.sh installs it)");
    QProcess process;
    process.start(graphviz, {QStringLiteral("-Tsvg")});
    process.write(dot.toUtf8());
    process.closeWriteChannel();
    QVERIFY(process.waitForFinished(30000));
    QCOMPARE(process.exitCode(), 0);
    QVERIFY(process.readAllStandardOutput().contains("<svg"));
}

void tst_Trace::timelineHasARowPerService_data()
{
    QTest::addColumn<int>("count");
    QTest::newRow("6 services") << 6;
    QTest::newRow("300 services") << 300;
}

void tst_Trace::timelineHasARowPerService()
{
    QFETCH(int, count);
    VirtualClock clock;
    std::vector<std::unique_ptr<ScriptedService>> members;
    QList<QService *> group;
    for (int i = 1; i < count; ++i) {
        members.push_back(std::make_unique<ScriptedService>(QStringLiteral("member%1").arg(i)));
        members.back()->onStart.delay = std::chrono::milliseconds(i % 7);
        group.append(members.back().get());
    }
    ScriptedService root(QStringLiteral("root"));
    root.deps = {Stage(group)};
    ServiceManager manager(&root);
    TraceRecorder recorder(&manager);
    const auto started = launch(manager.start());
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_VERIFY(started->done);
    QXmlStreamReader svg(exported(recorder, &TraceRecorder::writeTimeline));
    int rows = 0, marks = 0;
    while (!svg.atEnd()) {
        if (svg.readNext() != QXmlStreamReader::StartElement)
            continue;
        rows += svg.attributes().value(QStringLiteral("class")) == u"service" ? 1 : 0;
        marks += svg.attributes().value(QStringLiteral("class")) == u"axis" ? 1 : 0;
    }
    QVERIFY2(!svg.hasError(), qPrintable(svg.errorString()));
    QCOMPARE(rows, count);
    QCOMPARE(marks, 1);
    const auto stopped = launch(manager.stop());
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_VERIFY(stopped->done);
}

void tst_Trace::unknownExtensionIsRefusedWithAWarning()
{
    TraceRecorder recorder;
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("trace.csv"));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                           "unknown extension \"csv\" \\(use .json, .svg")));
    QVERIFY(!recorder.save(path));
    QVERIFY(!QFile::exists(path));
}

void tst_Trace::runWritesTheTraceOfTheEnvironmentAfterAFailure()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("run.txt"));
    qputenv("QLIFECYCLE_TRACE", path.toLocal8Bit());
    ScriptedService broken(QStringLiteral("broken")), root(QStringLiteral("root"));
    broken.onStart.fail = true;
    root.deps = {&broken};
    ServiceManager manager(&root);
    const int code = manager.run();
    qunsetenv("QLIFECYCLE_TRACE");
    QCOMPARE(code, 1);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY2(text.contains("Blame"), text.constData());
    QVERIFY2(text.contains("broken (failed)"), text.constData());
}

void tst_Trace::recordsRealTimeOnTheMainThread()
{
    ScriptedService slow(QStringLiteral("slow")), root(QStringLiteral("root"));
    slow.onStart.delay = 20ms;
    root.deps = {&slow};
    ServiceManager manager(&root);
    TraceRecorder recorder(&manager);
    QVERIFY(recorder.isEmpty());
    runBlocking(manager.start());
    QVERIFY(!recorder.isEmpty());
    const QJsonArray events = traceEvents(exported(recorder, &TraceRecorder::writeChromeTrace));
    double slowStart = -1;
    for (const QJsonValue &value : events)
        if (value[QStringLiteral("ph")].toString() == u"X" &&
            value[QStringLiteral("args")][QStringLiteral("service")].toString() == u"slow") {
            slowStart = value[QStringLiteral("dur")].toDouble();
            QCOMPARE(value[QStringLiteral("args")][QStringLiteral("thread")].toString(),
                     QStringLiteral("main"));
        }
    QVERIFY2(slowStart >= 19000, qPrintable(QString::number(slowStart))); // microseconds
    runBlocking(manager.stop());
}

// api lists {{db, search}, metrics}: metrics waits for the whole group (the graph's stages),
// though it declares nothing; the chain goes through the slower of the group.
void tst_Trace::aStageAfterAGroupIsReleasedByTheSlowestOfTheGroup()
{
    VirtualClock clock;
    ScriptedService db(QStringLiteral("db")), search(QStringLiteral("search")),
        metrics(QStringLiteral("metrics")), api(QStringLiteral("api"));
    db.onStart.delay = 10ms;
    search.onStart.delay = 40ms;
    metrics.onStart.delay = 5ms;
    api.deps = {{&db, &search}, &metrics};
    ServiceManager manager(&api);
    TraceRecorder recorder(&manager);
    const auto started = launch(manager.start());
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_VERIFY(started->done);
    QCOMPARE(recorder.releasedBy(QStringLiteral("metrics")), QStringLiteral("search"));
    QCOMPARE(
        recorder.startCriticalChain(),
        (QStringList{QStringLiteral("api"), QStringLiteral("metrics"), QStringLiteral("search")}));
    const auto stopped = launch(manager.stop());
    QVERIFY(clock.advanceUntilIdle(10s));
    QTRY_VERIFY(stopped->done);
}

QTEST_GUILESS_MAIN(tst_Trace)

#include "tst_trace.moc"
