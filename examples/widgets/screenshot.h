#pragma once

#include <QLifecycle/ServiceManager>

#include <QtCore/QObject>
#include <QtCore/QPointer>

class QWidget;

// One unattended screenshot (--screenshot FILE): when the run reaches the chosen moment, it
// renders a widget into FILE (QWidget::grab(), which needs no display), then ends the run the
// way a user would.
class Screenshot : public QObject
{
    Q_OBJECT
public:
    enum class Moment {
        Starting, // the splash, once half of the services run; quits once all run
        Running,  // the window, once every service runs (the deferred one too); then quits
        Stopping, // closes the window once all run; the window is shot half way through the stop
        Failed,   // the window once the start failed (--fail-start), with Retry; then quits
        Restart,  // the window once a service restarted before (--flaky) has failed again and
                  // waits for its next restart; then quits
    };

    Screenshot(QLifecycle::ServiceManager *manager, QWidget *window, QWidget *splash,
               const QString &file, Moment moment);
    bool isSaved() const { return m_saved; }

private:
    void check();
    void shoot(QWidget *widget);

    QPointer<QLifecycle::ServiceManager> m_manager;
    QPointer<QWidget> m_window;
    QPointer<QWidget> m_splash;
    QString m_file;
    Moment m_moment;
    bool m_taken = false;
    bool m_saved = false;
    bool m_closed = false; // Moment::Stopping: the window was closed
    bool m_quit = false;
};
