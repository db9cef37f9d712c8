// The manager and the application (docs/contract.md) under a signal storm: the console example and
// the dashboard (offscreen) run as real processes, hundreds of times, and get SIGTERM or SIGINT,
// once or twice, at random moments: during the start, while running, during the stop. The moments
// are picked from the lines the programs print (their transitions) plus small random delays, from
// one seed.
//
// Whatever the moment, the outcome must be one of the documented ones (docs/lifecycle.md):
// * a normal exit with 0 after a clean stop or 1 after a failure, and then the log shows a valid
//   start and stop order with nothing left running;
// * exit code 128 + signal after a second signal (only the exit code is checked then; two
//   signals that arrive together may be handled in either order, so either may count as second);
// * death by a signal that was sent after run() had returned (its handlers are restored then):
//   the log must show that the graph had stopped.
// Every run has a hard deadline. Nothing asserted depends on scheduling: each possible
// interleaving maps to one of the outcomes above.
//
// Environment: QLIFECYCLE_STORM_SEED (replay), QLIFECYCLE_STORM_RUNS (default 200, a quarter of
// them dashboards), QLIFECYCLE_STORM_ONLY (replay one run), QLIFECYCLE_STORM_JOBS (processes at a
// time, default 4), QLIFECYCLE_STORM_DEADLINE_MS (per run, default 60000).

#include "processoutput.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QProcess>
#include <QtCore/QRandomGenerator>
#include <QtCore/QRegularExpression>
#include <QtCore/QThread>
#include <QtTest/QTest>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <signal.h>

using namespace Qt::StringLiterals;

namespace {

int envInt(const char *name, int fallback)
{
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok ? value : fallback;
}

// One program: how to recognise its transition lines, and its graph (service -> dependencies).
struct Program {
    QString name;
    QString path;
    QRegularExpression transition; // captures (service, state)
    QStringList services;
    std::multimap<QString, QString> needs; // dependent -> dependency, stages flattened
    QStringList terminal;                  // line prefixes printed once the graph has stopped
    // Of `needs`, the dependencies the dependent does not wait for (deferred: docs/lifecycle.md,
    // "Start policies"); it still stops before them.
    std::set<std::pair<QString, QString>> soft;
};

Program console()
{
    Program p{u"console"_s,
              QString::fromUtf8(CONSOLE_EXAMPLE),
              consoleTransitionPattern(),
              {u"Config"_s, u"Database"_s, u"Cache"_s, u"Metrics"_s, u"Search"_s, u"Telemetry"_s,
               u"Api"_s},
              {},
              {u"summary:"_s},
              {}};
    for (const auto &[a, b] : {std::pair{u"Database"_s, u"Config"_s},
                               {u"Cache"_s, u"Config"_s},
                               {u"Metrics"_s, u"Database"_s},
                               {u"Metrics"_s, u"Cache"_s},
                               {u"Metrics"_s, u"Search"_s},
                               {u"Api"_s, u"Metrics"_s},
                               {u"Api"_s, u"Database"_s},
                               {u"Api"_s, u"Cache"_s},
                               {u"Api"_s, u"Search"_s},
                               {u"Api"_s, u"Telemetry"_s},
                               {u"Metrics"_s, u"Telemetry"_s}})
        p.needs.emplace(a, b);
    p.soft = {{u"Api"_s, u"Telemetry"_s}, {u"Metrics"_s, u"Telemetry"_s}};
    return p;
}

#ifdef DASHBOARD_EXAMPLE
Program dashboard()
{
    Program p{u"dashboard"_s,
              QString::fromUtf8(DASHBOARD_EXAMPLE),
              QRegularExpression(u"^service: (\\w+) (\\w+)"_s),
              {u"Settings"_s, u"Database"_s, u"Network"_s, u"Cache"_s, u"SearchIndex"_s, u"Sync"_s},
              {},
              {u"manager: Stopped"_s, u"manager: Failed"_s},
              {}};
    for (const auto &[a, b] : {std::pair{u"Database"_s, u"Settings"_s},
                               {u"Network"_s, u"Settings"_s},
                               {u"Cache"_s, u"Database"_s},
                               {u"SearchIndex"_s, u"Database"_s},
                               {u"Sync"_s, u"Network"_s},
                               {u"Sync"_s, u"Cache"_s},
                               {u"Sync"_s, u"SearchIndex"_s}})
        p.needs.emplace(a, b);
    p.soft = {{u"Sync"_s, u"SearchIndex"_s}};
    return p;
}
#endif

// A program running as a child process; every wait is bounded by the run's deadline.
class Child
{
public:
    Child(const Program &program, const QStringList &arguments, const QDeadlineTimer &deadline)
        : m_program(program), m_deadline(deadline), m_output(program.transition)
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
        environment.insert(u"QT_QUICK_BACKEND"_s, u"software"_s);
        m_process.setProcessEnvironment(environment);
        m_process.start(program.path, arguments);
        m_process.waitForStarted(int(qMax<qint64>(1, deadline.remainingTime())));
    }
    ~Child()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(10000);
        }
    }

    // Reads output until `condition` holds (true), or the process ends or the deadline passes.
    bool waitUntil(const std::function<bool()> &condition)
    {
        for (;;) {
            read();
            if (condition())
                return true;
            if (m_deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
                return false;
            m_process.waitForReadyRead(
                int(qBound(qint64(1), m_deadline.remainingTime(), qint64(200))));
        }
    }
    // Sends `signal` if the process still runs; true if it was sent.
    bool send(int signal)
    {
        const qint64 pid = m_process.processId();
        if (m_process.state() != QProcess::Running || pid <= 0)
            return false;
        return ::kill(pid_t(pid), signal) == 0;
    }
    bool waitForExit()
    {
        // (waitForFinished() is false for a process that has already finished.)
        const bool done =
            m_process.state() == QProcess::NotRunning ||
            m_process.waitForFinished(int(qMax<qint64>(1, m_deadline.remainingTime())));
        read();
        return done && m_process.state() == QProcess::NotRunning;
    }

    const QStringList &lines() const { return m_output.lines(); }
    const QStringList &transitions() const { return m_output.transitions(); }
    qsizetype transitionCount(const QString &state) const
    {
        return std::count_if(transitions().cbegin(), transitions().cend(),
                             [&](const QString &t) { return t.endsWith(u' ' + state); });
    }
    bool hasLine(const QString &prefix) const { return m_output.hasLine(prefix); }
    QProcess &process() { return m_process; }
    QString standardError() const { return m_output.standardError(); }

private:
    void read() { m_output.read(m_process); }

    const Program &m_program;
    QDeadlineTimer m_deadline;
    QProcess m_process;
    ProcessOutput m_output;
};

struct Outcome {
    QString program;
    QString plan;    // arguments, signals and moments: enough to understand a failure
    QString failure; // empty when the run passed
    QString kind;    // "exit 0", "exit 1", "exit 143", "killed by 15"
    qint64 elapsedMs = 0;
};

// The transitions of each service, in order; checks them against the state diagram, the stop
// order and the faults injected. Returns an error message, or an empty string.
QString checkLog(const Program &program, const Child &child, const QString &faulty, int exitCode)
{
    QHash<QString, QStringList> history;
    QHash<QString, qsizetype> firstIndex; // "Api Stopping" -> position in the log
    for (qsizetype i = 0; i < child.transitions().size(); ++i) {
        const QStringList parts = child.transitions()[i].split(u' ');
        history[parts[0]].append(parts[1]);
        firstIndex.insert(child.transitions()[i], i);
    }
    static const QHash<QString, QStringList> next{
        {u""_s, {u"Starting"_s}},
        {u"Starting"_s, {u"Running"_s, u"Failed"_s, u"Stopped"_s}},
        {u"Running"_s, {u"Stopping"_s}},
        {u"Stopping"_s, {u"Stopped"_s, u"Failed"_s}},
        {u"Stopped"_s, {}},
        {u"Failed"_s, {}}};
    bool anyFailed = false;
    for (const QString &service : program.services) {
        const QStringList states = history.value(service);
        QString previous;
        for (const QString &state : states) {
            if (!next.value(previous).contains(state))
                return u"%1: %2 after %3"_s.arg(service, state, previous);
            previous = state;
        }
        if (!states.isEmpty() && previous != u"Stopped"_s && previous != u"Failed"_s)
            return u"%1 left %2"_s.arg(service, previous);
        if (previous == u"Failed"_s) {
            if (service != faulty)
                return u"%1 failed, but the fault was injected into '%2'"_s.arg(service, faulty);
            anyFailed = true;
        }
    }
    if (exitCode >= 0 && exitCode != (anyFailed ? 1 : 0))
        return u"exit code %1, but %2"_s.arg(exitCode).arg(anyFailed ? u"a service failed"_s
                                                                     : u"nothing failed"_s);
    const auto at = [&](const QString &service, const QString &state) {
        return firstIndex.value(service + u' ' + state, -1);
    };
    for (const auto &[dependent, dependency] : program.needs) {
        if (at(dependent, u"Starting"_s) >= 0 && !program.soft.count({dependent, dependency}) &&
            !(at(dependency, u"Running"_s) >= 0 &&
              at(dependency, u"Running"_s) < at(dependent, u"Starting"_s)))
            return u"%1 started before %2 ran"_s.arg(dependent, dependency);
        const qsizetype stopping = at(dependency, u"Stopping"_s);
        if (stopping < 0 || at(dependent, u"Running"_s) < 0)
            continue;
        const qsizetype dependentEnd =
            qMax(at(dependent, u"Stopped"_s), at(dependent, u"Failed"_s));
        if (dependentEnd < 0 || dependentEnd > stopping)
            return u"%1 began to stop before %2 had stopped"_s.arg(dependency, dependent);
    }
    return {};
}

Outcome runOnce(const Program &program, quint64 seed, int deadlineMs)
{
    std::mt19937_64 random(seed);
    const auto chance = [&](int percent) { return int(random() % 100) < percent; };
    const auto pick = [&](int low, int high) {
        return low + int(random() % quint64(high - low + 1));
    };
    const bool isDashboard = program.name == u"dashboard"_s;

    QStringList arguments;
    QString faulty;
    const QString target = program.services[pick(0, int(program.services.size()) - 1)];
    const int fault = pick(0, 99);
    if (!isDashboard) {
        if (fault < 15)
            arguments << u"--fail-start"_s << (faulty = target);
        else if (fault < 30)
            arguments << u"--fail-stop"_s << (faulty = target);
        else if (fault < 55)
            arguments << u"--slow-stop"_s << target; // a 2 s stop: room for a second signal
    } else {
        if (fault < 20)
            arguments << u"--fail-start"_s << (faulty = target);
        else if (fault < 40)
            arguments << u"--crash"_s << (faulty = target) << u"--crash-after-ms"_s
                      << QString::number(pick(0, 800));
        if (chance(50)) // unattended (RunMode::UntilStopped); else it stays until it is quit
            arguments << u"--quit-after-ms"_s << QString::number(pick(0, 1500));
    }

    // The first signal: after the k-th transition line (or once the graph has stopped by
    // itself), then after 0 ms, or a random delay.
    const int firstAfter = pick(1, 12); // up to the last of the 6 x 2 start transitions
    const int firstDelay = chance(40) ? 0 : pick(1, isDashboard ? 2500 : 500);
    const int firstSignal = chance(50) ? SIGTERM : SIGINT;
    // A second one half of the time: at once, or after the j-th stop transition plus a delay.
    const bool twice = chance(50);
    const int secondAfter = chance(30) ? 0 : pick(1, 8);
    const int secondDelay = chance(40) ? 0 : pick(1, 300);
    const int secondSignal = chance(50) ? SIGTERM : SIGINT;

    // Whether the graph may stop without being signalled: after that, run() returns and restores
    // the default action of SIGINT and SIGTERM.
    const bool selfEnding =
        arguments.contains(u"--fail-start"_s) || arguments.contains(u"--quit-after-ms"_s);

    Outcome outcome;
    outcome.program = program.name;
    outcome.plan =
        u"%1 %2; signal %3 after transition #%4 + %5 ms"_s.arg(program.name, arguments.join(u' '))
            .arg(firstSignal)
            .arg(firstAfter)
            .arg(firstDelay);
    if (twice)
        outcome.plan += u"; signal %1 after stop transition #%2 + %3 ms"_s.arg(secondSignal)
                            .arg(secondAfter)
                            .arg(secondDelay);

    QElapsedTimer clock;
    clock.start();
    const QDeadlineTimer deadline(deadlineMs);
    Child child(program, arguments, deadline);
    const auto stopped = [&] {
        return std::any_of(program.terminal.cbegin(), program.terminal.cend(),
                           [&](const QString &prefix) { return child.hasLine(prefix); });
    };

    QList<int> sent;
    // Waits for the trigger; the process may end first (a failed start, --quit-after-ms).
    child.waitUntil([&] { return child.transitions().size() >= firstAfter || stopped(); });
    if (child.transitions().isEmpty()) // not before its handlers are installed (nothing printed)
        child.waitUntil([&] { return !child.transitions().isEmpty(); });
    QThread::msleep(ulong(firstDelay));
    if (child.send(firstSignal))
        sent << firstSignal;
    if (twice && !sent.isEmpty()) {
        const qsizetype stopsBefore =
            child.transitionCount(u"Stopping"_s) + child.transitionCount(u"Stopped"_s);
        child.waitUntil([&] {
            return child.transitionCount(u"Stopping"_s) + child.transitionCount(u"Stopped"_s) >=
                   stopsBefore + secondAfter;
        });
        QThread::msleep(ulong(secondDelay));
        if (child.send(secondSignal))
            sent << secondSignal;
    }

    const bool exited = child.waitForExit();
    outcome.elapsedMs = clock.elapsed();
    const auto fail = [&](const QString &why) {
        QStringList signalNames;
        for (int signal : sent)
            signalNames << QString::number(signal);
        outcome.failure = why + u"\nsignals sent: "_s + signalNames.join(u", "_s) +
                          u"\nstdout:\n"_s + child.lines().join(u'\n') + u"\nstderr:\n"_s +
                          child.standardError();
    };
    if (!exited) {
        outcome.kind = u"hung"_s;
        fail(u"still running after %1 ms"_s.arg(deadlineMs));
        return outcome;
    }
    QProcess &process = child.process();
    if (process.exitStatus() == QProcess::CrashExit) {
        // Only a signal that arrived after run() had returned and restored the default action:
        // the second one, or one sent as the graph stopped by itself. The log is complete then.
        const int signal = process.exitCode();
        outcome.kind = u"killed by %1"_s.arg(signal);
        if (!sent.contains(signal))
            fail(u"killed by signal %1, which was not sent"_s.arg(signal));
        else if (const QString error = checkLog(program, child, faulty, -1); !error.isEmpty())
            fail(u"killed by signal %1 before the graph had stopped: %2"_s.arg(signal).arg(error));
        else if (child.transitions().isEmpty() || (sent.size() == 1 && !selfEnding))
            fail(u"killed by signal %1 while run() handled signals"_s.arg(signal));
        return outcome;
    }
    const int code = process.exitCode();
    outcome.kind = u"exit %1"_s.arg(code);
    // Two signals sent close together to a process with several threads may be handled in
    // either order (each thread takes its own), so the one handled second may be either.
    if (sent.size() == 2 && (code == 128 + sent.first() || code == 128 + secondSignal)) {
        if (!child.standardError().contains(u"second interrupt"_s))
            fail(u"exit code %1 without the second-interrupt message"_s.arg(code));
        return outcome;
    }
    if (code != 0 && code != 1) {
        fail(u"unexpected exit code %1"_s.arg(code));
        return outcome;
    }
    if (const QString error = checkLog(program, child, faulty, code); !error.isEmpty())
        fail(error);
    else if (!isDashboard && !child.hasLine(u"summary: "_s))
        fail(u"no summary line"_s);
    return outcome;
}

} // namespace

class tst_SignalStorm : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void storm();
};

void tst_SignalStorm::storm()
{
    const quint64 seed = quint64(envInt("QLIFECYCLE_STORM_SEED", 0)) != 0
                             ? quint64(envInt("QLIFECYCLE_STORM_SEED", 0))
                             : QRandomGenerator::system()->bounded(1u, 0x7fffffffu);
    const int runs = envInt("QLIFECYCLE_STORM_RUNS", 200);
    const int only = envInt("QLIFECYCLE_STORM_ONLY", -1);
    const int jobs = qMax(1, envInt("QLIFECYCLE_STORM_JOBS", 4));
    const int deadlineMs = envInt("QLIFECYCLE_STORM_DEADLINE_MS", 60000);
    qInfo("seed %llu: replay with QLIFECYCLE_STORM_SEED=%llu", seed, seed);

    std::vector<Program> programs{console()};
#ifdef DASHBOARD_EXAMPLE
    programs.push_back(dashboard());
#endif
    // Every fourth run is a dashboard (slower: a Qt Quick window and longer starts and stops).
    const auto programOf = [&](int index) -> const Program & {
        return programs[index % 4 == 3 ? programs.size() - 1 : 0];
    };

    std::vector<Outcome> outcomes(static_cast<size_t>(runs));
    std::atomic<int> nextIndex{0};
    QElapsedTimer clock;
    clock.start();
    const auto worker = [&] {
        for (int i = nextIndex++; i < runs; i = nextIndex++) {
            if (only >= 0 && i != only)
                continue;
            outcomes[size_t(i)] = runOnce(programOf(i), seed * 1000003u + quint64(i), deadlineMs);
        }
    };
    std::vector<std::thread> threads;
    for (int j = 0; j < jobs; ++j)
        threads.emplace_back(worker);
    for (std::thread &thread : threads)
        thread.join();

    QMap<QString, int> kinds;
    qint64 slowest = 0;
    int failures = 0;
    for (int i = 0; i < runs; ++i) {
        const Outcome &outcome = outcomes[size_t(i)];
        if (outcome.program.isEmpty())
            continue;
        ++kinds[outcome.program + u": "_s + outcome.kind];
        slowest = qMax(slowest, outcome.elapsedMs);
        if (!outcome.failure.isEmpty()) {
            ++failures;
            qWarning().noquote() << u"run %1 (QLIFECYCLE_STORM_SEED=%2 QLIFECYCLE_STORM_ONLY=%1): "
                                    u"%3\n%4"_s.arg(i)
                                        .arg(seed)
                                        .arg(outcome.plan, outcome.failure);
        }
    }
    for (auto it = kinds.cbegin(); it != kinds.cend(); ++it)
        qInfo().noquote() << it.key() << u'x' << it.value();
    qInfo("%d runs in %lld ms (%d at a time), the slowest %lld ms", only >= 0 ? 1 : runs,
          clock.elapsed(), jobs, slowest);
    QVERIFY2(failures == 0,
             qPrintable(u"%1 of %2 runs failed; seed %3"_s.arg(failures).arg(runs).arg(seed)));
}

QTEST_GUILESS_MAIN(tst_SignalStorm)
#include "tst_signalstorm.moc"
