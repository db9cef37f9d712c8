// Abandoned work is inert (docs/lifecycle.md, "Timeouts"; docs/tasks.md, "What happens on
// stop"; "Worker threads"): a thread-pool callable that ignores cancellation, a stop() that
// outlives its graceful timeout, an adopted future, or a worker thread whose worker ignores its
// quit, once abandoned at the graceful shutdown timeout, may end at any later moment (during a
// later run, after the stop, after the event loop, while QCoreApplication is destroyed, after
// main() returned, or never) and the process still exits by itself, at once, with the exit code
// of its runs, without Qt's fatal "QThread: Destroyed while thread is still running"; a later run
// is not touched by it.
//
// Every (kind x moment) runs abandoned_exit.cpp as a child process under a hard deadline: a
// child still running at the deadline is killed and the case fails as a hang.
//
// Expected exit codes, what the child's last ServiceManager::run() returned:
// - 1 for every moment but later-run. The first run's stop times out at the service's 100 ms
//   graceful shutdown timeout, which abandons the work and marks the service Failed, and run()
//   returns 1 after any failure. Whatever the work does later must not turn that into another
//   code, a crash or a hang.
// - 0 for later-run. The work ends during a second run of the same graph, which must start, run
//   and stop cleanly: the work reports no error into it and changes none of its state (its task
//   counts included: that run added no task).

#include <QtCore/QElapsedTimer>
#include <QtCore/QProcess>
#include <QtTest/QTest>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace {

// A case takes well under a second; the deadline leaves room for sanitizer builds.
constexpr int DeadlineMs = 15000;

const QStringList Kinds{u"callable"_s,    u"callable-throws"_s, u"hook"_s,
                        u"hook-throws"_s, u"future"_s,          u"worker-thread"_s};
const QStringList Moments{u"later-run"_s,      u"after-stop"_s, u"after-loop"_s,
                          u"app-destructor"_s, u"after-main"_s, u"never"_s};

} // namespace

class tst_AbandonedExit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void exitsByItself_data();
    void exitsByItself();
};

void tst_AbandonedExit::exitsByItself_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("moment");
    QTest::addColumn<int>("exitCode");
    // Lines the child must print (prefixes), in any order.
    QTest::addColumn<QStringList>("lines");

    for (const QString &moment : Moments) {
        for (const QString &kind : Kinds) {
            // The first run abandoned the work at its stop timeout: a failed run.
            QStringList lines{u"run1: exit 1, service Failed"_s, u"exit-test: done"_s};
            int exitCode = 1;
            if (moment == u"later-run") {
                // Once the work has ended (and its report back was processed), the second run
                // still runs, has seen no error and has no task.
                lines << u"released: ended"_s
                      << u"run2: service Running, manager Running, errors 0, tasks 0/0"_s
                      << u"run2: exit 0"_s;
                exitCode = 0;
            } else if (moment == u"after-stop") {
                // The stopped graph stays as the stop left it.
                lines << u"released: ended"_s
                      << u"after-stop: service Failed, manager Failed, errors 0"_s;
            } else if (moment != u"never") {
                lines << u"released: ended"_s;
            }
            QTest::addRow("%s @ %s", qPrintable(kind), qPrintable(moment))
                << kind << moment << exitCode << lines;
        }
    }
}

void tst_AbandonedExit::exitsByItself()
{
    QFETCH(QString, kind);
    QFETCH(QString, moment);
    QFETCH(int, exitCode);
    QFETCH(QStringList, lines);

    const QString name = kind + u" @ "_s + moment;
    QProcess child;
    QElapsedTimer clock;
    clock.start();
    child.start(QString::fromUtf8(ABANDONED_EXIT), {kind, moment});
    QVERIFY2(child.waitForStarted(DeadlineMs), qPrintable(name + u": did not start"_s));
    const bool exited = child.waitForFinished(DeadlineMs);
    if (!exited) {
        child.kill();
        child.waitForFinished(DeadlineMs);
    }
    const QString out = QString::fromUtf8(child.readAllStandardOutput());
    const QString err = QString::fromUtf8(child.readAllStandardError());
    const QString dump = u"\n--- stdout:\n"_s + out + u"--- stderr:\n"_s + err.right(6000);
    QVERIFY2(exited, qPrintable(name + u": hangs: still running after "_s +
                                QString::number(DeadlineMs / 1000) + u" s, killed"_s + dump));
    QVERIFY2(child.exitStatus() == QProcess::NormalExit, qPrintable(name + u": crashed"_s + dump));
    QVERIFY2(child.exitCode() == exitCode,
             qPrintable(name + u": exit code "_s + QString::number(child.exitCode()) +
                        u", expected "_s + QString::number(exitCode) + dump));

    const QStringList printed = out.split(u'\n');
    for (const QString &line : lines) {
        const bool found = std::any_of(printed.cbegin(), printed.cend(),
                                       [&](const QString &p) { return p.startsWith(line); });
        QVERIFY2(found, qPrintable(name + u": no line \""_s + line + u'"' + dump));
    }
    // Qt's verdict on a QThread destroyed while its thread runs (a fatal error in Qt 6).
    QVERIFY2(!err.contains(u"Destroyed while thread is still running"_s),
             qPrintable(name + u": a running QThread was destroyed"_s + dump));
    if (moment == u"never") {
        QVERIFY2(!out.contains(u"released:"_s),
                 qPrintable(name + u": the work was released"_s + dump));
    }
    qDebug().noquote() << name << "exited in" << clock.elapsed() << "ms";
}

QTEST_GUILESS_MAIN(tst_AbandonedExit)
#include "tst_abandonedexit.moc"
