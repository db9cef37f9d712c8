#pragma once

#include <QLifecycle/servicemanager.h>

#include <QtCore/QObject>
#include <QtCore/QPointer>

class QTimer;

namespace QLifecycle {

class UnixSignalWatcher;

// What ServiceManager::run() does for a main(): starts the graph, runs the application's
// event loop, and turns every way the application is asked to end into one quit path
// (docs/lifecycle.md, "The quit path"): QEvent::Quit (quit(), the last window closing), a close
// event of the main window, the session's end, SIGINT/SIGTERM. A quit asks the quit guard
// first, then stops the graph with its reason, then ends the loop with the exit code of the
// last run. A second quit request while the guard runs skips it; one while the graph stops
// abandons what is left.
class ApplicationRunner : public QObject
{
    Q_OBJECT
public:
    ApplicationRunner(ServiceManager *manager, ServiceManager::RunMode mode);
    ~ApplicationRunner() override;

    int exec();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private Q_SLOTS:
    void sessionEnding();    // QGuiApplication::commitDataRequest
    void lastWindowClosed(); // QGuiApplication::lastWindowClosed

private:
    enum class Quit { None, Guarding, Accepted };

    void watchApplication(QCoreApplication *app);
    void quitRequested(ServiceManager::StopReason reason);
    void guardAnswered(quint32 ticket, bool proceed, const QString &note);
    void beginQuit(ServiceManager::StopReason reason);
    [[noreturn]] void abandon(ServiceManager::StopReason reason);
    void graphStateChanged(QService::State state);
    void finish(int exitCode);

    QPointer<ServiceManager> m_manager;
    ServiceManager::RunMode m_mode;
    UnixSignalWatcher *m_signals = nullptr;
    QTimer *m_guardTimer = nullptr;
    Quit m_quit = Quit::None;
    ServiceManager::StopReason m_quitReason = ServiceManager::StopReason::None;
    quint32 m_guardTicket = 0; // an answer of an earlier guard (skipped, timed out) is ignored
    int m_exitCode = 0;
    int m_signal = 0; // the last signal received
    bool m_finished = false;
    bool m_loopEnded = false;        // exec() returned before the graph stopped
    bool m_lastWindowClosed = false; // the next QEvent::Quit comes from the last window closing

    friend QCoro::Task<> startGraph(QPointer<ApplicationRunner> runner);
    friend QCoro::Task<> askGuard(QPointer<ApplicationRunner> runner,
                                  ServiceManager::QuitGuard guard,
                                  ServiceManager::StopReason reason, quint32 ticket);
};

} // namespace QLifecycle
