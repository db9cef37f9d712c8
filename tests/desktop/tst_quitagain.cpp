// Closing the main window again while the services stop means "quit anyway" (docs/lifecycle.md,
// "The quit path"): what is left is abandoned and the process ends at once with exit code 1.

#include <QtCore/QElapsedTimer>
#include <QtCore/QProcess>
#include <QtTest/QTest>

class tst_QuitAgain : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void closingAgainWhileStoppingQuitsAnyway()
    {
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        process.setProcessEnvironment(environment);
        QElapsedTimer clock;
        clock.start();
        process.start(QStringLiteral(QUITAGAIN_APP), {});
        QVERIFY(process.waitForStarted());
        // The service's stop would take 30 s: the process ends long before.
        QVERIFY2(process.waitForFinished(20000), "the process did not quit anyway");
        const QString out = QString::fromLocal8Bit(process.readAllStandardOutput());
        const QString err = QString::fromLocal8Bit(process.readAllStandardError());
        QVERIFY2(out.contains(QStringLiteral("stopping")), qPrintable(out)); // the stop began
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 1);
        QVERIFY2(err.contains(QStringLiteral("quit requested again (WindowClosed) while stopping: "
                                             "abandoning slow")),
                 qPrintable(err));
        QVERIFY(clock.elapsed() < 20000);
    }
};

QTEST_GUILESS_MAIN(tst_QuitAgain)
#include "tst_quitagain.moc"
