#pragma once

#include <QLifecycle/servicemanager.h>

#include <QtCore/QObject>
#include <QtCore/QPointer>

namespace QLifecycle {

class UnixSignalWatcher;

// What ServiceManager::run() does for a main(): starts the graph, runs the application's
// event loop, turns SIGINT/SIGTERM and QEvent::Quit (QCoreApplication::quit(), the last
// window closing) into a graceful stop, and returns the exit code of the last run.
class ApplicationRunner : public QObject
{
    Q_OBJECT
public:
    ApplicationRunner(ServiceManager *manager, ServiceManager::RunMode mode);
    ~ApplicationRunner() override;

    int exec();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void quitRequested();
    void graphStateChanged(QService::State state);
    void finish(int exitCode);

    QPointer<ServiceManager> m_manager;
    ServiceManager::RunMode m_mode;
    UnixSignalWatcher *m_signals = nullptr;
    int m_exitCode = 0;
    bool m_quitRequested = false;
    bool m_finished = false;
    bool m_loopEnded = false; // exec() returned before the graph stopped

    friend QCoro::Task<> startGraph(QPointer<ApplicationRunner> runner);
};

} // namespace QLifecycle
