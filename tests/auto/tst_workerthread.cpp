// Worker threads (docs/tasks.md, "Worker threads"): a service's work on a thread of its own,
// its lifecycle on the manager's thread; the thread quit and joined before the service's stop
// ends, within its graceful shutdown timeout, else abandoned safely, whatever is destroyed
// before it ends. No test may see Qt warn about a thread or an object used across threads.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/WorkerThread>

#include <QLifecycle/testkit/harness.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QRegularExpression>
#include <QtCore/QThread>

#include <atomic>
#include <memory>
#include <stdexcept>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;
using namespace Qt::StringLiterals;

namespace {

// What the workers did, shared with the test: a worker may outlive the test function.
struct Probe {
    std::atomic<QThread *> workedOn{nullptr};
    std::atomic<QThread *> destroyedOn{nullptr};
    std::atomic<int> destroyed{0};
    std::atomic<bool> blocking{false};
    std::atomic<bool> release{false};
};

class Worker : public QObject
{
    Q_OBJECT
public:
    explicit Worker(std::shared_ptr<Probe> probe) : m_probe(std::move(probe)) {}
    ~Worker() override
    {
        m_probe->destroyedOn = QThread::currentThread();
        ++m_probe->destroyed;
    }

public Q_SLOTS:
    void work(int n)
    {
        m_probe->workedOn = QThread::currentThread();
        Q_EMIT done(n * 2);
    }
    // Ignores its thread's quit until the test releases it.
    void block()
    {
        m_probe->blocking = true;
        while (!m_probe->release)
            QThread::msleep(1);
    }

Q_SIGNALS:
    void done(int result);

private:
    std::shared_ptr<Probe> m_probe;
};

class Threaded : public QService
{
    Q_OBJECT
public:
    Threaded(const QString &name, std::shared_ptr<Probe> probe) : m_probe(std::move(probe))
    {
        setObjectName(name);
    }

    WorkerThread *thread = new WorkerThread(this);
    QPointer<Worker> worker;
    std::chrono::milliseconds stopTimeout = 10s;
    bool startThread = true;
    bool failAfterStart = false;
    QList<int> replies;
    QThread *repliedOn = nullptr;
    int stopCalls = 0;
    int destroyedAtStop = -1; // workers destroyed when stop() was called

Q_SIGNALS:
    void request(int n);

protected:
    QCoro::Task<> start() override
    {
        worker = thread->adopt(new Worker(m_probe));
        connect(this, &Threaded::request, worker, &Worker::work);
        connect(worker, &Worker::done, this, [this](int result) {
            replies.append(result);
            repliedOn = QThread::currentThread();
        });
        if (startThread)
            thread->start();
        if (failAfterStart)
            throw std::runtime_error("no connection");
        co_return;
    }
    QCoro::Task<> stop() override
    {
        ++stopCalls;
        destroyedAtStop = m_probe->destroyed;
        co_return;
    }
    std::chrono::milliseconds gracefulShutdownTimeout() const override { return stopTimeout; }

private:
    std::shared_ptr<Probe> m_probe;
};

// Messages from Qt about threads and cross-thread misuse, collected for the whole test run.
QMutex s_messagesLock;
QStringList *s_threadMessages = nullptr;
QtMessageHandler s_previousHandler = nullptr;

void collectThreadMessages(QtMsgType type, const QMessageLogContext &context,
                           const QString &message)
{
    if (message.startsWith(u"QThread"_s) || message.startsWith(u"QObject::"_s) ||
        message.contains(u"Destroyed while thread"_s)) {
        const QMutexLocker lock(&s_messagesLock);
        if (s_threadMessages)
            s_threadMessages->append(message);
    }
    if (s_previousHandler)
        s_previousHandler(type, context, message);
}

// A round trip to the worker and back: the slot runs on the worker thread, the reply on ours.
bool roundTrip(Threaded &service, int n)
{
    const qsizetype before = service.replies.size();
    Q_EMIT service.request(n);
    return QTest::qWaitFor([&] { return service.replies.size() > before; }, 5000) &&
           service.replies.last() == n * 2;
}

} // namespace

class tst_WorkerThread : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();

    void workersRunOnTheWorkerThreadLifecycleOnTheManagers();
    void stopQuitsAndJoinsTheThreadBeforeStop();
    void restartRunsTheSameThreadAgain();
    void stubbornWorkerIsAbandonedAtTheGracefulTimeout();
    void restartAfterAnAbandonedThreadUsesANewOne();
    void failedStartQuitsTheThread();
    void startOutsideARunIsRefused();
    void startWhileRunningIsATaskOfThatRun();
    void threadEndingByItselfIsACrash();
    void destroyedWhileItsThreadRuns();
    void serviceDestroyedWhileItsThreadRuns();

private:
    QStringList m_threadMessages;
};

void tst_WorkerThread::initTestCase()
{
    s_threadMessages = &m_threadMessages;
    s_previousHandler = qInstallMessageHandler(collectThreadMessages);
}

void tst_WorkerThread::cleanup()
{
    const QMutexLocker lock(&s_messagesLock);
    const QStringList seen = std::exchange(m_threadMessages, {});
    QVERIFY2(seen.isEmpty(), qPrintable(seen.join(u'\n')));
}

void tst_WorkerThread::cleanupTestCase()
{
    qInstallMessageHandler(s_previousHandler);
    const QMutexLocker lock(&s_messagesLock);
    s_threadMessages = nullptr;
}

void tst_WorkerThread::workersRunOnTheWorkerThreadLifecycleOnTheManagers()
{
    auto probe = std::make_shared<Probe>();
    Threaded service(u"crawler"_s, probe);
    ServiceManager manager(&service);
    QList<QThread *> transitionThreads;
    connect(
        &service, &QService::stateChanged, this,
        [&] { transitionThreads.append(QThread::currentThread()); }, Qt::DirectConnection);

    runBlocking(manager.start());
    QThread *worker = service.thread->workerThread();
    QVERIFY(worker->isRunning());
    QVERIFY(worker != QThread::currentThread());
    QCOMPARE(worker->objectName(), u"crawler"_s); // named after the service
    QCOMPARE(service.worker->thread(), worker);
    QCOMPARE(service.thread->thread(), QThread::currentThread()); // the helper stays with us
    QCOMPARE(service.taskCount(), 1);                             // the thread is a task
    QVERIFY(roundTrip(service, 21));
    QCOMPARE(probe->workedOn.load(), worker);
    QCOMPARE(service.repliedOn, QThread::currentThread());

    runBlocking(manager.stop());
    QCOMPARE(transitionThreads.size(), 4); // Starting, Running, Stopping, Stopped
    for (QThread *thread : std::as_const(transitionThreads))
        QCOMPARE(thread, QThread::currentThread());
}

void tst_WorkerThread::stopQuitsAndJoinsTheThreadBeforeStop()
{
    auto probe = std::make_shared<Probe>();
    Threaded service(u"crawler"_s, probe);
    ServiceManager manager(&service);
    runBlocking(manager.start());
    QThread *worker = service.thread->workerThread();
    QVERIFY(roundTrip(service, 1));

    runBlocking(manager.stop());
    QVERIFY(worker->isFinished()); // joined before the stop ended
    QCOMPARE(probe->destroyed.load(), 1);
    QCOMPARE(probe->destroyedOn.load(), worker); // deleted on the worker thread
    QVERIFY(!service.worker);
    QCOMPARE(service.stopCalls, 1);
    QCOMPARE(service.destroyedAtStop, 1); // stop() runs after the worker has gone
    QCOMPARE(service.state(), State::Stopped);
    QCOMPARE(service.pendingTaskCount(), 0);
    QCOMPARE(service.thread->workerThread(), worker); // the last run's thread, until the next
}

void tst_WorkerThread::restartRunsTheSameThreadAgain()
{
    auto probe = std::make_shared<Probe>();
    Threaded service(u"crawler"_s, probe);
    ServiceManager manager(&service);
    runBlocking(manager.start());
    QThread *worker = service.thread->workerThread();
    runBlocking(manager.stop());
    QVERIFY(worker->isFinished());

    runBlocking(manager.start());
    QCOMPARE(service.thread->workerThread(), worker);
    QVERIFY(worker->isRunning());
    QCOMPARE(service.worker->thread(), worker);
    QVERIFY(roundTrip(service, 5));
    QCOMPARE(probe->workedOn.load(), worker);
    runBlocking(manager.stop());
    QVERIFY(worker->isFinished());
    QCOMPARE(probe->destroyed.load(), 2);
    QCOMPARE(service.state(), State::Stopped);
}

void tst_WorkerThread::stubbornWorkerIsAbandonedAtTheGracefulTimeout()
{
    auto probe = std::make_shared<Probe>();
    QPointer<QThread> abandoned;
    QThread *abandonedThread = nullptr;
    {
        Threaded service(u"stubborn"_s, probe);
        service.stopTimeout = 100ms;
        ServiceManager manager(&service);
        runBlocking(manager.start());
        abandoned = abandonedThread = service.thread->workerThread();
        QMetaObject::invokeMethod(service.worker.data(), &Worker::block, Qt::QueuedConnection);
        QTRY_VERIFY(probe->blocking);

        QTest::ignoreMessage(
            QtWarningMsg, QRegularExpression(u"stubborn: stop failed: timed out after 100 ms.*"
                                             u"tasks still running, abandoned: worker thread"_s));
        QElapsedTimer clock;
        clock.start();
        const std::optional<Error> error = expectError(manager.stop(), 5s);
        QVERIFY2(clock.elapsed() < 2000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(error);
        QCOMPARE(error->primary().service, u"stubborn"_s);
        QCOMPARE(error->primary().phase, Phase::Stop);
        QVERIFY(error->primary().message.contains(u"timed out"_s));
        QVERIFY(error->primary().message.contains(u"worker thread"_s));
        QCOMPARE(service.state(), State::Failed);
        QVERIFY(service.errorString().contains(u"timed out"_s));
        QCOMPARE(service.stopCalls, 0); // abandoned before its own stop()
        QVERIFY(abandoned && abandoned->isRunning());
        QCOMPARE(probe->destroyed.load(), 0);
    } // the service, its WorkerThread and the manager go while the thread still runs

    QVERIFY(abandoned); // kept while its thread runs
    QVERIFY(abandoned->isRunning());
    probe->release = true;
    QTRY_COMPARE(probe->destroyed.load(), 1);
    QCOMPARE(probe->destroyedOn.load(), abandonedThread);
    QTRY_VERIFY(abandoned.isNull()); // deleted once its thread has finished
}

void tst_WorkerThread::restartAfterAnAbandonedThreadUsesANewOne()
{
    auto probe = std::make_shared<Probe>();
    Threaded service(u"stubborn"_s, probe);
    service.stopTimeout = 100ms;
    ServiceManager manager(&service);
    runBlocking(manager.start());
    const QPointer<QThread> abandoned = service.thread->workerThread();
    QMetaObject::invokeMethod(service.worker.data(), &Worker::block, Qt::QueuedConnection);
    QTRY_VERIFY(probe->blocking);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"stubborn: stop failed: timed out"_s));
    QVERIFY(expectError(manager.stop(), 5s));

    runBlocking(manager.start()); // the abandoned thread still runs
    QThread *fresh = service.thread->workerThread();
    QVERIFY(fresh != abandoned.data());
    QVERIFY(fresh->isRunning());
    QVERIFY(abandoned && abandoned->isRunning());
    QVERIFY(roundTrip(service, 3));
    QCOMPARE(probe->workedOn.load(), fresh);
    runBlocking(manager.stop());
    QCOMPARE(service.state(), State::Stopped); // the abandoned thread touched nothing
    QVERIFY(fresh->isFinished());
    QCOMPARE(probe->destroyed.load(), 1); // the second run's worker

    probe->release = true;
    QTRY_COMPARE(probe->destroyed.load(), 2);
    QTRY_VERIFY(abandoned.isNull());
    QCOMPARE(service.state(), State::Stopped);
    QVERIFY(!manager.error());
}

void tst_WorkerThread::failedStartQuitsTheThread()
{
    auto probe = std::make_shared<Probe>();
    Threaded service(u"broken"_s, probe);
    service.failAfterStart = true;
    ServiceManager manager(&service);
    QTest::ignoreMessage(QtWarningMsg, "broken: start failed: no connection");
    QVERIFY(expectError(manager.start()));
    QThread *worker = service.thread->workerThread();
    QCOMPARE(service.state(), State::Failed);
    // A failed start cancels its tasks without waiting: the thread quits soon after.
    QTRY_VERIFY(worker->isFinished());
    QTRY_COMPARE(probe->destroyed.load(), 1);
    QCOMPARE(probe->destroyedOn.load(), worker);
    QTRY_COMPARE(service.pendingTaskCount(), 0);
    QCOMPARE(service.stopCalls, 0);

    service.failAfterStart = false; // and the next start runs the thread again
    runBlocking(manager.start());
    QCOMPARE(service.thread->workerThread(), worker);
    QVERIFY(roundTrip(service, 4));
    runBlocking(manager.stop());
    QVERIFY(worker->isFinished());
}

void tst_WorkerThread::startOutsideARunIsRefused()
{
    auto probe = std::make_shared<Probe>();
    Threaded service(u"idle"_s, probe);
    Worker *worker = service.thread->adopt(new Worker(probe));
    QCOMPARE(worker->thread(), service.thread->workerThread());
    QTest::ignoreMessage(
        QtWarningMsg, QRegularExpression(u"idle is Stopped - not running task 'worker thread'"_s));
    QVERIFY(!service.thread->start());
    QVERIFY(!service.thread->workerThread()->isRunning());
    QCOMPARE(service.taskCount(), 0);
    delete service.thread; // never ran: its worker is deleted with it
    service.thread = nullptr;
    QCOMPARE(probe->destroyed.load(), 1);
}

void tst_WorkerThread::startWhileRunningIsATaskOfThatRun()
{
    auto probe = std::make_shared<Probe>();
    Threaded service(u"late"_s, probe);
    service.startThread = false;
    ServiceManager manager(&service);
    runBlocking(manager.start());
    QThread *worker = service.thread->workerThread();
    QVERIFY(!worker->isRunning());
    QVERIFY(service.thread->start()); // from a slot, say
    QVERIFY(service.thread->start()); // already running: nothing more
    QVERIFY(worker->isRunning());
    QCOMPARE(service.taskCount(), 1);
    QVERIFY(roundTrip(service, 6));
    runBlocking(manager.stop());
    QVERIFY(worker->isFinished());
    QCOMPARE(service.destroyedAtStop, 1);
}

void tst_WorkerThread::threadEndingByItselfIsACrash()
{
    auto probe = std::make_shared<Probe>();
    Threaded service(u"crawler"_s, probe);
    ServiceManager manager(&service);
    runBlocking(manager.start());
    QTest::ignoreMessage(
        QtWarningMsg, "crawler: daemon task 'worker thread' exited while the service was running");
    service.thread->workerThread()->quit(); // not through the lifecycle
    const std::optional<Error> error = expectError(manager.wait());
    QVERIFY(error);
    QCOMPARE(error->primary().service, u"crawler"_s);
    QCOMPARE(error->primary().phase, Phase::Run);
    QCOMPARE(service.state(), State::Failed);
    QVERIFY(service.thread->workerThread()->isFinished());
    QCOMPARE(probe->destroyed.load(), 1);
}

void tst_WorkerThread::destroyedWhileItsThreadRuns()
{
    auto probe = std::make_shared<Probe>();
    Threaded service(u"crawler"_s, probe);
    ServiceManager manager(&service);
    runBlocking(manager.start());
    const QPointer<QThread> worker = service.thread->workerThread();
    QThread *workerThread = worker.data();
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"destroyed while it runs"_s));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"daemon task 'worker thread' exited"_s));
    delete service.thread; // asked to quit, abandoned: its loop returns at once
    service.thread = nullptr;
    QTRY_COMPARE(probe->destroyed.load(), 1);
    QCOMPARE(probe->destroyedOn.load(), workerThread);
    QTRY_VERIFY(worker.isNull());
    // The service lost its thread while it ran: a crash, as a daemon task's end.
    QVERIFY(expectError(manager.wait()));
    QCOMPARE(service.state(), State::Failed);
}

void tst_WorkerThread::serviceDestroyedWhileItsThreadRuns()
{
    auto probe = std::make_shared<Probe>();
    auto *service = new Threaded(u"doomed"_s, probe);
    ServiceManager manager(service);
    runBlocking(manager.start());
    const QPointer<QThread> worker = service->thread->workerThread();
    QMetaObject::invokeMethod(service->worker.data(), &Worker::block, Qt::QueuedConnection);
    QTRY_VERIFY(probe->blocking);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"doomed destroyed while Running"_s));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"doomed: crashed: destroyed"_s));
    delete service; // its WorkerThread with it: the thread is asked to quit, and abandoned
    QVERIFY(waitForState(&manager, State::Failed));
    QVERIFY(worker && worker->isRunning());
    probe->release = true;
    QTRY_COMPARE(probe->destroyed.load(), 1);
    QTRY_VERIFY(worker.isNull());
}

QTEST_GUILESS_MAIN(tst_WorkerThread)
#include "tst_workerthread.moc"
