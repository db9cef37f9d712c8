#pragma once

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QtCore/QElapsedTimer>

// Prints every state change of the services on stdout as it happens, one line each, with the
// time since the log was created (the program start):
//
//   [   20 ms] Config    Running   (started in 20 ms)
//
// Lines are flushed at once, so the log stays live even when stdout is a pipe.
class TransitionLog
{
public:
    TransitionLog();

    // Logs every transition of `service`. Connect before the manager starts, since the first
    // transitions happen at once.
    void watch(QLifecycle::QService *service);
    // Announces when the eager services run (and which start later), when every service runs,
    // each restart ("restart: Database failed; restarting Database, Api in 1012 ms"), and when
    // the graph begins to stop, and why.
    void watch(QLifecycle::ServiceManager *manager);
    // The final table: each service's state and durations, and the errors if any.
    void printSummary(const QLifecycle::ServiceManager &manager, int exitCode) const;

private:
    QString timestamp() const;
    void managerStateChanged(QLifecycle::QService::State state);
    // Prints the "ready" line once every service of the run runs, deferred ones included.
    void announceWhenAllRun();

    QElapsedTimer m_clock;
    QLifecycle::ServiceManager *m_manager = nullptr;
    bool m_ready = false; // the "ready" line of this run was printed
};
