#pragma once

#include <QtCore/QObject>

#include <csignal>

class QSocketNotifier;

namespace QLifecycle {

// Turns SIGINT and SIGTERM into a Qt signal on the event loop (self-pipe + QSocketNotifier):
// the handler itself only writes one byte. The one exception is a second signal: the process
// is then already stopping and the user insists, so the handler exits at once with
// 128 + signal (_exit is async-signal-safe, and it still works when the loop is blocked).
// The previous handlers are restored on destruction. One watcher at a time.
class UnixSignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignalWatcher(QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

    bool isActive() const { return m_active; }

Q_SIGNALS:
    void received(int signal);

private:
    void drain();

    QSocketNotifier *m_notifier = nullptr;
    struct sigaction m_previousInt {
    };
    struct sigaction m_previousTerm {
    };
    bool m_active = false;
};

} // namespace QLifecycle
