#pragma once

#include <QLifecycle/servicemanager.h>
#include <QLifecycle/timesource.h>

#include <QtCore/QByteArray>
#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QStringList>

#include <memory>

namespace QLifecycle {

// What ServiceManager::run() tells systemd when it runs a Type=notify unit (docs/systemd.md):
// READY=1 once the graph is Running, STOPPING=1 when its stop begins, a STATUS= line as it
// changes, EXTEND_TIMEOUT_USEC= while a start or stop makes progress (bounded by the timeouts of
// the services in progress), and WATCHDOG=1 from the event loop at half of WATCHDOG_USEC,
// skipped while the manager is Unhealthy. run() makes one only when NOTIFY_SOCKET is set.
//
// The protocol: one datagram a message, "KEY=value" lines, to the AF_UNIX socket NOTIFY_SOCKET
// names ('@' for the abstract namespace); a few lines of code, so no libsystemd.
class SystemdNotifier : public QObject
{
    Q_OBJECT
public:
    // The socket NOTIFY_SOCKET names, or an empty string when run() should send nothing.
    static QByteArray socketName();

    SystemdNotifier(ServiceManager *manager, const QByteArray &socketName,
                    QObject *parent = nullptr);
    ~SystemdNotifier() override;

private:
    void send(const QByteArray &message);
    void stateChanged(QService::State state);
    void progressMade(const QStringList &names);
    void updateStatus();
    QString status() const;
    void armWatchdog();
    void pingWatchdog();

    QPointer<ServiceManager> m_manager;
    int m_fd = -1;
    QByteArray m_address;  // the sockaddr_un of NOTIFY_SOCKET, as long as it is
    bool m_warned = false; // a failed send is logged once
    QByteArray m_lastStatus;
    QStringList m_inProgress;           // the services starting or stopping, as last seen
    QHash<QString, qint64> m_deadlines; // their time limits (TimeSource::nowMs()), when they have
    qint64 m_watchdogMs = 0;            // half of WATCHDOG_USEC; 0: no watchdog for this process
    std::unique_ptr<TimeSource::Timer> m_watchdog;
};

} // namespace QLifecycle
