#include "windowshot.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QTimer>
#include <QtGui/QImage>
#include <QtQuick/QQuickWindow>

#include <cstdio>
#include <utility>

using State = QLifecycle::QService::State;

WindowShot::WindowShot(QQuickWindow *window, QLifecycle::ServiceManager *manager,
                       const QString &file, Moment moment)
    : m_window(window), m_manager(manager), m_file(file), m_moment(moment)
{
    using QLifecycle::ServiceManager;
    connect(manager, &ServiceManager::stateChanged, this, &WindowShot::check);
    connect(manager, &ServiceManager::progressChanged, this, &WindowShot::check);
    connect(manager, &ServiceManager::stopProgressChanged, this, &WindowShot::check);
    // Deferred services start after the first frame: the moment may come with one of theirs.
    for (QLifecycle::QService *service : manager->services())
        connect(service, &QLifecycle::QService::stateChanged, this, &WindowShot::check);
    connect(manager, &ServiceManager::servicesChanged, this, [this, manager] {
        for (QLifecycle::QService *service : manager->services())
            connect(service, &QLifecycle::QService::stateChanged, this, &WindowShot::check,
                    Qt::UniqueConnection);
    });
    // Emitted on the render thread with the threaded render loop: queued to this thread.
    connect(window, &QQuickWindow::frameSwapped, this, &WindowShot::frameRendered);
}

// Called on every change of the manager: has the moment come?
void WindowShot::check()
{
    if (m_armed || m_taken || !m_manager)
        return;
    const State state = m_manager->state();
    bool allRun = state == State::Running && m_manager->deferredCount() == 0;
    const QList<QLifecycle::QService *> services =
        allRun ? m_manager->services() : QList<QLifecycle::QService *>();
    for (const QLifecycle::QService *service : services)
        allRun = allRun && service->state() == State::Running;
    bool now = false;
    switch (m_moment) {
    case Moment::Starting:
        now = state == State::Starting && m_manager->startProgress() >= 0.5;
        break;
    case Moment::Running:
        now = allRun;
        break;
    case Moment::Stopping:
        // Once everything runs, close the window as a user would: closing the main window asks
        // the manager to stop (ServiceManager::setMainWindow()), and it stays open while the
        // services stop. Once only: closing it again while they stop would mean "quit now".
        if (allRun && m_window && !std::exchange(m_closed, true))
            QTimer::singleShot(0, m_window, [window = m_window] { window->close(); });
        now = state == State::Stopping && m_manager->stopProgress() >= 0.5;
        break;
    case Moment::Closing: // closed like Stopping; arm() is the moment
        if (allRun && m_window && !std::exchange(m_closed, true))
            QTimer::singleShot(0, m_window, [window = m_window] { window->close(); });
        break;
    case Moment::Armed:   // arm() does it
    case Moment::Stopped: // shootFinalState() does it
        break;
    }
    if (now) {
        m_armed = true;
        if (m_window)
            m_window->update(); // make sure a frame comes even if nothing else changes
    }
}

void WindowShot::frameRendered()
{
    if (!m_armed || m_taken || !m_window)
        return;
    m_taken = true;
    // Renders the scene as it is now (the frame just shown was at least as old).
    const QImage image = m_window->grabWindow();
    m_saved = !image.isNull() && image.save(m_file);
    if (m_saved) {
        std::printf("screenshot: %dx%d window saved to %s\n", m_window->width(), m_window->height(),
                    qPrintable(m_file));
    } else {
        std::fprintf(stderr, "screenshot: cannot save the window to %s\n", qPrintable(m_file));
    }
    std::fflush(stdout);
    // Done: end the run, as the user would (a stop requested while starting is honoured once
    // the starts in flight end). A stopping or stopped graph needs nothing more.
    if (m_manager &&
        (m_moment == Moment::Starting || m_moment == Moment::Running || m_moment == Moment::Armed))
        m_manager->requestStop();
    // Closing: the quit waits for an answer; a second quit request goes on without it.
    if (m_moment == Moment::Closing)
        QTimer::singleShot(0, qApp, &QCoreApplication::quit);
}

void WindowShot::arm()
{
    if ((m_moment != Moment::Closing && m_moment != Moment::Armed) || m_armed || m_taken ||
        !m_window)
        return;
    m_armed = true;
    m_window->update();
}

void WindowShot::shootFinalState()
{
    if (m_taken || !m_window)
        return;
    m_armed = true;
    if (!m_window->isVisible()) { // closed: nothing will render, grab what the scene holds
        frameRendered();
        return;
    }
    QEventLoop loop;
    connect(m_window, &QQuickWindow::frameSwapped, &loop, &QEventLoop::quit, Qt::QueuedConnection);
    // A safety net only, should the window never render again: grab it anyway.
    QTimer::singleShot(std::chrono::seconds(30), &loop, &QEventLoop::quit);
    m_window->update();
    loop.exec();
    frameRendered();
}
