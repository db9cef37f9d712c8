// The dashboard example as a real process, unattended: on Qt's offscreen platform (rendered by
// Qt Quick's software backend) it takes a screenshot at a given moment of its run, then stops
// and exits. The test checks the exit code, the manager's transitions it logs, and that the
// screenshot is a real picture of the window: its size, many colours, and the colour of the
// state it was taken in.

#include <QtCore/QFile>
#include <QtCore/QHash>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtGui/QColor>
#include <QtGui/QImage>
#include <QtTest/QTest>

using namespace Qt::StringLiterals;

namespace {

// Generous: CI also runs this under AddressSanitizer.
constexpr int TimeoutMs = 120000;

// The state colours of the badges (LifecycleUi.stateColor() in qml/LifecycleUi.qml).
const QColor Running(u"#23804a"_s);
const QColor Stopping(u"#5e4bc4"_s);
const QColor Failed(u"#c0392b"_s);

struct Run {
    int exitCode = -1;
    QProcess::ExitStatus exitStatus = QProcess::CrashExit;
    QStringList lines; // stdout
    QString standardError;
    QString dump() const
    {
        return u"stdout:\n"_s + lines.join(u'\n') + u"\nstderr:\n"_s + standardError;
    }
};

// Runs the dashboard with `arguments` to the end; false if it did not start or end in time.
bool runDashboard(const QStringList &arguments, Run *run)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
    environment.insert(u"QT_QUICK_BACKEND"_s, u"software"_s);
    process.setProcessEnvironment(environment);
    process.start(QString::fromUtf8(DASHBOARD_EXAMPLE), arguments);
    if (!process.waitForStarted(TimeoutMs))
        return false;
    const bool finished = process.waitForFinished(TimeoutMs);
    if (!finished) {
        process.kill();
        process.waitForFinished(TimeoutMs);
    }
    run->exitCode = process.exitCode();
    run->exitStatus = process.exitStatus();
    run->lines = QString::fromUtf8(process.readAllStandardOutput()).split(u'\n');
    run->standardError = QString::fromUtf8(process.readAllStandardError());
    return finished;
}

// How many pixels of `image` have each colour.
QHash<QRgb, qsizetype> histogram(const QImage &image)
{
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    QHash<QRgb, qsizetype> counts;
    for (int y = 0; y < rgb.height(); ++y) {
        const auto *line = reinterpret_cast<const QRgb *>(rgb.constScanLine(y));
        for (int x = 0; x < rgb.width(); ++x)
            ++counts[line[x] | 0xff000000u];
    }
    return counts;
}

} // namespace

class tst_Dashboard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void screenshot_data();
    void screenshot();
    void startAfterStop();
    void saveTraceWritesAChromeTrace();
    void quitGuardAsksOnlyWithUnsavedChanges_data();
    void quitGuardAsksOnlyWithUnsavedChanges();
};

namespace {

// The lines of `run` that begin with `prefix`, without it.
QStringList linesWith(const Run &run, const QString &prefix)
{
    QStringList found;
    for (const QString &line : run.lines)
        if (line.startsWith(prefix))
            found.append(line.mid(prefix.size()));
    return found;
}

const QString ClosingStops = u"Closing the window stops the services gracefully first."_s;
const QString ClosingQuits = u"No service runs: closing the window quits at once."_s;

} // namespace

void tst_Dashboard::screenshot_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QStringList>("transitions"); // of the manager, in order
    QTest::addColumn<QColor>("stateColour");      // of the state the screenshot shows
    QTest::addColumn<int>("restarts");            // "restart: " lines

    QTest::newRow("running") << QStringList() << 0
                             << QStringList{u"Starting"_s, u"Running"_s, u"Stopping"_s,
                                            u"Stopped"_s}
                             << Running << 0;
    // The start is rolled back and the run ends: the final state, with its error, is shot.
    QTest::newRow("failed start") << QStringList{u"--fail-start"_s, u"Database"_s} << 1
                                  << QStringList{u"Starting"_s, u"Stopping"_s, u"Failed"_s}
                                  << Failed << 0;
    // The window is closed once running: it stays open while the services stop, half-way
    // through which it is shot, and the program ends once they have all stopped.
    QTest::newRow("window closed")
        << QStringList{u"--screenshot-when"_s, u"stopping"_s} << 0
        << QStringList{u"Starting"_s, u"Running"_s, u"Stopping"_s, u"Stopped"_s} << Stopping << 0;
    // Network crashes 2 to 5 s after each start and is restarted, with Sync, which needs it. The
    // shot is taken while its second restart waits (Failed; restarted once so far); the stop
    // then cancels that restart, and the run ends cleanly: the manager never left Running.
    QTest::newRow("flaky") << QStringList{u"--flaky"_s, u"Network"_s, u"--screenshot-when"_s,
                                          u"restart"_s}
                           << 0
                           << QStringList{u"Starting"_s, u"Running"_s, u"Stopping"_s, u"Stopped"_s}
                           << Failed << 2;
}

void tst_Dashboard::screenshot()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QStringList, transitions);
    QFETCH(QColor, stateColour);
    QFETCH(int, restarts);

    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    const QString file = directory.filePath(u"dashboard.png"_s);

    Run run;
    QVERIFY2(runDashboard(arguments + QStringList{u"--screenshot"_s, file}, &run),
             qPrintable(run.dump()));
    QCOMPARE(run.exitStatus, QProcess::NormalExit);
    QVERIFY2(run.exitCode == exitCode, qPrintable(run.dump()));

    QStringList logged;
    QSize windowSize;
    static const QRegularExpression shot(u"^screenshot: (\\d+)x(\\d+) window saved to "_s);
    for (const QString &line : std::as_const(run.lines)) {
        if (line.startsWith(u"manager: "_s))
            logged.append(line.mid(9));
        const QRegularExpressionMatch match = shot.match(line);
        if (match.hasMatch())
            windowSize = QSize(match.captured(1).toInt(), match.captured(2).toInt());
    }
    QVERIFY2(logged == transitions, qPrintable(run.dump()));
    const QStringList restarted = linesWith(run, u"restart: "_s);
    QVERIFY2(restarted.size() == restarts, qPrintable(run.dump()));
    static const QRegularExpression restart(
        u"^Network in \\d+ ms: (Network, Sync|Sync, Network)$"_s);
    for (const QString &line : restarted)
        QVERIFY2(restart.match(line).hasMatch(), qPrintable(line));
    if (restarts > 0) // ran, and ran again after its first restart
        QCOMPARE(linesWith(run, u"service: Network Running"_s).size(), restarts);
    // No QML warning (a binding to a missing property...) and, in a sanitizer build, no
    // undefined behaviour report.
    QVERIFY2(!run.standardError.contains(u"qrc:/Dashboard/"_s), qPrintable(run.dump()));
    QVERIFY2(!run.standardError.contains(u"runtime error:"_s), qPrintable(run.dump()));
    QVERIFY2(windowSize.isValid(), qPrintable(run.dump()));

    // A real picture of the whole window, not a blank or a failed grab.
    QImage image;
    QVERIFY2(image.load(file), qPrintable(file));
    QCOMPARE(image.size(), windowSize); // the offscreen platform has a device pixel ratio of 1
    QVERIFY(image.width() >= 800 && image.height() >= 480); // the window's minimum size
    const QHash<QRgb, qsizetype> colours = histogram(image);
    QVERIFY2(colours.size() >= 32, qPrintable(QString::number(colours.size())));
    qsizetype mostCommon = 0;
    for (const qsizetype count : colours)
        mostCommon = qMax(mostCommon, count);
    const qsizetype pixels = qsizetype(image.width()) * image.height();
    QVERIFY2(mostCommon < pixels * 9 / 10, "one colour covers almost all of the window");
    // The state badges are drawn: hundreds of pixels of the state's colour.
    const qsizetype stateArea = colours.value(stateColour.rgb(), 0);
    qInfo("%dx%d, %lld colours, the most common on %lld pixels, %lld pixels of %s", image.width(),
          image.height(), qlonglong(colours.size()), qlonglong(mostCommon), qlonglong(stateArea),
          qPrintable(stateColour.name()));
    QVERIFY2(stateArea >= 500,
             qPrintable(u"%1 pixels of %2"_s.arg(stateArea).arg(stateColour.name())));
}

// Stop is no dead end: Start starts the services again, and the footer says what closing the
// window does in each state.
void tst_Dashboard::startAfterStop()
{
    Run run;
    QVERIFY2(runDashboard({u"--press"_s, u"stop,start,close"_s}, &run), qPrintable(run.dump()));
    QCOMPARE(run.exitStatus, QProcess::NormalExit);
    QVERIFY2(run.exitCode == 0, qPrintable(run.dump()));
    QCOMPARE(linesWith(run, u"manager: "_s),
             (QStringList{u"Starting"_s, u"Running"_s, u"Stopping"_s, u"Stopped"_s, u"Starting"_s,
                          u"Running"_s, u"Stopping"_s, u"Stopped"_s}));
    QCOMPARE(linesWith(run, u"press: "_s),
             (QStringList{u"stop (footer: "_s + ClosingStops + u')',
                          u"start (footer: "_s + ClosingQuits + u')',
                          u"close (footer: "_s + ClosingStops + u')'}));
    QCOMPARE(linesWith(run, u"stop reason: "_s), (QStringList{u"Requested"_s, u"WindowClosed"_s}));
    QVERIFY2(!run.standardError.contains(u"qrc:/"_s), qPrintable(run.dump()));
}

void tst_Dashboard::quitGuardAsksOnlyWithUnsavedChanges_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("guard");       // its lines, in order
    QTest::addColumn<QStringList>("stopReasons"); // in order

    const QString asking = u"unsaved changes, asking"_s;
    QTest::newRow("switch off") << QStringList{u"--press"_s, u"close"_s} << QStringList()
                                << QStringList{u"WindowClosed"_s};
    QTest::newRow("save") << QStringList{u"--pretend-unsaved"_s, u"--answer"_s, u"save"_s,
                                         u"--press"_s, u"close"_s}
                          << QStringList{asking, u"Save"_s} << QStringList{u"WindowClosed"_s};
    QTest::newRow("discard") << QStringList{u"--pretend-unsaved"_s, u"--answer"_s, u"discard"_s,
                                            u"--press"_s, u"close"_s}
                             << QStringList{asking, u"Discard"_s} << QStringList{u"WindowClosed"_s};
    // Cancel: nothing stops and the window stays; the services are stopped with Stop after.
    QTest::newRow("cancel") << QStringList{u"--pretend-unsaved"_s, u"--answer"_s, u"cancel"_s,
                                           u"--press"_s, u"close,stop,close"_s}
                            << QStringList{asking, u"Cancel"_s} << QStringList{u"Requested"_s};
}

void tst_Dashboard::quitGuardAsksOnlyWithUnsavedChanges()
{
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, guard);
    QFETCH(QStringList, stopReasons);

    Run run;
    QVERIFY2(runDashboard(arguments, &run), qPrintable(run.dump()));
    QCOMPARE(run.exitStatus, QProcess::NormalExit);
    QVERIFY2(run.exitCode == 0, qPrintable(run.dump()));
    QCOMPARE(linesWith(run, u"quit guard: "_s), guard);
    QCOMPARE(linesWith(run, u"stop reason: "_s), stopReasons);
    QCOMPARE(linesWith(run, u"manager: "_s),
             (QStringList{u"Starting"_s, u"Running"_s, u"Stopping"_s, u"Stopped"_s}));
    QVERIFY2(!run.standardError.contains(u"qrc:/"_s), qPrintable(run.dump()));
}

QTEST_GUILESS_MAIN(tst_Dashboard)
// "Save trace" writes what the recorder saw since before the start, for Perfetto: a start slice
// on the track of each of the six services, and their hooks.
void tst_Dashboard::saveTraceWritesAChromeTrace()
{
    QTemporaryDir dir;
    Run run;
    QVERIFY2(runDashboard({u"--press"_s, u"saveTrace,close"_s, u"--trace-dir"_s, dir.path()}, &run),
             qPrintable(run.dump()));
    QVERIFY2(run.exitCode == 0, qPrintable(run.dump()));
    const QStringList saved = linesWith(run, u"trace: saved to "_s);
    QCOMPARE(saved.size(), 1);
    QVERIFY2(saved[0].startsWith(dir.path() + u"/qlifecycle-dashboard-"_s) &&
                 saved[0].endsWith(u".json"_s),
             qPrintable(saved[0]));
    QFile file(saved[0]);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QHash<int, QString> tracks;
    QMultiHash<QString, int> slices; // name -> track
    for (const QJsonValue &value : document.object()[u"traceEvents"_s].toArray()) {
        const QJsonObject event = value.toObject();
        if (event[u"name"_s] == u"thread_name"_s)
            tracks.insert(event[u"tid"_s].toInt(), event[u"args"_s][u"name"_s].toString());
        else if (event[u"ph"_s] == u"X"_s)
            slices.insert(event[u"name"_s].toString(), event[u"tid"_s].toInt());
    }
    QStringList started, called;
    for (const int tid : slices.values(u"start"_s))
        started.append(tracks.value(tid));
    for (const int tid : slices.values(u"start()"_s))
        called.append(tracks.value(tid));
    started.sort();
    called.sort();
    const QStringList six{u"Cache"_s,       u"Database"_s, u"Network"_s,
                          u"SearchIndex"_s, u"Settings"_s, u"Sync"_s};
    QCOMPARE(started, six);
    QCOMPARE(called, six);
}

#include "tst_dashboard.moc"
