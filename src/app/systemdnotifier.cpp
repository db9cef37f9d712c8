#include "app/systemdnotifier.h"

#include "service/qservice_p.h"

#include <QtCore/QLoggingCategory>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace QLifecycle {

Q_LOGGING_CATEGORY(lcSystemd, "qlifecycle.systemd", QtWarningMsg)

using State = QService::State;
using Health = QService::Health;

namespace {

// Fills `address` for the socket `name` and returns its length, or 0 for a name this cannot
// reach: "@name" is in the abstract namespace (a leading NUL byte), "/path" a file
// (docs/systemd.md, "The protocol").
socklen_t fillAddress(const QByteArray &name, sockaddr_un &address)
{
    address.sun_family = AF_UNIX;
    const bool abstract = name.startsWith('@');
    if (!abstract && !name.startsWith('/'))
        return 0;
    // A path keeps its terminating NUL, an abstract name has none: both fit sun_path.
    const qsizetype length = abstract ? name.size() : name.size() + 1;
    if (length > qsizetype(sizeof(address.sun_path)) || name.contains('\0'))
        return 0;
    std::memcpy(address.sun_path, name.constData(), size_t(name.size()));
    if (abstract)
        address.sun_path[0] = '\0';
    return socklen_t(offsetof(sockaddr_un, sun_path) + size_t(length));
}

// Half of WATCHDOG_USEC in milliseconds, when it is meant for this process.
qint64 watchdogInterval()
{
    bool ok = false;
    const qulonglong usec = qgetenv("WATCHDOG_USEC").toULongLong(&ok);
    if (!ok || usec == 0)
        return 0;
    const QByteArray pid = qgetenv("WATCHDOG_PID");
    if (!pid.isEmpty() && pid.toLongLong() != qint64(::getpid()))
        return 0; // the watchdog of another process (a parent that forked us)
    return std::max<qint64>(1, qint64(usec / 2000));
}

QString firstLine(const QString &text)
{
    return text.section(u'\n', 0, 0);
}

} // namespace

QByteArray SystemdNotifier::socketName()
{
    return qgetenv("NOTIFY_SOCKET");
}

SystemdNotifier::SystemdNotifier(ServiceManager *manager, const QByteArray &socketName,
                                 QObject *parent)
    : QObject(parent), m_manager(manager)
{
    sockaddr_un address{};
    const socklen_t length = fillAddress(socketName, address);
    if (length == 0) {
        qCWarning(lcSystemd).noquote() << "NOTIFY_SOCKET" << QString::fromLocal8Bit(socketName)
                                       << "is not a path or an abstract socket name: ignored";
        return;
    }
    m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        qCWarning(lcSystemd).noquote() << "cannot make a socket for NOTIFY_SOCKET:"
                                       << QString::fromLocal8Bit(std::strerror(errno));
        return;
    }
    // Each message is addressed anew (no connect()): a systemd that re-executed itself has
    // bound the name again, and a connected socket would still point at the old one.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the socket API's own cast
    m_address = QByteArray(reinterpret_cast<const char *>(&address), qsizetype(length));

    connect(manager, &ServiceManager::stateChanged, this, &SystemdNotifier::stateChanged);
    connect(manager, &ServiceManager::startingServicesChanged, this,
            [this](const QStringList &names) {
                if (m_manager && m_manager->state() == State::Starting)
                    progressMade(names);
            });
    connect(manager, &ServiceManager::stoppingServicesChanged, this,
            [this](const QStringList &names) {
                if (m_manager && m_manager->state() == State::Stopping)
                    progressMade(names);
            });
    connect(manager, &ServiceManager::healthChanged, this, &SystemdNotifier::updateStatus);
    connect(manager, &ServiceManager::healthReasonChanged, this, &SystemdNotifier::updateStatus);

    m_watchdogMs = watchdogInterval();
    if (m_watchdogMs > 0)
        armWatchdog();
    qCDebug(lcSystemd).noquote() << "notifying" << QString::fromLocal8Bit(socketName)
                                 << "watchdog interval" << m_watchdogMs << "ms";
}

SystemdNotifier::~SystemdNotifier()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void SystemdNotifier::send(const QByteArray &message)
{
    if (m_fd < 0)
        return;
    qCDebug(lcSystemd).noquote() << "sending" << QString::fromUtf8(message).replace(u'\n', u' ');
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the socket API's own cast
    const auto *to = reinterpret_cast<const sockaddr *>(m_address.constData());
    if (::sendto(m_fd, message.constData(), size_t(message.size()), MSG_NOSIGNAL | MSG_DONTWAIT, to,
                 socklen_t(m_address.size())) < 0 &&
        !std::exchange(m_warned, true))
        qCWarning(lcSystemd).noquote()
            << "cannot notify systemd:" << QString::fromLocal8Bit(std::strerror(errno));
}

void SystemdNotifier::stateChanged(State state)
{
    if (!m_manager || m_manager->state() != state)
        return; // already left: a slot connected before this one changed it again, and told us
    switch (state) {
    case State::Starting:
    case State::Stopping:
        m_inProgress.clear();
        m_deadlines.clear();
        if (state == State::Stopping) {
            m_lastStatus = status().toUtf8();
            send("STOPPING=1\nSTATUS=" + m_lastStatus);
            return;
        }
        break;
    case State::Running:
        m_lastStatus = status().toUtf8();
        send("READY=1\nSTATUS=" + m_lastStatus);
        return;
    case State::Stopped:
    case State::Failed:
        break;
    }
    updateStatus();
}

// A service began to start (or stop): systemd's timeout is extended to cover the time limits
// of the services in progress, never further; a service without a limit extends nothing.
void SystemdNotifier::progressMade(const QStringList &names)
{
    const bool starting = m_manager->state() == State::Starting;
    const qint64 now = TimeSource::current()->nowMs();
    bool began = false;
    for (const QString &name : names) {
        if (m_inProgress.contains(name))
            continue;
        began = true;
        const QList<QService *> services = m_manager->services();
        const auto it = std::find_if(services.cbegin(), services.cend(),
                                     [&name](const QService *s) { return s->name() == name; });
        if (it == services.cend())
            continue;
        qint64 limitMs = 0; // none known
        try {
            if (!starting)
                limitMs = QServicePrivate::stopTimeoutOf(*it).count();
            else if (const auto timeout = QServicePrivate::startTimeoutOf(*it))
                limitMs = timeout->count();
        } catch (...) { // the manager reports it; here it only means no known limit
        }
        if (limitMs > 0)
            m_deadlines.insert(name, now + limitMs);
    }
    for (auto it = m_deadlines.begin(); it != m_deadlines.end();)
        it = names.contains(it.key()) ? std::next(it) : m_deadlines.erase(it);
    m_inProgress = names;

    qint64 latest = 0;
    for (const qint64 deadline : std::as_const(m_deadlines))
        latest = std::max(latest, deadline);
    if (began && latest > now)
        send("EXTEND_TIMEOUT_USEC=" + QByteArray::number((latest - now) * 1000));
    updateStatus();
}

void SystemdNotifier::updateStatus()
{
    if (!m_manager)
        return;
    const QByteArray line = status().toUtf8();
    if (line == m_lastStatus)
        return;
    m_lastStatus = line;
    send("STATUS=" + line);
}

// "starting 3 of 6: Database", "running", "stopping: Api, Search", "failed: ..."
// (docs/systemd.md, "What systemd is told").
QString SystemdNotifier::status() const
{
    switch (m_manager->state()) {
    case State::Starting: {
        const QStringList names = m_manager->startingServices();
        if (names.isEmpty())
            return QStringLiteral("starting");
        const int total = std::max(1, m_manager->serviceCount() - m_manager->deferredCount());
        const int done = qRound(m_manager->startProgress() * total);
        return QStringLiteral("starting %1 of %2: %3")
            .arg(std::min(done + 1, total))
            .arg(total)
            .arg(names.join(QStringLiteral(", ")));
    }
    case State::Running: {
        const Health health = m_manager->health();
        if (health == Health::Healthy)
            return QStringLiteral("running");
        const QString reason = m_manager->healthReason();
        const QString word = health == Health::Degraded ? QStringLiteral("running, degraded")
                                                        : QStringLiteral("running, unhealthy");
        return reason.isEmpty() ? word : word + QStringLiteral(": ") + firstLine(reason);
    }
    case State::Stopping: {
        const QStringList names = m_manager->stoppingServices();
        return names.isEmpty() ? QStringLiteral("stopping")
                               : QStringLiteral("stopping: ") + names.join(QStringLiteral(", "));
    }
    case State::Stopped:
        return QStringLiteral("stopped");
    case State::Failed:
        return QStringLiteral("failed: ") + firstLine(m_manager->errorString());
    }
    return {};
}

void SystemdNotifier::armWatchdog()
{
    m_watchdog = TimeSource::current()->callAfter(m_watchdogMs, this, [this] {
        pingWatchdog();
        armWatchdog(); // destroys the timer that calls this: allowed (timesource.h)
    });
}

// From the event loop: a frozen loop sends nothing, and neither does an unhealthy manager (a
// critical service unhealthy), so that systemd restarts the process (docs/systemd.md).
void SystemdNotifier::pingWatchdog()
{
    if (m_manager && m_manager->health() == Health::Unhealthy) {
        qCDebug(lcSystemd) << "watchdog ping skipped: the manager is unhealthy";
        return;
    }
    send("WATCHDOG=1");
}

} // namespace QLifecycle
