// What ServiceManager::run() tells systemd under NOTIFY_SOCKET (docs/systemd.md): a real datagram
// socket stands in for systemd and records every message with the time it arrived.

#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtTest/QTest>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <thread>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace {

// systemd's end of the protocol: a datagram socket bound to a file (or an abstract name), read
// by a thread of its own so that a frozen event loop cannot delay the arrival times.
class FakeSystemd
{
public:
    struct Message {
        qint64 atMs; // on clock()
        QByteArray text;
    };

    explicit FakeSystemd(bool abstract = false)
    {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        m_name = abstract ? "@qlifecycle-tst-systemd-" + QByteArray::number(::getpid())
                          : QFile::encodeName(m_dir.filePath(QStringLiteral("notify")));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, m_name.constData(), size_t(m_name.size()));
        if (abstract)
            address.sun_path[0] = '\0';
        const auto length =
            socklen_t(offsetof(sockaddr_un, sun_path) + size_t(m_name.size()) + (abstract ? 0 : 1));
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the socket API's cast
        m_bound = ::bind(m_fd, reinterpret_cast<const sockaddr *>(&address), length) == 0;
        m_clock.start();
        m_reader = std::thread([this] { read(); });
    }
    ~FakeSystemd()
    {
        stopReading();
        ::close(m_fd);
        qunsetenv("NOTIFY_SOCKET");
        qunsetenv("WATCHDOG_USEC");
        qunsetenv("WATCHDOG_PID");
    }
    Q_DISABLE_COPY_MOVE(FakeSystemd)

    bool isBound() const { return m_bound; }
    // What systemd puts in the environment of the service it starts.
    void exportSocket() const { qputenv("NOTIFY_SOCKET", m_name); }
    qint64 nowMs() const { return m_clock.elapsed(); }

    // Every message sent so far: the reader stops, and what it had not read yet is read here.
    QList<Message> messages()
    {
        stopReading();
        char buffer[4096];
        for (ssize_t size = ::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT); size >= 0;
             size = ::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT))
            m_messages.append({m_clock.elapsed(), QByteArray(buffer, qsizetype(size))});
        return m_messages;
    }
    QByteArrayList texts(bool withWatchdog = false)
    {
        QByteArrayList out;
        for (const Message &message : messages()) {
            if (withWatchdog || message.text != "WATCHDOG=1")
                out.append(message.text);
        }
        return out;
    }

private:
    void stopReading()
    {
        m_done = true;
        if (m_reader.joinable())
            m_reader.join();
    }
    void read()
    {
        while (!m_done) {
            pollfd poller{m_fd, POLLIN, 0};
            if (::poll(&poller, 1, 10) <= 0)
                continue;
            char buffer[4096];
            const ssize_t size = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (size < 0)
                continue;
            const std::lock_guard lock(m_mutex);
            m_messages.append({m_clock.elapsed(), QByteArray(buffer, qsizetype(size))});
        }
    }

    QTemporaryDir m_dir;
    QByteArray m_name;
    int m_fd = -1;
    bool m_bound = false;
    QElapsedTimer m_clock;
    std::mutex m_mutex;
    QList<Message> m_messages;
    std::atomic_bool m_done{false};
    std::thread m_reader;
};

// A service whose health the test sets.
class Checked : public ScriptedService
{
public:
    using QService::setHealth;
    using ScriptedService::ScriptedService;
};

void quitWhenRunning(ServiceManager &manager)
{
    QObject::connect(&manager, &ServiceManager::stateChanged, &manager, [&manager](State state) {
        if (state == State::Running)
            QTimer::singleShot(0, &manager, [] { QCoreApplication::quit(); });
    });
}

// Starts and stops that last a little, so that each is seen on its own.
void takeTime(std::initializer_list<ScriptedService *> services)
{
    for (ScriptedService *service : services) {
        service->onStart.delay = 10ms;
        service->onStop.delay = 10ms;
    }
}

} // namespace

class tst_Systemd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanStartAndStop();
    void failedStart();
    void sigtermDuringStart();
    void frozenLoopSendsNoWatchdogPing();
    void watchdogSkippedWhileUnhealthy();
    void watchdogOfAnotherProcessIsNotPinged();
    void abstractSocketName();
    void nothingWithoutNotifySocket();
};

// The extensions cover the time limits of the services that begin (db's start: 3 s; api has
// none; every stop: the default 10 s).
void tst_Systemd::cleanStartAndStop()
{
    FakeSystemd systemd;
    QVERIFY(systemd.isBound());
    systemd.exportSocket();
    ScriptedService db(QStringLiteral("db")), api(QStringLiteral("api"));
    db.startLimit = 3s;
    api.deps = {&db};
    takeTime({&db, &api});
    ServiceManager manager(&api);
    quitWhenRunning(manager);
    QCOMPARE(manager.run(), 0);
    const QByteArrayList expected{
        "STATUS=starting",
        "EXTEND_TIMEOUT_USEC=3000000",
        "STATUS=starting 1 of 2: db",
        "STATUS=starting 2 of 2: api",
        "READY=1\nSTATUS=running",
        "STOPPING=1\nSTATUS=stopping",
        "EXTEND_TIMEOUT_USEC=10000000",
        "STATUS=stopping: api",
        "EXTEND_TIMEOUT_USEC=10000000",
        "STATUS=stopping: db",
        "STATUS=stopped",
    };
    QCOMPARE(systemd.texts(), expected);
}

void tst_Systemd::failedStart()
{
    FakeSystemd systemd;
    systemd.exportSocket();
    ScriptedService db(QStringLiteral("db")), api(QStringLiteral("api"));
    api.deps = {&db};
    takeTime({&db, &api});
    api.onStart.fail = true;
    ServiceManager manager(&api);
    QTest::ignoreMessage(QtWarningMsg, "api: start failed: scripted failure");
    QTest::ignoreMessage(QtCriticalMsg,
                         QRegularExpression(QStringLiteral("stopped after a failure: api: start")));
    QCOMPARE(manager.run(), 1);
    const QByteArrayList expected{
        "STATUS=starting",
        "STATUS=starting 1 of 2: db",
        "STATUS=starting 2 of 2: api",
        "STOPPING=1\nSTATUS=stopping",
        "EXTEND_TIMEOUT_USEC=10000000",
        "STATUS=stopping: db",
        "STATUS=failed: api: start failed: scripted failure",
    };
    QCOMPARE(systemd.texts(), expected);
}

// systemd stops a unit that is still starting with SIGTERM: no READY=1, then the stop.
void tst_Systemd::sigtermDuringStart()
{
    FakeSystemd systemd;
    systemd.exportSocket();
    ScriptedService db(QStringLiteral("db")), api(QStringLiteral("api"));
    api.deps = {&db};
    takeTime({&db, &api});
    api.onStart.delay = 100ms;
    ServiceManager manager(&api);
    connect(&api, &QService::stateChanged, this, [](State state) {
        if (state == State::Starting)
            std::raise(SIGTERM);
    });
    QCOMPARE(manager.run(), 0);
    const QByteArrayList expected{
        "STATUS=starting",
        "STATUS=starting 1 of 2: db",
        "STATUS=starting 2 of 2: api",
        "STOPPING=1\nSTATUS=stopping",
        "EXTEND_TIMEOUT_USEC=10000000",
        "STATUS=stopping: api",
        "EXTEND_TIMEOUT_USEC=10000000",
        "STATUS=stopping: db",
        "STATUS=stopped",
    };
    QCOMPARE(systemd.texts(), expected);
}

// WATCHDOG=1 comes from the event loop: while it is blocked, nothing arrives.
void tst_Systemd::frozenLoopSendsNoWatchdogPing()
{
    FakeSystemd systemd;
    systemd.exportSocket();
    qputenv("WATCHDOG_USEC", "100000"); // a ping every 50 ms
    ScriptedService db(QStringLiteral("db"));
    ServiceManager manager(&db);
    qint64 frozeAt = -1;
    qint64 thawedAt = -1;
    connect(&manager, &ServiceManager::stateChanged, this, [&](State state) {
        if (state != State::Running)
            return;
        QTimer::singleShot(300, &manager, [&] {
            frozeAt = systemd.nowMs();
            QThread::msleep(600); // a hook that blocks the manager's thread
            thawedAt = systemd.nowMs();
            QTimer::singleShot(300, &manager, &ServiceManager::requestStop);
        });
    });
    QCOMPARE(manager.run(), 0);
    int before = 0;
    int during = 0;
    int after = 0;
    for (const FakeSystemd::Message &message : systemd.messages()) {
        if (message.text != "WATCHDOG=1")
            continue;
        if (message.atMs < frozeAt)
            ++before;
        else if (message.atMs > frozeAt + 50 && message.atMs < thawedAt)
            ++during;
        else if (message.atMs >= thawedAt)
            ++after;
    }
    QVERIFY2(before >= 2, qPrintable(QString::number(before)));
    QCOMPARE(during, 0);
    QVERIFY2(after >= 2, qPrintable(QString::number(after)));
}

// Half of WATCHDOG_USEC, on the library's clock; no ping while the manager is unhealthy.
void tst_Systemd::watchdogSkippedWhileUnhealthy()
{
    FakeSystemd systemd;
    systemd.exportSocket();
    qputenv("WATCHDOG_USEC", "2000000");
    qputenv("WATCHDOG_PID", QByteArray::number(::getpid()));
    VirtualClock clock;
    Checked db(QStringLiteral("db"));
    ServiceManager manager(&db);
    connect(&manager, &ServiceManager::stateChanged, this, [&](State state) {
        if (state != State::Running)
            return;
        QTimer::singleShot(0, &manager, [&] {
            clock.advanceBy(999ms); // not yet
            clock.advanceBy(1ms);   // one ping
            db.setHealth(QService::Health::Unhealthy, QStringLiteral("disk full"));
        });
        QTimer::singleShot(50, &manager, [&] {
            clock.advanceBy(2s); // none while unhealthy
            db.setHealth(QService::Health::Healthy);
        });
        QTimer::singleShot(100, &manager, [&] {
            clock.advanceBy(1s); // one again
            manager.requestStop();
        });
    });
    QCOMPARE(manager.run(), 0);
    const QByteArrayList messages = systemd.texts(true);
    const QByteArrayList running(messages.begin() + messages.indexOf("READY=1\nSTATUS=running"),
                                 messages.begin() +
                                     messages.indexOf("STOPPING=1\nSTATUS=stopping"));
    const QByteArrayList expected{
        "READY=1\nSTATUS=running",
        "WATCHDOG=1",
        "STATUS=running, unhealthy: db is unhealthy: disk full",
        "STATUS=running",
        "WATCHDOG=1",
    };
    QCOMPARE(running, expected);
}

void tst_Systemd::watchdogOfAnotherProcessIsNotPinged()
{
    FakeSystemd systemd;
    systemd.exportSocket();
    qputenv("WATCHDOG_USEC", "2000000");
    qputenv("WATCHDOG_PID", QByteArray::number(::getppid()));
    VirtualClock clock;
    ScriptedService db(QStringLiteral("db"));
    ServiceManager manager(&db);
    connect(&manager, &ServiceManager::stateChanged, this, [&](State state) {
        if (state == State::Running)
            QTimer::singleShot(0, &manager, [&] {
                clock.advanceBy(10s);
                manager.requestStop();
            });
    });
    QCOMPARE(manager.run(), 0);
    QVERIFY(systemd.texts().contains("READY=1\nSTATUS=running"));
    QVERIFY(!systemd.texts(true).contains("WATCHDOG=1"));
}

void tst_Systemd::abstractSocketName()
{
    FakeSystemd systemd(true);
    QVERIFY(systemd.isBound());
    systemd.exportSocket();
    QVERIFY(qgetenv("NOTIFY_SOCKET").startsWith('@'));
    ScriptedService db(QStringLiteral("db"));
    ServiceManager manager(&db);
    quitWhenRunning(manager);
    QCOMPARE(manager.run(), 0);
    const QByteArrayList texts = systemd.texts();
    QVERIFY2(texts.indexOf("READY=1\nSTATUS=running") >= 0, texts.join('|').constData());
    QVERIFY(texts.indexOf("STOPPING=1\nSTATUS=stopping") >
            texts.indexOf("READY=1\nSTATUS=running"));
    QCOMPARE(texts.last(), "STATUS=stopped");
}

void tst_Systemd::nothingWithoutNotifySocket()
{
    FakeSystemd systemd; // bound, but nobody is told where
    qputenv("WATCHDOG_USEC", "100000");
    ScriptedService db(QStringLiteral("db"));
    ServiceManager manager(&db);
    connect(&manager, &ServiceManager::stateChanged, this, [&](State state) {
        if (state == State::Running)
            QTimer::singleShot(200, &manager, &ServiceManager::requestStop);
    });
    QCOMPARE(manager.run(), 0);
    QCOMPARE(systemd.texts(true), QByteArrayList());
}

QTEST_GUILESS_MAIN(tst_Systemd)
#include "tst_systemd.moc"
