#include <QLifecycle/widgets/startupsplash.h>

#include <QLifecycle/servicemanager.h>

#include "progresstext_p.h"

#include <QtCore/QPointer>
#include <QtGui/QPainter>
#include <QtGui/QPixmap>
#include <QtWidgets/QSplashScreen>

namespace QLifecycle {

class StartupSplashPrivate
{
public:
    QPointer<ServiceManager> manager;
    QPointer<QSplashScreen> splash;
    QPointer<QWidget> mainWindow;
    QPixmap background; // the splash's own pixmap, under the progress bar
    QString message;
    int progress = 0;
    bool seenStart = false;
    bool finished = false;
    bool updating = false; // QSplashScreen's repaint processes events: update() may re-enter
    bool again = false;
};

namespace {
// The splash's pixmap with a progress bar near its bottom edge, above the message (which the
// splash draws at the bottom), in the splash's palette.
QPixmap withBar(const QPixmap &background, const QPalette &palette, const QFontMetrics &metrics,
                int percent)
{
    if (background.isNull())
        return background;
    QPixmap pixmap = background;
    const qreal dpr = pixmap.devicePixelRatio();
    const QSizeF size = QSizeF(pixmap.size()) / dpr;
    const qreal margin = 12;
    const qreal height = 6;
    const qreal message = metrics.height() + 6;
    const QRectF track(margin, size.height() - message - margin / 2 - height,
                       size.width() - 2 * margin, height);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(palette.color(QPalette::Mid));
    painter.drawRoundedRect(track, height / 2, height / 2);
    if (percent > 0) {
        QRectF bar = track;
        bar.setWidth(track.width() * percent / 100.0);
        painter.setBrush(palette.color(QPalette::Highlight));
        painter.drawRoundedRect(bar, height / 2, height / 2);
    }
    return pixmap;
}
} // namespace

StartupSplash::StartupSplash(ServiceManager *manager, QSplashScreen *splash, QWidget *mainWindow)
    : QObject(splash), d_ptr(std::make_unique<StartupSplashPrivate>())
{
    Q_D(StartupSplash);
    d->manager = manager;
    d->splash = splash;
    d->mainWindow = mainWindow;
    if (splash)
        d->background = splash->pixmap();
    if (!manager || !splash)
        return;

    const auto update = [this] {
        Q_D(StartupSplash);
        if (d->updating) {
            d->again = true;
            return;
        }
        const QPointer<StartupSplash> self(this);
        d->updating = true;
        do {
            d->again = false;
            step();
        } while (self && d->again);
        if (self)
            d->updating = false;
    };
    connect(manager, &ServiceManager::stateChanged, this, update);
    connect(manager, &ServiceManager::startProgressChanged, this, update);
    connect(manager, &ServiceManager::startingServicesChanged, this, update);
    connect(manager, &ServiceManager::deferredCountChanged, this, update);
    connect(manager, &ServiceManager::servicesChanged, this, update);
    update();
}

StartupSplash::~StartupSplash() = default;

// One update of the splash. The splash's own calls process events (QSplashScreen::repaint(),
// finish()), in which anything may happen: the state is stored and signalled first.
void StartupSplash::step()
{
    Q_D(StartupSplash);
    if (d->finished || !d->manager || !d->splash)
        return;
    const QService::State state = d->manager->state();
    if (state == QService::State::Starting)
        d->seenStart = true;
    if (!d->seenStart)
        return; // a manager that has not started yet: the splash waits for it
    const QPointer<StartupSplash> self(this);
    if (state != QService::State::Starting) {
        d->finished = true;
        const bool started = state == QService::State::Running;
        const QPointer<QWidget> window = d->mainWindow;
        const QPointer<QSplashScreen> splash = d->splash;
        if (window && !window->isVisible())
            window->show();
        Q_EMIT finished(started);
        if (started && window && splash)
            splash->finish(window);
        else if (splash)
            splash->close();
        return;
    }
    const int percent = WidgetsPrivate::startPercent(d->manager);
    const QString message = WidgetsPrivate::startMessage(d->manager);
    if (std::exchange(d->progress, percent) != percent)
        Q_EMIT progressChanged(percent);
    if (!self)
        return;
    if (std::exchange(d->message, message) != message)
        Q_EMIT messageChanged(message);
    if (!self || !d->splash)
        return;
    const QPointer<QSplashScreen> splash = d->splash;
    splash->setPixmap(withBar(d->background, splash->palette(), splash->fontMetrics(), percent));
    if (splash)
        splash->showMessage(message, Qt::AlignHCenter | Qt::AlignBottom,
                            splash->palette().color(QPalette::WindowText));
}

ServiceManager *StartupSplash::manager() const
{
    return d_func()->manager;
}
QSplashScreen *StartupSplash::splashScreen() const
{
    return d_func()->splash;
}
QWidget *StartupSplash::mainWindow() const
{
    return d_func()->mainWindow;
}
void StartupSplash::setMainWindow(QWidget *window)
{
    d_func()->mainWindow = window;
}
QString StartupSplash::message() const
{
    return d_func()->message;
}
int StartupSplash::progress() const
{
    return d_func()->progress;
}
bool StartupSplash::isFinished() const
{
    return d_func()->finished;
}

} // namespace QLifecycle
