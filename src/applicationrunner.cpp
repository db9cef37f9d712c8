#include "applicationrunner.h"

#include <QLifecycle/servicemanager.h>

#include "logging.h"
#include "unixsignalwatcher.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QThread>

namespace QLifecycle {

namespace {
// Drives one run from start to stop, then reports the exit code. A free coroutine taking its
// state as parameters (never a capturing lambda: QT-NOTES 2.2).
QCoro::Task<> drive(QPointer<ServiceManager> manager, QPointer<ApplicationRunner> runner,
                    int *exitCode, bool *finished)
{
    bool failed = false;
    try {
        co_await manager->start();
    } catch (const Error &) {
        failed = true; // already logged when it happened
    }
    if (manager) {
        try {
            co_await manager->wait();
        } catch (const Error &) {
            failed = true;
        }
    }
    if (!runner)
        co_return;
    *exitCode = failed ? 1 : 0;
    *finished = true;
    if (manager && failed)
        qCCritical(lcManager).noquote() << "stopped after a failure:" << manager->errorString();
    // Queued: exit() before exec() would be lost (QT-NOTES 2.8).
    QMetaObject::invokeMethod(
        QCoreApplication::instance(), [code = *exitCode] { QCoreApplication::exit(code); },
        Qt::QueuedConnection);
}
} // namespace

ApplicationRunner::ApplicationRunner(ServiceManager *manager) : m_manager(manager) {}

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
    m_signals = new UnixSignalWatcher(this);
    connect(m_signals, &UnixSignalWatcher::received, m_manager.data(),
            &ServiceManager::requestStop);
    app->installEventFilter(this);

    drive(m_manager, this, &m_exitCode, &m_finished);
    const int loopCode = QCoreApplication::exec();
    if (!m_finished && m_manager) {
        // The loop was ended by exit() behind our back: still stop gracefully before returning.
        qCInfo(lcManager) << "event loop ended with code" << loopCode << "before the graph stopped";
        m_manager->requestStop();
        while (!m_finished && m_manager)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        return m_exitCode != 0 ? m_exitCode : loopCode;
    }
    return m_exitCode;
}

bool ApplicationRunner::eventFilter(QObject *watched, QEvent *event)
{
    // quit() and the last window closing arrive as QEvent::Quit: turn them into a stop. Our own
    // exit() at the end does not go through here.
    if (event->type() == QEvent::Quit && watched == QCoreApplication::instance() && !m_finished) {
        qCInfo(lcManager) << "quit requested: stopping the services first";
        if (m_manager)
            m_manager->requestStop();
        return true;
    }
    return QObject::eventFilter(watched, event);
}

} // namespace QLifecycle
