#include "screenshot.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QTimer>
#include <QtGui/QPixmap>
#include <QtWidgets/QWidget>

#include <algorithm>
#include <cstdio>
#include <utility>

using QLifecycle::ServiceManager;
using State = QLifecycle::QService::State;

Screenshot::Screenshot(ServiceManager *manager, QWidget *window, QWidget *splash,
                       const QString &file, Moment moment)
    : m_manager(manager), m_window(window), m_splash(splash), m_file(file), m_moment(moment)
{
    connect(manager, &ServiceManager::stateChanged, this, &Screenshot::check);
    connect(manager, &ServiceManager::startProgressChanged, this, &Screenshot::check);
    connect(manager, &ServiceManager::stopProgressChanged, this, &Screenshot::check);
    connect(manager, &ServiceManager::deferredCountChanged, this, &Screenshot::check);
    connect(manager, &ServiceManager::startingServicesChanged, this, &Screenshot::check);
    connect(manager, &ServiceManager::servicesChanged, this, [this] {
        for (QLifecycle::QService *service : m_manager->services())
            connect(service, &QLifecycle::QService::stateChanged, this, &Screenshot::check,
                    Qt::UniqueConnection);
    });
}

void Screenshot::check()
{
    if (!m_manager)
        return;
    const State state = m_manager->state();
    bool allRun = state == State::Running && m_manager->deferredCount() == 0;
    for (const QLifecycle::QService *service : m_manager->services())
        allRun = allRun && service->state() == State::Running;
    // Queued: what is shot has been updated by every slot of this change first.
    switch (m_moment) {
    case Moment::Starting:
        // Once half run and the splash names what starts now.
        if (!m_taken && state == State::Starting && m_manager->startProgress() >= 0.5 &&
            !m_manager->startingServices().isEmpty())
            QTimer::singleShot(0, this, [this] { shoot(m_splash); });
        if (m_taken && allRun && !std::exchange(m_quit, true))
            QCoreApplication::quit();
        break;
    case Moment::Running:
        // Quit once only: a second quit while the services stop would mean "quit now".
        if (allRun && !std::exchange(m_quit, true))
            QTimer::singleShot(0, this, [this] {
                shoot(m_window);
                QCoreApplication::quit();
            });
        break;
    case Moment::Stopping:
        // Closing the main window is a quit (ServiceManager::setMainWindow()): it stays up
        // and shows the shutdown progress while the services stop. Once only: closing it
        // again while they stop would mean "quit now".
        if (allRun && m_window && !std::exchange(m_closed, true))
            QTimer::singleShot(0, m_window, [window = m_window] { window->close(); });
        if (!m_taken && state == State::Stopping && m_manager->stopProgress() >= 0.4)
            QTimer::singleShot(0, this, [this] { shoot(m_window); });
        break;
    case Moment::Restart: {
        const QList<QLifecycle::QService *> services = m_manager->services();
        const bool waits = std::any_of(services.cbegin(), services.cend(), [](auto *service) {
            return service->state() == State::Failed && service->restartCount() >= 1 &&
                   service->restartDelayMs() >= 0;
        });
        if (waits && !std::exchange(m_quit, true))
            QTimer::singleShot(0, this, [this] {
                shoot(m_window);
                QCoreApplication::quit();
            });
        break;
    }
    case Moment::Failed:
        if (state == State::Failed && !std::exchange(m_quit, true))
            QTimer::singleShot(0, this, [this] {
                shoot(m_window);
                QCoreApplication::quit();
            });
        break;
    }
}

void Screenshot::shoot(QWidget *widget)
{
    if (m_taken || !widget)
        return;
    m_taken = true;
    const QPixmap pixmap = widget->grab();
    m_saved = !pixmap.isNull() && pixmap.save(m_file);
    if (m_saved)
        std::printf("screenshot: %dx%d saved to %s\n", pixmap.width(), pixmap.height(),
                    qPrintable(m_file));
    else
        std::fprintf(stderr, "screenshot: cannot save to %s\n", qPrintable(m_file));
    std::fflush(stdout);
}
