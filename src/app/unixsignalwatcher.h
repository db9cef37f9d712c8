#pragma once

#include <QtCore/QObject>

#include <csignal>

class QSocketNotifier;

namespace QLifecycle {

// Turns SIGINT and SIGTERM into a Qt signal on the event loop (self-pipe + QSocketNotifier):
// the handler itself only writes one byte. The exception is a signal that means "quit anyway":
// once the application's quit is under way (setQuitting()), or while an earlier signal still
// waits for the event loop (a blocked loop), the handler exits at once with 128 + signal
// (_exit is async-signal-safe, and it works when the loop is blocked). A second signal while
// the quit guard runs is delivered like the first: it skips the guard.
// The previous handlers are restored on destruction. One watcher at a time.
class UnixSignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignalWatcher(QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

    bool isActive() const { return m_active; }
    // The quit is under way (true): the next signal exits at once.
    static void setQuitting(bool quitting);

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
