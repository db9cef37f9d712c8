// The desktop path of ServiceManager::run() in-process (docs/lifecycle.md, "The quit path",
// "The quit guard", "Stop reasons", "Start policies"): every way a desktop application is asked
// to end becomes one stop with its reason; the quit guard; the main window (a QWindow, a
// QWidget, a QQuickWindow) staying up while the services stop; deferred starts after a Qt Quick
// window's first frame. Closing twice ("quit anyway") ends the process: tst_quitagain.

#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

#include <QCoro/QCoroSignal>
#include <QCoro/QCoroTimer>

#include <QtCore/QMetaMethod>
#include <QtCore/QTimer>
#include <QtGui/QWindow>
#include <QtQuick/QQuickWindow>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QWidget>

#include <csignal>
#include <functional>
#include <stdexcept>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;
using Reason = ServiceManager::StopReason;

namespace {

// A service whose stop() notes why it was asked to stop and what it saw then.
class ReasonService : public QService
{
public:
    explicit ReasonService(const QString &name) { setObjectName(name); }
    std::function<void()> atStop; // called at the top of stop()
    std::chrono::milliseconds stopDelay{0};
    Reason reasonAtStop = Reason::None;
    int stopCalls = 0;

protected:
    QCoro::Task<> stop() override
    {
        ++stopCalls;
        reasonAtStop = manager() ? manager()->stopReason() : Reason::None;
        if (atStop)
            atStop();
        if (stopDelay.count() > 0)
            co_await sleepFor(stopDelay);
    }
};

// Calls `action` once the manager runs (from the event loop, as a user would act).
void onceRunning(ServiceManager &manager, std::function<void()> action)
{
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = QObject::connect(&manager, &ServiceManager::stateChanged, &manager,
                                   [connection, action](QService::State state) {
                                       if (state != QService::State::Running)
                                           return;
                                       QObject::disconnect(*connection);
                                       QTimer::singleShot(0, action);
                                   });
}

// Emits QGuiApplication::commitDataRequest() as the session manager does when the session
// ends (the slot the library connects reads no argument).
void endSession()
{
    const QMetaObject *meta = QCoreApplication::instance()->metaObject();
    const QMetaMethod signal =
        meta->method(meta->indexOfSignal("commitDataRequest(QSessionManager&)"));
    QVERIFY(signal.isValid());
    int placeholder = 0;
    QVERIFY(signal.invoke(QCoreApplication::instance(), Qt::DirectConnection,
                          QGenericArgument("QSessionManager&", &placeholder)));
}

// A quit guard answering `answer` after a turn of the event loop, counting its calls.
struct Guard {
    int calls = 0;
    Reason lastReason = Reason::None;
    bool answer = true;
    bool hang = false;  // never answers by itself: release() ends it
    bool raise = false; // throws
    QObject releaser;
};

QCoro::Task<bool> ask(Guard *guard, Reason reason)
{
    ++guard->calls;
    guard->lastReason = reason;
    if (guard->raise)
        throw std::runtime_error("guard broke");
    if (guard->hang)
        co_await qCoro(&guard->releaser, &QObject::objectNameChanged);
    else
        co_await QCoro::sleepFor(5ms);
    co_return guard->answer;
}

void install(ServiceManager &manager, Guard &guard)
{
    manager.setQuitGuard([&guard](Reason reason) { return ask(&guard, reason); });
}

} // namespace

class tst_Desktop : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stopReasonReachesStop_data();
    void stopReasonReachesStop();
    void guardSaysNoEverythingKeepsRunning();
    void guardSaysYesTheGraphStops();
    void guardThatThrowsDoesNotBlockTheQuit();
    void guardStillOpenWhenSigtermArrivesIsSkipped();
    void guardIsBoundedForASignal();
    void guardIsAskedWhenTheSessionEnds();
    void guardIsNotAskedForAFailureNorForRequestStop();
    void mainWindowStaysUpWhileStopping_data();
    void mainWindowStaysUpWhileStopping();
    void setMainWindowRefusesAnotherObject();
    void afterFirstFrameWaitsForTheQuickWindowsFrame();
};

void tst_Desktop::stopReasonReachesStop_data()
{
    QTest::addColumn<QString>("how");
    QTest::addColumn<Reason>("expected");
    QTest::newRow("requestStop") << QStringLiteral("requestStop") << Reason::Requested;
    QTest::newRow("requestStopFor") << QStringLiteral("requestStopFor") << Reason::SessionEnd;
    QTest::newRow("quit") << QStringLiteral("quit") << Reason::Quit;
    QTest::newRow("SIGTERM") << QStringLiteral("SIGTERM") << Reason::Signal;
    QTest::newRow("SIGINT") << QStringLiteral("SIGINT") << Reason::Signal;
    QTest::newRow("last window closed") << QStringLiteral("lastWindow") << Reason::WindowClosed;
    QTest::newRow("session end") << QStringLiteral("session") << Reason::SessionEnd;
}

void tst_Desktop::stopReasonReachesStop()
{
    QFETCH(QString, how);
    QFETCH(Reason, expected);
    ReasonService db(QStringLiteral("db")), api(QStringLiteral("api"));
    ServiceManager manager(&api);
    QWindow window; // the application's only window, not handed to the manager
    if (how == QLatin1String("lastWindow"))
        window.show();
    QSignalSpy reasons(&manager, &ServiceManager::stopReasonChanged);
    onceRunning(manager, [&] {
        if (how == QLatin1String("requestStop"))
            manager.requestStop();
        else if (how == QLatin1String("requestStopFor"))
            manager.requestStopFor(Reason::SessionEnd);
        else if (how == QLatin1String("quit"))
            QCoreApplication::quit();
        else if (how == QLatin1String("SIGTERM"))
            ::raise(SIGTERM);
        else if (how == QLatin1String("SIGINT"))
            ::raise(SIGINT);
        else if (how == QLatin1String("lastWindow"))
            window.close();
        else if (how == QLatin1String("session"))
            endSession();
    });
    QCOMPARE(manager.run(), 0);
    QCOMPARE(api.reasonAtStop, expected);
    QCOMPARE(manager.stopReason(), expected);
    QCOMPARE(reasons.count(), 1); // None is the initial value: one change, to the reason
    QCOMPARE(reasons.first().first().value<Reason>(), expected);
}

void tst_Desktop::guardSaysNoEverythingKeepsRunning()
{
    ReasonService api(QStringLiteral("api"));
    ServiceManager manager(&api);
    QWindow window;
    window.show();
    manager.setMainWindow(&window);
    Guard guard;
    guard.answer = false;
    install(manager, guard);
    bool closed = true;
    onceRunning(manager, [&] {
        closed = window.close(); // the user closes the main window: "Cancel"
        QTimer::singleShot(50ms, [&] {
            // Still running, window still open; a second attempt is asked again.
            QVERIFY(window.isVisible());
            QCOMPARE(manager.state(), QService::State::Running);
            QCOMPARE(api.stopCalls, 0);
            QCOMPARE(manager.stopReason(), Reason::None);
            guard.answer = true;
            window.close(); // "Discard": now it quits
        });
    });
    QCOMPARE(manager.run(), 0);
    QVERIFY(!closed);
    QCOMPARE(guard.calls, 2);
    QCOMPARE(guard.lastReason, Reason::WindowClosed);
    QCOMPARE(api.reasonAtStop, Reason::WindowClosed);
}

void tst_Desktop::guardSaysYesTheGraphStops()
{
    ReasonService api(QStringLiteral("api"));
    ServiceManager manager(&api);
    Guard guard;
    install(manager, guard);
    onceRunning(manager, [] { QCoreApplication::quit(); });
    QCOMPARE(manager.run(), 0);
    QCOMPARE(guard.calls, 1);
    QCOMPARE(guard.lastReason, Reason::Quit);
    QCOMPARE(api.stopCalls, 1);
    QCOMPARE(manager.state(), QService::State::Stopped);
}

void tst_Desktop::guardThatThrowsDoesNotBlockTheQuit()
{
    ReasonService api(QStringLiteral("api"));
    ServiceManager manager(&api);
    Guard guard;
    guard.raise = true;
    install(manager, guard);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("quit guard threw .*guard broke")));
    onceRunning(manager, [] { QCoreApplication::quit(); });
    QCOMPARE(manager.run(), 0);
    QCOMPARE(guard.calls, 1);
    QCOMPARE(api.reasonAtStop, Reason::Quit);
}

void tst_Desktop::guardStillOpenWhenSigtermArrivesIsSkipped()
{
    ReasonService api(QStringLiteral("api"));
    ServiceManager manager(&api);
    Guard guard;
    guard.hang = true; // the dialog is open, nobody answers
    install(manager, guard);
    onceRunning(manager, [&] {
        QCoreApplication::quit();
        QTimer::singleShot(20ms, [&] {
            QCOMPARE(guard.calls, 1);
            QCOMPARE(manager.state(), QService::State::Running);
            ::raise(SIGTERM); // a second request: quit anyway, without the guard
        });
    });
    QCOMPARE(manager.run(), 0);
    QCOMPARE(guard.calls, 1);
    QCOMPARE(api.reasonAtStop, Reason::Quit);                      // the first request's reason
    guard.releaser.setObjectName(QStringLiteral("answered late")); // its answer is ignored
    QCoreApplication::processEvents();
    QCOMPARE(manager.state(), QService::State::Stopped);
}

void tst_Desktop::guardIsBoundedForASignal()
{
    ReasonService api(QStringLiteral("api"));
    ServiceManager manager(&api);
    Guard guard;
    guard.hang = true;
    install(manager, guard);
    manager.setQuitGuardTimeout(50ms);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("did not answer within 50 ms")));
    onceRunning(manager, [] { ::raise(SIGTERM); });
    QCOMPARE(manager.run(), 0);
    QCOMPARE(guard.calls, 1);
    QCOMPARE(guard.lastReason, Reason::Signal);
    QCOMPARE(api.reasonAtStop, Reason::Signal);
    guard.releaser.setObjectName(QStringLiteral("answered late"));
}

void tst_Desktop::guardIsAskedWhenTheSessionEnds()
{
    ReasonService api(QStringLiteral("api"));
    ServiceManager manager(&api);
    Guard guard;
    guard.hang = true;
    install(manager, guard);
    manager.setQuitGuardTimeout(50ms);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("did not answer within 50 ms")));
    onceRunning(manager, [] { endSession(); });
    QCOMPARE(manager.run(), 0);
    QCOMPARE(guard.lastReason, Reason::SessionEnd);
    QCOMPARE(api.reasonAtStop, Reason::SessionEnd);
    guard.releaser.setObjectName(QStringLiteral("answered late"));
}

void tst_Desktop::guardIsNotAskedForAFailureNorForRequestStop()
{
    {
        ScriptedService crashing(QStringLiteral("crashing"));
        crashing.crashAfter = 5ms;
        ServiceManager manager(&crashing);
        Guard guard;
        install(manager, guard);
        QCOMPARE(manager.run(), 1);
        QCOMPARE(guard.calls, 0);
        QCOMPARE(manager.stopReason(), Reason::Failure);
    }
    {
        ReasonService api(QStringLiteral("api"));
        ServiceManager manager(&api);
        Guard guard;
        install(manager, guard);
        onceRunning(manager, [&] { manager.requestStop(); });
        QCOMPARE(manager.run(), 0);
        QCOMPARE(guard.calls, 0);
        QCOMPARE(api.reasonAtStop, Reason::Requested);
    }
}

void tst_Desktop::mainWindowStaysUpWhileStopping_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("QWindow") << QStringLiteral("QWindow");
    QTest::newRow("QWidget") << QStringLiteral("QWidget");
    QTest::newRow("QQuickWindow") << QStringLiteral("QQuickWindow");
}

void tst_Desktop::mainWindowStaysUpWhileStopping()
{
    QFETCH(QString, kind);
    std::unique_ptr<QObject> window;
    std::function<bool()> visible;
    std::function<bool()> close;
    if (kind == QLatin1String("QWidget")) {
        auto *widget = new QWidget();
        widget->show();
        window.reset(widget);
        visible = [widget] { return widget->isVisible(); };
        close = [widget] { return widget->close(); };
    } else {
        auto *w = kind == QLatin1String("QQuickWindow") ? new QQuickWindow() : new QWindow();
        w->show();
        window.reset(w);
        visible = [w] { return w->isVisible(); };
        close = [w] { return w->close(); };
    }
    ReasonService db(QStringLiteral("db"));
    db.stopDelay = 30ms;
    struct Root : ReasonService {
        using ReasonService::ReasonService;
        QService *dep = nullptr;
        Dependencies dependencies() const override { return {dep}; }
    } root(QStringLiteral("root"));
    root.dep = &db;
    root.stopDelay = 30ms;
    ServiceManager manager(&root);
    bool visibleWhileStopping = false;
    double stopProgressAtDb = -1;
    db.atStop = [&] {
        visibleWhileStopping = visible();
        stopProgressAtDb = manager.stopProgress();
    };
    manager.setMainWindow(window.get());
    QCOMPARE(manager.mainWindow(), window.get());
    bool closeAccepted = true;
    onceRunning(manager, [&] { closeAccepted = close(); });
    QCOMPARE(manager.run(), 0);
    QVERIFY(!closeAccepted);       // the close was refused: the window stayed
    QVERIFY(visibleWhileStopping); // and showed the stop
    QVERIFY2(stopProgressAtDb > 0.0 && stopProgressAtDb < 1.0,
             qPrintable(QString::number(stopProgressAtDb)));
    QCOMPARE(root.reasonAtStop, Reason::WindowClosed);
    QCOMPARE(db.stopCalls, 1);
}

void tst_Desktop::setMainWindowRefusesAnotherObject()
{
    ReasonService api(QStringLiteral("api"));
    ServiceManager manager(&api);
    QObject notAWindow;
    notAWindow.setObjectName(QStringLiteral("settings"));
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("refused a QObject .*settings")));
    manager.setMainWindow(&notAWindow);
    QCOMPARE(manager.mainWindow(), nullptr);
}

void tst_Desktop::afterFirstFrameWaitsForTheQuickWindowsFrame()
{
    QQuickWindow window;
    bool swapped = false;
    connect(
        &window, &QQuickWindow::frameSwapped, this, [&] { swapped = true; }, Qt::DirectConnection);
    ScriptedService later(QStringLiteral("later")), app(QStringLiteral("app"));
    later.setStartPolicy(QService::StartPolicy::AfterFirstFrame);
    app.deps = {{&later}};
    ServiceManager manager(&app);
    bool swappedAtStart = false;
    connect(&later, &QService::stateChanged, this, [&](QService::State state) {
        if (state == QService::State::Starting)
            swappedAtStart = swapped;
    });
    runBlocking(manager.start());
    QCOMPARE(later.state(), QService::State::Stopped);
    QTest::qWait(30); // no frame yet (no window shown): nothing deferred starts
    QCOMPARE(later.startCalls, 0);
    window.resize(100, 100);
    window.show();
    QVERIFY(waitForState(&later, QService::State::Running));
    QVERIFY(swapped);
    QVERIFY(swappedAtStart);
    runBlocking(manager.stop());
}

int main(int argc, char *argv[])
{
    qputenv("QT_QUICK_BACKEND", "software");
    QApplication app(argc, argv);
    tst_Desktop test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_desktop.moc"
