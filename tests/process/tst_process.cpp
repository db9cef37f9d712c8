// The manager and the application (docs/contract.md), end to end: the console example runs as a
// real process, is stopped by SIGTERM, SIGINT or by itself, and its stdout log is checked for the
// exact start and stop orders; its exit code for the failure and second-signal cases.

#include "processoutput.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QHash>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtTest/QTest>

#include <algorithm>
#include <functional>

#include <signal.h>

using namespace Qt::StringLiterals;

namespace {

// Generous: CI also runs this under AddressSanitizer.
constexpr int TimeoutMs = 20000;

const QStringList FullCycle{u"Starting"_s, u"Running"_s, u"Stopping"_s, u"Stopped"_s};
const QStringList AllServices{u"Config"_s,  u"Database"_s, u"Cache"_s,
                              u"Metrics"_s, u"Search"_s,   u"Api"_s};

// The console example as a child process, its stdout collected line by line as it arrives.
class Console
{
public:
    explicit Console(const QStringList &arguments)
    {
        m_process.start(QString::fromUtf8(CONSOLE_EXAMPLE), arguments);
    }
    ~Console()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(TimeoutMs);
        }
    }

    bool waitForStarted() { return m_process.waitForStarted(TimeoutMs); }
    void sendSignal(int signal) { ::kill(pid_t(m_process.processId()), signal); }

    // Reads stdout until `condition` holds; false if the process ends or time runs out first.
    bool waitUntil(const std::function<bool()> &condition)
    {
        const QDeadlineTimer deadline(TimeoutMs);
        for (;;) {
            readOutput();
            if (condition())
                return true;
            if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
                return false;
            m_process.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
        }
    }
    bool waitForLine(const QString &text)
    {
        return waitUntil([&] { return hasLine(text); });
    }
    bool waitForTransition(const QString &service, const QString &state)
    {
        return waitUntil([&] { return indexOf(service, state) >= 0; });
    }
    bool waitForExit()
    {
        const bool finished = m_process.waitForFinished(TimeoutMs);
        readOutput();
        return finished;
    }

    int exitCode() const { return m_process.exitCode(); }
    QProcess::ExitStatus exitStatus() const { return m_process.exitStatus(); }
    QString standardError() const { return m_output.standardError(); }
    // Everything the process printed, for failure messages.
    QString dump() const
    {
        return u"stdout:\n"_s + m_output.lines().join(u'\n') + u"\nstderr:\n"_s +
               m_output.standardError();
    }

    // True when a stdout line starts with `text`.
    bool hasLine(const QString &text) const { return m_output.hasLine(text); }
    // The stdout lines that start with `text`.
    QStringList linesWith(const QString &text) const
    {
        QStringList found;
        for (const QString &line : m_output.lines())
            if (line.startsWith(text))
                found.append(line);
        return found;
    }
    // The position of "service state" among all transitions logged, or -1.
    qsizetype indexOf(const QString &service, const QString &state) const
    {
        return m_output.transitions().indexOf(service + u' ' + state);
    }
    // Every state `service` went through, in order.
    QStringList historyOf(const QString &service) const
    {
        QStringList states;
        for (const QString &transition : m_output.transitions()) {
            if (transition.startsWith(service + u' '))
                states.append(transition.mid(service.size() + 1));
        }
        return states;
    }

private:
    void readOutput() { m_output.read(m_process); }

    QProcess m_process;
    ProcessOutput m_output{consoleTransitionPattern()};
};

} // namespace

class tst_Process : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanStopIsTheReverseOfTheStart_data();
    void cleanStopIsTheReverseOfTheStart();
    void startFailureStopsWhatHadStarted();
    void stopFailureStillStopsTheDependencies();
    void secondSignalExitsAtOnce();
    void signalDuringStartStopsWhatStarted();
    void flakyServiceIsRestarted();
    void analyzePrintsTheCriticalChains();
};

void tst_Process::cleanStopIsTheReverseOfTheStart_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("signal"); // sent once the graph runs; 0 for none

    QTest::newRow("SIGTERM") << QStringList() << SIGTERM;
    QTest::newRow("SIGINT") << QStringList() << SIGINT;
    QTest::newRow("--seconds 1") << QStringList{u"--seconds"_s, u"1"_s} << 0;
}

void tst_Process::cleanStopIsTheReverseOfTheStart()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, signal);

    Console console(arguments);
    QVERIFY(console.waitForStarted());
    QVERIFY2(console.waitForLine(u"ready: all 7 services running"_s), qPrintable(console.dump()));
    if (signal != 0)
        console.sendSignal(signal);
    QVERIFY2(console.waitForExit(), qPrintable(console.dump()));
    QCOMPARE(console.exitStatus(), QProcess::NormalExit);
    QCOMPARE(console.exitCode(), 0);

    // Each service started once and stopped once, cleanly.
    for (const QString &service : AllServices)
        QVERIFY2(console.historyOf(service) == FullCycle, qPrintable(console.dump()));
    QVERIFY(console.hasLine(u"summary: stopped cleanly"_s));

    const auto before = [&](const QString &first, const QString &then) {
        const QStringList a = first.split(u' '), b = then.split(u' ');
        return console.indexOf(a[0], a[1]) < console.indexOf(b[0], b[1]);
    };
    // Start: Config before the diamond above it; the group {Database, Cache, Search} before
    // the next stage, Metrics; Metrics before Api.
    for (const QString &member : {u"Database"_s, u"Cache"_s}) {
        QVERIFY(before(u"Config Running"_s, member + u" Starting"_s));
        QVERIFY(before(member + u" Running"_s, u"Metrics Starting"_s));
    }
    QVERIFY(before(u"Search Running"_s, u"Metrics Starting"_s));
    QVERIFY(before(u"Metrics Running"_s, u"Api Starting"_s));

    // Stop, the exact mirror: Api, then Metrics, then the group in parallel, then Config once
    // both Database and Cache have stopped.
    QVERIFY2(before(u"Api Stopped"_s, u"Metrics Stopping"_s), qPrintable(console.dump()));
    for (const QString &member : {u"Database"_s, u"Cache"_s, u"Search"_s})
        QVERIFY2(before(u"Metrics Stopped"_s, member + u" Stopping"_s), qPrintable(console.dump()));
    for (const QString &member : {u"Database"_s, u"Cache"_s})
        QVERIFY2(before(member + u" Stopped"_s, u"Config Stopping"_s), qPrintable(console.dump()));
}

void tst_Process::startFailureStopsWhatHadStarted()
{
    Console console({u"--fail-start"_s, u"Search"_s});
    QVERIFY(console.waitForStarted());
    QVERIFY2(console.waitForExit(), qPrintable(console.dump()));
    QCOMPARE(console.exitStatus(), QProcess::NormalExit);
    QCOMPARE(console.exitCode(), 1);

    // Search failed and its stop() was never called.
    QCOMPARE(console.historyOf(u"Search"_s), (QStringList{u"Starting"_s, u"Failed"_s}));
    // Config (a 20 ms start, long before Search's 300 ms) had started: it is stopped again.
    QCOMPARE(console.historyOf(u"Config"_s), FullCycle);
    // Database and Cache had started too, unless the machine is very slow: either way,
    // whatever started is stopped, before Config.
    for (const QString &service : {u"Database"_s, u"Cache"_s}) {
        const QStringList history = console.historyOf(service);
        QVERIFY2(history.isEmpty() || history == FullCycle, qPrintable(console.dump()));
        QVERIFY(console.indexOf(service, u"Stopped"_s) <
                console.indexOf(u"Config"_s, u"Stopping"_s));
    }
    // The later stages were never started.
    QVERIFY(console.historyOf(u"Metrics"_s).isEmpty());
    QVERIFY(console.historyOf(u"Api"_s).isEmpty());
    QVERIFY(!console.hasLine(u"ready:"_s));

    QVERIFY2(console.standardError().contains(u"Search: start failed: injected start failure"_s),
             qPrintable(console.dump()));
}

void tst_Process::stopFailureStillStopsTheDependencies()
{
    Console console({u"--fail-stop"_s, u"Database"_s});
    QVERIFY(console.waitForStarted());
    QVERIFY2(console.waitForLine(u"ready:"_s), qPrintable(console.dump()));
    console.sendSignal(SIGTERM);
    QVERIFY2(console.waitForExit(), qPrintable(console.dump()));
    QCOMPARE(console.exitStatus(), QProcess::NormalExit);
    QCOMPARE(console.exitCode(), 1);

    QCOMPARE(console.historyOf(u"Database"_s),
             (QStringList{u"Starting"_s, u"Running"_s, u"Stopping"_s, u"Failed"_s}));
    // Stopping went on: Config, which Database needs, still stopped, after it.
    QCOMPARE(console.historyOf(u"Config"_s), FullCycle);
    QVERIFY(console.indexOf(u"Database"_s, u"Failed"_s) <
            console.indexOf(u"Config"_s, u"Stopping"_s));
    for (const QString &service : {u"Cache"_s, u"Metrics"_s, u"Search"_s, u"Api"_s})
        QCOMPARE(console.historyOf(service), FullCycle);

    QVERIFY2(console.standardError().contains(u"Database: stop failed: injected stop failure"_s),
             qPrintable(console.dump()));
}

void tst_Process::secondSignalExitsAtOnce()
{
    Console console({u"--slow-stop"_s, u"Api"_s});
    QVERIFY(console.waitForStarted());
    QVERIFY2(console.waitForLine(u"ready:"_s), qPrintable(console.dump()));
    console.sendSignal(SIGTERM);
    QVERIFY2(console.waitForTransition(u"Api"_s, u"Stopping"_s), qPrintable(console.dump()));
    console.sendSignal(SIGTERM); // while Api takes 2 s to stop
    QVERIFY2(console.waitForExit(), qPrintable(console.dump()));
    QCOMPARE(console.exitStatus(), QProcess::NormalExit);
    QCOMPARE(console.exitCode(), 128 + SIGTERM);

    // It did not wait for Api's stop, nor go on to stop anything else.
    QCOMPARE(console.historyOf(u"Api"_s),
             (QStringList{u"Starting"_s, u"Running"_s, u"Stopping"_s}));
    QCOMPARE(console.historyOf(u"Metrics"_s), (QStringList{u"Starting"_s, u"Running"_s}));
    QVERIFY(!console.hasLine(u"summary:"_s));
    QVERIFY2(console.standardError().contains(u"second interrupt"_s), qPrintable(console.dump()));
}

void tst_Process::signalDuringStartStopsWhatStarted()
{
    Console console({});
    QVERIFY(console.waitForStarted());
    // Search takes 300 ms to start: the signal arrives while it (at least) is still starting.
    QVERIFY2(console.waitForTransition(u"Search"_s, u"Starting"_s), qPrintable(console.dump()));
    console.sendSignal(SIGTERM);
    QVERIFY2(console.waitForExit(), qPrintable(console.dump()));
    QCOMPARE(console.exitStatus(), QProcess::NormalExit);
    QCOMPARE(console.exitCode(), 0);

    // The stop was not lost: the start in flight finished, then everything that started
    // stopped; whatever had not begun yet never started.
    QCOMPARE(console.historyOf(u"Search"_s), FullCycle);
    for (const QString &service : AllServices) {
        const QStringList history = console.historyOf(service);
        QVERIFY2(history.isEmpty() || history == FullCycle,
                 qPrintable(service + u": "_s + history.join(u' ') + u'\n' + console.dump()));
    }
    QVERIFY2(console.hasLine(u"summary: stopped cleanly"_s), qPrintable(console.dump()));
}

// --flaky Database: it crashes 2 to 5 s after its start, and the manager restarts it with what
// needs it (Metrics, in the stage after it, and Api); the log says so, and the rest runs on.
void tst_Process::flakyServiceIsRestarted()
{
    Console console({u"--flaky"_s, u"Database"_s});
    QVERIFY(console.waitForStarted());
    const QString restart = u"restart: Database failed; restarting "_s;
    QVERIFY2(console.waitForLine(restart), qPrintable(console.dump()));
    static const QRegularExpression line(
        u"^restart: Database failed; restarting (.+) in \\d+ ms$"_s);
    const QRegularExpressionMatch match = line.match(console.linesWith(restart).constFirst());
    QVERIFY2(match.hasMatch(), qPrintable(console.dump()));
    QStringList members = match.captured(1).split(u", "_s);
    members.sort();
    QCOMPARE(members, (QStringList{u"Api"_s, u"Database"_s, u"Metrics"_s}));
    const auto runningAgain = [&] {
        return console.historyOf(u"Database"_s).count(u"Running"_s) == 2 &&
               console.historyOf(u"Api"_s).count(u"Running"_s) == 2;
    };
    QVERIFY2(console.waitUntil(runningAgain), qPrintable(console.dump()));
    QVERIFY2(console.hasLine(u"  Api: closing to clients (Restart)"_s), qPrintable(console.dump()));
    console.sendSignal(SIGTERM);
    QVERIFY2(console.waitForExit(), qPrintable(console.dump()));
    QCOMPARE(console.exitStatus(), QProcess::NormalExit);
    QCOMPARE(console.exitCode(), 0); // a restarted failure is no failure of the run

    // A crash of a running service: it is stopped, waits Failed, and starts again.
    QCOMPARE(console.historyOf(u"Database"_s).mid(0, 6),
             (QStringList{u"Starting"_s, u"Running"_s, u"Stopping"_s, u"Failed"_s, u"Starting"_s,
                          u"Running"_s}));
    // Outside the restart: started and stopped once.
    for (const QString &service : {u"Config"_s, u"Cache"_s, u"Search"_s})
        QVERIFY2(console.historyOf(service) == FullCycle, qPrintable(console.dump()));
    QVERIFY(console.hasLine(u"summary: stopped cleanly"_s));
    // The summary's last column: the restarts.
    static const QRegularExpression summary(u"^  (Database|Api|Config) .* (\\d+)$"_s);
    QHash<QString, int> restarts;
    for (const QString &each : console.linesWith(u"  "_s)) {
        const QRegularExpressionMatch row = summary.match(each);
        if (row.hasMatch())
            restarts.insert(row.captured(1), row.captured(2).toInt());
    }
    QVERIFY2(restarts.value(u"Database"_s) >= 1, qPrintable(console.dump()));
    QVERIFY2(restarts.value(u"Api"_s) >= 1, qPrintable(console.dump()));
    QVERIFY2(restarts.value(u"Config"_s, -1) == 0, qPrintable(console.dump()));
}

// --analyze: after the summary, the critical chains of the start and the stop, and blame. The
// start ends with Api, after Metrics, after the slowest of the services before it (Search).
void tst_Process::analyzePrintsTheCriticalChains()
{
    Console console({u"--seconds"_s, u"1"_s, u"--analyze"_s});
    QVERIFY(console.waitForStarted());
    QVERIFY2(console.waitForExit(), qPrintable(console.dump()));
    QCOMPARE(console.exitCode(), 0);
    QVERIFY2(console.hasLine(u"Start critical chain"_s), qPrintable(console.dump()));
    QVERIFY2(console.hasLine(u"Stop critical chain"_s), qPrintable(console.dump()));
    QCOMPARE(console.linesWith(u"Api @"_s).size(), 1);       // the start's chain ends with Api
    QCOMPARE(console.linesWith(u"└─Metrics @"_s).size(), 1); // released by Metrics
    QCOMPARE(console.linesWith(u"  └─Search @"_s).size(), 1);
    QCOMPARE(console.linesWith(u"Config @"_s).size(), 1);    // the stop's chain ends with Config
    QCOMPARE(console.linesWith(u"    └─Api @"_s).size(), 1); // and begins with Api
    QVERIFY2(console.hasLine(u"Blame"_s), qPrintable(console.dump()));
}

QTEST_GUILESS_MAIN(tst_Process)
#include "tst_process.moc"
