#include "app/unixsignalwatcher.h"

#include "service/logging.h"

#include <QtCore/QSocketNotifier>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace QLifecycle {

namespace {
int s_fds[2] = {-1, -1};
volatile std::sig_atomic_t s_quitting = 0;  // the quit is under way
volatile std::sig_atomic_t s_undrained = 0; // a signal the event loop has not read yet

void onSignal(int signal)
{
    if (s_quitting != 0 || s_undrained != 0) {
        static const char message[] = "qlifecycle: second interrupt while stopping, exiting now\n";
        [[maybe_unused]] const auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
        ::_exit(128 + signal);
    }
    s_undrained = 1;
    const unsigned char byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] const auto written = ::write(s_fds[0], &byte, 1);
}
} // namespace

UnixSignalWatcher::UnixSignalWatcher(QObject *parent) : QObject(parent)
{
    if (s_fds[0] >= 0) {
        qCWarning(lcSignals) << "another ServiceManager already handles SIGINT and SIGTERM";
        return;
    }
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, s_fds) != 0) {
        qCWarning(lcSignals) << "cannot create the signal socket pair; SIGINT/SIGTERM not handled";
        s_fds[0] = s_fds[1] = -1;
        return;
    }
    s_quitting = 0;
    s_undrained = 0;
    m_notifier = new QSocketNotifier(s_fds[1], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &UnixSignalWatcher::drain);

    struct sigaction action {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, &m_previousInt);
    ::sigaction(SIGTERM, &action, &m_previousTerm);
    m_active = true;
}

UnixSignalWatcher::~UnixSignalWatcher()
{
    if (!m_active)
        return;
    ::sigaction(SIGINT, &m_previousInt, nullptr);
    ::sigaction(SIGTERM, &m_previousTerm, nullptr);
    delete m_notifier;
    ::close(s_fds[0]);
    ::close(s_fds[1]);
    s_fds[0] = s_fds[1] = -1;
}

void UnixSignalWatcher::setQuitting(bool quitting)
{
    s_quitting = quitting ? 1 : 0;
}

void UnixSignalWatcher::drain()
{
    unsigned char byte = 0;
    s_undrained = 0;
    while (::read(s_fds[1], &byte, 1) == 1) {
        qCInfo(lcSignals) << "received signal" << int(byte);
        Q_EMIT received(int(byte));
    }
}

} // namespace QLifecycle
