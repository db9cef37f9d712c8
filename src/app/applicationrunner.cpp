#include "app/applicationrunner.h"

#include <QLifecycle/tracerecorder.h>

#ifdef QLIFECYCLE_SYSTEMD_NOTIFY
#include "app/systemdnotifier.h"
#endif

#include "manager/applicationmanager_p.h"
#include "service/logging.h"
#ifdef QLIFECYCLE_UNIX_SIGNALS
#include "app/unixsignalwatcher.h"
#endif

#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QMetaEnum>
#include <QtCore/QMetaMethod>
#include <QtCore/QScopeGuard>
#include <QtCore/QThread>
#include <QtCore/QTimer>

#include <cstdio>
#include <cstdlib>

namespace QLifecycle {

using StopReason = ServiceManager::StopReason;

namespace {
// As the manager's log says it: "window closed".
QString describe(StopReason reason)
{
    const QString key =
        QString::fromLatin1(QMetaEnum::fromType<StopReason>().valueToKey(int(reason)));
    QString words;
    for (const QChar c : key) {
        if (c.isUpper() && !words.isEmpty())
            words += u' ';
        words += c.toLower();
    }
    return words;
}

bool isBusy(QService::State state)
{
    return state == QService::State::Starting || state == QService::State::Running;
}
} // namespace

// Starts the graph. Its end is seen in graphStateChanged(); only a start refused before
// anything ran (an invalid graph) changes no state and must be handled here. A free
// coroutine taking its state as a parameter (never a capturing lambda: docs/faq.md).
QCoro::Task<> startGraph(QPointer<ApplicationRunner> runner)
{
    const QPointer<ServiceManager> manager = runner->m_manager;
    try {
        co_await manager->start();
    } catch (const Error &error) {
        // Other failures end in Failed, which graphStateChanged() handles.
        if (runner && manager && error.primary().phase == Phase::Validate) {
            qCCritical(lcManager).noquote() << "stopped after a failure:" << error.message();
            if (runner->m_mode == ServiceManager::RunMode::UntilStopped)
                runner->finish(1);
            else
                runner->m_exitCode = 1;
        }
    }
}

// Asks the quit guard; its answer (or what it threw) goes back to the runner, which ignores
// it if it came too late (docs/lifecycle.md, "The quit guard").
QCoro::Task<> askGuard(QPointer<ApplicationRunner> runner, ServiceManager::QuitGuard guard,
                       StopReason reason, quint32 ticket)
{
    bool proceed = true;
    QString note;
    try {
        proceed = co_await guard(reason);
    } catch (const std::exception &error) {
        note = QStringLiteral("the quit guard threw (%1); quitting anyway")
                   .arg(QString::fromLocal8Bit(error.what()));
    } catch (...) {
        note = QStringLiteral("the quit guard threw a non-standard exception; quitting anyway");
    }
    if (runner)
        runner->guardAnswered(ticket, proceed, note);
}

ApplicationRunner::ApplicationRunner(ServiceManager *manager, ServiceManager::RunMode mode)
    : m_manager(manager), m_mode(mode)
{
}

ApplicationRunner::~ApplicationRunner()
{
    if (QCoreApplication *app = QCoreApplication::instance())
        app->removeEventFilter(this);
#ifdef QLIFECYCLE_UNIX_SIGNALS
    UnixSignalWatcher::setQuitting(false);
#endif
}

int ApplicationRunner::exec()
{
    QCoreApplication *app = QCoreApplication::instance();
    if (!app || QThread::currentThread() != app->thread() || m_manager->thread() != app->thread()) {
        qCCritical(lcManager) << "ServiceManager::run() needs a QCoreApplication and must be"
                              << "called on its thread, by a manager living there";
        return 1;
    }
    // QLIFECYCLE_TRACE=<file>: the run's trace, written when run() returns (docs/observability.md).
    const QString tracePath = qEnvironmentVariable("QLIFECYCLE_TRACE");
    std::optional<TraceRecorder> trace;
    if (!tracePath.isEmpty())
        trace.emplace(m_manager.data());
    const auto saveTrace = qScopeGuard([&] { trace && trace->save(tracePath); });
#ifdef QLIFECYCLE_UNIX_SIGNALS
    m_signals = new UnixSignalWatcher(this);
    connect(m_signals, &UnixSignalWatcher::received, this, [this](int signal) {
        m_signal = signal;
        quitRequested(StopReason::Signal);
    });
#endif
    connect(m_manager.data(), &ServiceManager::stateChanged, this,
            &ApplicationRunner::graphStateChanged);
    watchApplication(app);
#ifdef QLIFECYCLE_SYSTEMD_NOTIFY
    // Under systemd (Type=notify): READY=1, STOPPING=1, STATUS=, the watchdog
    // (docs/systemd.md). Without NOTIFY_SOCKET, nothing at all.
    if (const QByteArray socket = SystemdNotifier::socketName(); !socket.isEmpty())
        new SystemdNotifier(m_manager.data(), socket, this);
#endif

    // Start from inside the loop: a quit() that a slot calls during the start would be lost
    // before exec(): quit() before exec() is a no-op in Qt.
    QMetaObject::invokeMethod(
        this, [this] { startGraph(this); }, Qt::QueuedConnection);
    const int loopCode = QCoreApplication::exec();
    if (!m_finished && m_manager) {
        // The loop was ended by exit() behind our back: still stop gracefully before returning.
        qCInfo(lcManager) << "event loop ended with code" << loopCode << "before the graph stopped";
        m_quit = Quit::Accepted;
        m_loopEnded = true; // finish() must not queue an exit() for the application's next loop
        m_manager->requestStopFor(StopReason::Quit);
        while (!m_finished && m_manager && m_manager->state() != State::Stopped &&
               m_manager->state() != State::Failed)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        if (m_manager && m_manager->state() == State::Failed)
            m_exitCode = 1;
        return m_exitCode != 0 ? m_exitCode : loopCode;
    }
    return m_exitCode;
}

// Every way a desktop application is asked to end: QEvent::Quit and the main window's close
// event through an event filter on the application (it sees the events of every object of the
// main thread), the session manager's and the last window's signals by name (the library
// needs no QtGui for them).
void ApplicationRunner::watchApplication(QCoreApplication *app)
{
    app->installEventFilter(this);
    const QMetaObject *meta = app->metaObject();
    const auto follow = [this, app, meta](const char *signal, const char *slot) {
        const int index = meta->indexOfSignal(signal);
        if (index >= 0)
            connect(app, meta->method(index), this,
                    staticMetaObject.method(staticMetaObject.indexOfSlot(slot)));
    };
    follow("commitDataRequest(QSessionManager&)", "sessionEnding()");
    follow("lastWindowClosed()", "lastWindowClosed()");
}

void ApplicationRunner::sessionEnding()
{
    qCInfo(lcManager) << "the session is ending: stopping the services";
    quitRequested(StopReason::SessionEnd);
}

void ApplicationRunner::lastWindowClosed()
{
    m_lastWindowClosed = true;
}

void ApplicationRunner::quitRequested(StopReason reason)
{
    if (m_finished)
        return;
    if (m_quit == Quit::Accepted) {
        if (m_manager && m_manager->state() == State::Stopping)
            abandon(reason); // quit anyway: the user insists
        return;              // the stop is over, the loop ends already
    }
    if (m_quit == Quit::Guarding) {
        qCInfo(lcManager).noquote()
            << QStringLiteral("quit requested again (%1): quitting without waiting for the "
                              "quit guard")
                   .arg(describe(reason));
        beginQuit(m_quitReason);
        return;
    }
    const ServiceManager::QuitGuard guard = m_manager ? m_manager->quitGuard() : nullptr;
    if (!guard || !isBusy(m_manager->state())) {
        beginQuit(reason);
        return;
    }
    m_quit = Quit::Guarding;
    m_quitReason = reason;
    const quint32 ticket = ++m_guardTicket;
    qCInfo(lcManager).noquote()
        << QStringLiteral("quit requested (%1): asking the quit guard").arg(describe(reason));
    if (reason == StopReason::Signal || reason == StopReason::SessionEnd) {
        // Nobody may be there to answer: the quit goes on after the timeout.
        if (!m_guardTimer) {
            m_guardTimer = new QTimer(this);
            m_guardTimer->setSingleShot(true);
        }
        m_guardTimer->disconnect(this);
        connect(m_guardTimer, &QTimer::timeout, this, [this, ticket] {
            guardAnswered(ticket, true,
                          QStringLiteral("the quit guard did not answer within %1 ms; quitting")
                              .arg(m_manager ? m_manager->quitGuardTimeout().count() : 0));
        });
        m_guardTimer->start(m_manager->quitGuardTimeout());
    }
    askGuard(this, guard, reason, ticket);
}

void ApplicationRunner::guardAnswered(quint32 ticket, bool proceed, const QString &note)
{
    if (ticket != m_guardTicket || m_quit != Quit::Guarding)
        return; // skipped by a second request, or timed out: too late
    if (m_guardTimer)
        m_guardTimer->stop();
    if (!note.isEmpty())
        qCWarning(lcManager).noquote() << note;
    if (!proceed) {
        qCInfo(lcManager).noquote()
            << QStringLiteral("quit (%1) cancelled by the quit guard: the services keep running")
                   .arg(describe(m_quitReason));
        if (m_quitReason == StopReason::WindowClosed && m_manager && !m_manager->mainWindow())
            qCWarning(lcManager) << "the last window closed and the quit guard kept the"
                                 << "services running, with no window left: hand the main"
                                 << "window to ServiceManager::setMainWindow() so that it stays"
                                 << "open";
        m_quit = Quit::None;
        m_quitReason = StopReason::None;
        return;
    }
    beginQuit(m_quitReason);
}

void ApplicationRunner::beginQuit(StopReason reason)
{
    ++m_guardTicket; // a guard still open answers too late
    if (m_guardTimer)
        m_guardTimer->stop();
    m_quit = Quit::Accepted;
    m_quitReason = reason;
#ifdef QLIFECYCLE_UNIX_SIGNALS
    UnixSignalWatcher::setQuitting(true);
#endif
    if (!m_manager) {
        finish(m_exitCode);
        return;
    }
    const State state = m_manager->state();
    if (state == State::Stopped || state == State::Failed)
        finish(state == State::Failed || m_exitCode != 0 ? 1 : 0);
    else
        m_manager->requestStopFor(reason); // graphStateChanged() finishes once it has stopped
}

// "Quit anyway" while the graph stops: what is left is abandoned, as a second signal does.
void ApplicationRunner::abandon(StopReason reason)
{
    // A signal exits as the signal handler does when it sees a second one: 128 + signal.
    const int code = reason == StopReason::Signal && m_signal > 0 ? 128 + m_signal : 1;
    const QStringList left = m_manager ? m_manager->stoppingServices() : QStringList();
    qCWarning(lcManager).noquote()
        << QStringLiteral("quit requested again (%1) while stopping: abandoning")
               .arg(describe(reason))
        << (left.isEmpty() ? QStringLiteral("what is left") : left.join(QStringLiteral(", ")))
        << "and exiting now with code" << code;
    if (reason == StopReason::Signal) // what the signal handler says of a second signal
        std::fputs("qlifecycle: second interrupt while stopping, exiting now\n", stderr);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
}

void ApplicationRunner::graphStateChanged(QService::State state)
{
    if (state != State::Stopped && state != State::Failed)
        return;
    const int code = state == State::Failed ? 1 : 0;
    if (state == State::Failed && m_manager)
        qCCritical(lcManager).noquote() << "stopped after a failure:" << m_manager->errorString();
    if (m_mode == ServiceManager::RunMode::UntilStopped || m_quit == Quit::Accepted)
        finish(code);
    else
        m_exitCode = code; // stay: a user interface shows what happened, may start again
}

void ApplicationRunner::finish(int exitCode)
{
    if (m_finished)
        return;
    m_finished = true;
    m_exitCode = exitCode;
    if (m_loopEnded)
        return;
    // Queued: exit() before exec() would be lost (docs/faq.md).
    QMetaObject::invokeMethod(
        QCoreApplication::instance(), [exitCode] { QCoreApplication::exit(exitCode); },
        Qt::QueuedConnection);
}

bool ApplicationRunner::eventFilter(QObject *watched, QEvent *event)
{
    const QEvent::Type type = event->type();
    if (type != QEvent::Quit && type != QEvent::Close)
        return QObject::eventFilter(watched, event);
    if (m_finished)
        return false;
    // quit() and the last window closing arrive as QEvent::Quit: turn them into a quit request.
    // Our own exit() at the end does not go through here.
    if (type == QEvent::Quit && watched == QCoreApplication::instance()) {
        const StopReason reason =
            std::exchange(m_lastWindowClosed, false) ? StopReason::WindowClosed : StopReason::Quit;
        quitRequested(reason);
        return true;
    }
    // The main window stays open: it shows the stop, and closes when the application quits.
    if (type == QEvent::Close && m_manager && watched == m_manager->mainWindow()) {
        event->ignore();
        quitRequested(StopReason::WindowClosed);
        return true;
    }
    return QObject::eventFilter(watched, event);
}

int ServiceManager::run(RunMode mode)
{
    // The application's manager while it runs, unless the application set one
    // (applicationManager()).
    ApplicationManagers *managers = ApplicationManagers::instance();
    ServiceManager *previous = managers->exchangeRunning(this);
    ApplicationRunner runner(this, mode);
    const int code = runner.exec();
    managers->exchangeRunning(previous);
    return code;
}

int ServiceManager::run(QService &root)
{
    ServiceManager manager(&root);
    return manager.run();
}

} // namespace QLifecycle
