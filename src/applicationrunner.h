#pragma once

#include <QtCore/QObject>
#include <QtCore/QPointer>

namespace QLifecycle {

class ServiceManager;
class UnixSignalWatcher;

// What ServiceManager::run() does for a main(): starts the graph, runs the application's
// event loop, turns SIGINT/SIGTERM and QEvent::Quit (QCoreApplication::quit(), the last
// window closing) into a graceful stop, and returns the exit code once the graph stopped.
class ApplicationRunner : public QObject
{
    Q_OBJECT
public:
    explicit ApplicationRunner(ServiceManager *manager);
    ~ApplicationRunner() override;

    int exec();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void stopThenExit();

    QPointer<ServiceManager> m_manager;
    UnixSignalWatcher *m_signals = nullptr;
    int m_exitCode = 0;
    bool m_finished = false;
};

} // namespace QLifecycle
