#include "app/applicationrunner.h"

#include "manager/applicationmanager_p.h"
#include "service/logging.h"
#ifdef QLIFECYCLE_UNIX_SIGNALS
#include "app/unixsignalwatcher.h"
#endif

#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QThread>

namespace QLifecycle {

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

ApplicationRunner::ApplicationRunner(ServiceManager *manager, ServiceManager::RunMode mode)
    : m_manager(manager), m_mode(mode)
{
}

ApplicationRunner::~ApplicationRunner()
{
    if (QCoreApplication *app = QCoreApplication::instance())
        app->removeEventFilter(this);
}

int ApplicationRunner::exec()
{
    QCoreApplication *app = QCoreApplication::instance();
    if (!app || QThread::currentThread() != app->thread() || m_manager->thread() != app->thread()) {
        qCCritical(lcManager) << "ServiceManager::run() needs a QCoreApplication and must be"
                              << "called on its thread, by a manager living there";
        return 1;
    }
#ifdef QLIFECYCLE_UNIX_SIGNALS
    m_signals = new UnixSignalWatcher(this);
    connect(m_signals, &UnixSignalWatcher::received, this, &ApplicationRunner::quitRequested);
#endif
    connect(m_manager.data(), &ServiceManager::stateChanged, this,
            &ApplicationRunner::graphStateChanged);
    app->installEventFilter(this);

    // Start from inside the loop: a quit() that a slot calls during the start would be lost
    // before exec(): quit() before exec() is a no-op in Qt.
    QMetaObject::invokeMethod(
        this, [this] { startGraph(this); }, Qt::QueuedConnection);
    const int loopCode = QCoreApplication::exec();
    if (!m_finished && m_manager) {
        // The loop was ended by exit() behind our back: still stop gracefully before returning.
        qCInfo(lcManager) << "event loop ended with code" << loopCode << "before the graph stopped";
        m_quitRequested = true;
        m_loopEnded = true; // finish() must not queue an exit() for the application's next loop
        m_manager->requestStop();
        while (!m_finished && m_manager && m_manager->state() != State::Stopped &&
               m_manager->state() != State::Failed)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        if (m_manager && m_manager->state() == State::Failed)
            m_exitCode = 1;
        return m_exitCode != 0 ? m_exitCode : loopCode;
    }
    return m_exitCode;
}

void ApplicationRunner::graphStateChanged(QService::State state)
{
    if (state != State::Stopped && state != State::Failed)
        return;
    const int code = state == State::Failed ? 1 : 0;
    if (state == State::Failed && m_manager)
        qCCritical(lcManager).noquote() << "stopped after a failure:" << m_manager->errorString();
    if (m_mode == ServiceManager::RunMode::UntilStopped || m_quitRequested)
        finish(code);
    else
        m_exitCode = code; // stay: a user interface shows what happened, may start again
}

void ApplicationRunner::quitRequested()
{
    m_quitRequested = true;
    if (!m_manager) {
        finish(m_exitCode);
        return;
    }
    const State state = m_manager->state();
    if (state == State::Stopped || state == State::Failed)
        finish(state == State::Failed || m_exitCode != 0 ? 1 : 0);
    else
        m_manager->requestStop(); // graphStateChanged() finishes once it has stopped
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
    // quit() and the last window closing arrive as QEvent::Quit: turn them into a stop. Our own
    // exit() at the end does not go through here.
    if (event->type() == QEvent::Quit && watched == QCoreApplication::instance() && !m_finished) {
        qCInfo(lcManager) << "quit requested: stopping the services first";
        quitRequested();
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
