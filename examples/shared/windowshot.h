#pragma once

#include <QLifecycle/ServiceManager>

#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QString>

class QQuickWindow;

// One unattended screenshot of an example's window (--screenshot FILE): when the run reaches the
// chosen moment, it waits for the window to render a frame (QQuickWindow::frameSwapped, never a
// sleep), grabs the window into FILE and, unless the graph is already stopping, asks the
// manager to stop. The program then ends as after any stop. A run that ends before the moment
// (a failed start) is shot in its final state by shootFinalState().
class WindowShot : public QObject
{
    Q_OBJECT
public:
    enum class Moment {
        Starting, // half of the services run, the others are starting (progress >= 0.5)
        Running,  // every service runs (Sync, deferred, too)
        Stopping, // closes the window once all run; shot once the stop is half done
        Stopped,  // the run has ended (after a crash, a failed start or --quit-after-ms)
        Closing,  // closes the window once all run; shot when arm() is called (a dialog is
                  // up), then quits at once
        Armed,    // shot when arm() is called (what the picture is about has happened)
    };

    WindowShot(QQuickWindow *window, QLifecycle::ServiceManager *manager, const QString &file,
               Moment moment);

    // Whether the screenshot was taken and saved.
    bool isTaken() const { return m_taken; }
    bool isSaved() const { return m_saved; }

    // Moment::Closing and Moment::Armed: shoot the next frame.
    void arm();

    // For a run that ended before the moment came (a failed start, a crash): shoots the final
    // state as soon as the window has rendered it. Turns the event loop until then.
    void shootFinalState();

private:
    void check();
    void frameRendered();

    QPointer<QQuickWindow> m_window;
    QPointer<QLifecycle::ServiceManager> m_manager;
    QString m_file;
    Moment m_moment;
    bool m_armed = false;  // the moment has come: the next frame is grabbed
    bool m_closed = false; // Moment::Stopping: the window was closed
    bool m_taken = false;
    bool m_saved = false;
};
