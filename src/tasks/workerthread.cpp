// WorkerThread: a service's thread of its own, run as one of its background tasks (an adopted
// future that ends when the thread has ended), so that the task set gives it cancellation on
// stop, a wait bounded by the graceful shutdown timeout, and abandonment (docs/tasks.md,
// "Worker threads").

#include <QLifecycle/qservice.h>
#include <QLifecycle/workerthread.h>

#include "service/logging.h"
#include "service/qservice_p.h"
#include "tasks/taskset.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QFutureInterface>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace QLifecycle {

namespace {

// The application's end. A thread that ends while QCoreApplication is being destroyed, or
// after, must not post to the service's thread nor run the workers' destructors among the
// process's last destructors: from the application's post routines on, a thread whose event
// loop returns is parked instead, and kept until the process ends. Threads announce themselves
// (s_reporting) before they look at s_closing; the closing side sets s_closing, then waits for
// the announced ones: a thread either posts before the application goes or never does.
std::atomic<bool> s_closing{false};
std::atomic<int> s_reporting{0};
QBasicMutex s_lock; // s_watchedApplication, s_retired
const QCoreApplication *s_watchedApplication = nullptr;

void closeWorkerThreads()
{
    s_closing.store(true);
    while (s_reporting.load() != 0)
        QThread::yieldCurrentThread(); // a thread posting its end right now: a few instructions
    const QMutexLocker lock(&s_lock);
    s_watchedApplication = nullptr; // a later application watches afresh
}

void watchApplicationEnd()
{
    const QCoreApplication *application = QCoreApplication::instance();
    const QMutexLocker lock(&s_lock);
    if (!application || application == s_watchedApplication)
        return;
    s_watchedApplication = application;
    s_closing.store(false);
    qAddPostRoutine(closeWorkerThreads);
}

[[noreturn]] void parkUntilExit()
{
    for (;;)
        std::this_thread::sleep_for(24h);
}

// One QThread, restarted for each run of the service while its runs end in time. Lives on the
// service's thread; deleted only once its thread has finished.
class Runner final : public QThread
{
public:
    ~Runner() override;

    // On the service's thread.
    // Never started, or joined: its thread has returned from QThread's own finishing too
    // (isFinished() is true while that still runs).
    bool isDone() { return wait(QDeadlineTimer(0)); }
    bool hasPendingRun() const { return m_pending; }
    bool isStale(const QService *service);
    void begin(const QFutureInterface<void> &future, impl::TaskHandle task);
    void requestQuit();
    void retire();
    void settle();
    void failToStart();
    bool tryAdopt(QObject *worker);
    void deleteWorkersNow();

protected:
    void run() override;

private:
    void ended(quint64 run);
    void join();

    // The service's thread only.
    QFutureInterface<void> m_future; // the run's task, finished once the thread has finished
    impl::TaskHandle m_task;
    bool m_pending = false;
    bool m_quitRequested = false;
    bool m_retired = false;
    quint64 m_run = 0; // written before start(), read by run()

    // Both threads.
    QMutex m_lock;
    bool m_closed = false; // its event loop returned: the workers are being deleted
    std::vector<QPointer<QObject>> m_workers;
};

std::vector<Runner *> *s_retired = nullptr; // never freed: may be in use after main()

Runner::~Runner()
{
    if (!m_retired)
        return;
    const QMutexLocker lock(&s_lock);
    std::erase(*s_retired, this);
}

void Runner::run()
{
    exec();
    if (s_closing.load())
        parkUntilExit();
    std::vector<QPointer<QObject>> workers;
    {
        const QMutexLocker lock(&m_lock);
        m_closed = true;
        workers.swap(m_workers);
    }
    for (auto worker = workers.rbegin(); worker != workers.rend(); ++worker)
        delete worker->data(); // newest first, as tasks are cancelled
    const quint64 run = m_run;
    s_reporting.fetch_add(1);
    if (s_closing.load()) {
        s_reporting.fetch_sub(1);
        parkUntilExit();
    }
    // Safe: a Runner is never deleted before its thread has finished.
    QMetaObject::invokeMethod(
        this, [this, run] { ended(run); }, Qt::QueuedConnection);
    s_reporting.fetch_sub(1);
}

// A run whose quit was requested, whose event loop returned, or that belongs to an earlier run
// of the service (an abandoned stop may never have reached it) is no longer the service's.
bool Runner::isStale(const QService *service)
{
    if (m_quitRequested || !service)
        return true;
    if (m_task.record() && m_task.record()->set != QServicePrivate::get(service)->tasks)
        return true;
    const QMutexLocker lock(&m_lock);
    return m_closed;
}

void Runner::begin(const QFutureInterface<void> &future, impl::TaskHandle task)
{
    m_future = future;
    m_task = std::move(task);
    m_pending = true;
    m_quitRequested = false;
    ++m_run;
    m_task.record()->onCancel = [self = QPointer<Runner>(this), run = m_run] {
        if (self && self->m_run == run)
            self->requestQuit();
    };
}

void Runner::requestQuit()
{
    m_quitRequested = true;
    quit();
    requestInterruption();
}

void Runner::ended(quint64 run)
{
    if (run == m_run && m_pending)
        join();
}

// The thread posts its end just before it returns from run(): what is left (QThread's own
// finishing) takes moments; waiting for it here without blocking keeps a stop bounded.
void Runner::join()
{
    if (!isDone()) {
        QTimer::singleShot(1ms, this, [this, run = m_run] { ended(run); });
        return;
    }
    settle();
    if (m_retired)
        deleteLater();
}

// The thread is done: the run's task ends (the service's stop goes on), and the Runner can
// start again.
void Runner::settle()
{
    if (std::exchange(m_pending, false))
        m_future.reportFinished();
    m_task = {};
    const QMutexLocker lock(&m_lock);
    m_closed = false;
}

// The system gave no thread (QThread::start() warned): the task fails, a crash of the service.
void Runner::failToStart()
{
    m_future.reportException(
        std::make_exception_ptr(std::runtime_error("the thread could not be created")));
    settle();
}

// Given up by its WorkerThread while its thread runs: kept (reachable) until the thread has
// finished, then deleted from the event loop if one still runs.
void Runner::retire()
{
    if (!m_quitRequested)
        requestQuit();
    m_retired = true;
    const QMutexLocker lock(&s_lock);
    if (!s_retired)
        s_retired = new std::vector<Runner *>();
    s_retired->push_back(this);
}

bool Runner::tryAdopt(QObject *worker)
{
    QPointer<QObject> guard(worker);
    const QMutexLocker lock(&m_lock);
    if (m_closed)
        return false; // its run is ending: the worker would never be deleted
    worker->moveToThread(this);
    m_workers.push_back(guard);
    return true;
}

// Workers adopted for a run that never came. Their thread does not run: nothing else touches
// them.
void Runner::deleteWorkersNow()
{
    std::vector<QPointer<QObject>> workers;
    {
        const QMutexLocker lock(&m_lock);
        workers.swap(m_workers);
    }
    for (auto worker = workers.rbegin(); worker != workers.rend(); ++worker)
        delete worker->data();
}

} // namespace

class WorkerThreadPrivate
{
public:
    // The Runner for the next adoption or start: the current one, unless its run is over or
    // ending, when a new one takes its place.
    Runner *current();
    QString taskName(const WorkerThread *q) const;

    QPointer<QService> service;
    Runner *runner = new Runner;
};

Runner *WorkerThreadPrivate::current()
{
    if (!runner->isDone()) {
        if (!runner->isStale(service))
            return runner;
        runner->retire();
        runner = new Runner;
    } else if (runner->hasPendingRun()) {
        runner->settle(); // finished; the news of it is still on its way
    }
    return runner;
}

QString WorkerThreadPrivate::taskName(const WorkerThread *q) const
{
    return q->objectName().isEmpty() ? QStringLiteral("worker thread") : q->objectName();
}

WorkerThread::WorkerThread(QService *service)
    : QObject(service), d_ptr(std::make_unique<WorkerThreadPrivate>())
{
    Q_ASSERT_X(service, "WorkerThread", "a WorkerThread needs a service");
    d_func()->service = service;
}

WorkerThread::~WorkerThread()
{
    Q_D(WorkerThread);
    Runner *runner = d->runner;
    if (!runner->isDone()) {
        if (!runner->isStale(d->service)) {
            qCWarning(lcTask).noquote()
                << runner->objectName()
                << "worker thread destroyed while it runs: asked to quit, and abandoned until it "
                   "ends (stop the service first)";
        }
        runner->retire();
        return;
    }
    runner->settle();
    runner->deleteWorkersNow();
    delete runner;
}

QThread *WorkerThread::workerThread() const
{
    return d_func()->runner;
}

void WorkerThread::adoptObject(QObject *worker)
{
    Q_D(WorkerThread);
    if (!worker)
        return;
    if (QThread::currentThread() != thread() || worker->thread() != thread() || worker->parent()) {
        qCWarning(lcTask).noquote()
            << "WorkerThread::adopt(): not adopting" << worker
            << "- a worker must have no parent and live on the WorkerThread's thread, and adopt() "
               "must be called there";
        return;
    }
    if (!d->current()->tryAdopt(worker)) {
        // Its event loop returned by itself a moment ago: that run is ending.
        d->runner->retire();
        d->runner = new Runner;
        d->runner->tryAdopt(worker);
    }
}

bool WorkerThread::start(QThread::Priority priority)
{
    Q_D(WorkerThread);
    QService *service = d->service;
    if (!service || QThread::currentThread() != thread()) {
        qCWarning(lcTask).noquote() << "WorkerThread::start(): not started - call it on the "
                                       "thread of its service, while the service runs";
        return false;
    }
    if (!d->current()->isDone())
        return true; // already running for this run of the service
    watchApplicationEnd();
    QFutureInterface<void> future;
    future.reportStarted();
    const QPointer<WorkerThread> self(this);
    impl::TaskHandle task = impl::TaskHandle::begin(service, impl::TaskKind::Future,
                                                    d->taskName(this), true, future.future());
    // Registering a task shows it (task counts): a slot may have started or destroyed us.
    if (!task || !self || !d->current()->isDone()) {
        if (task)
            task.record()->cancelled = true; // not a daemon's exit
        future.reportCanceled();
        future.reportFinished();
        return task && self; // false: refused (begin() logged why), or this object is gone
    }
    Runner *runner = d->runner;
    runner->setObjectName(objectName().isEmpty() ? service->name() : objectName());
    runner->begin(future, std::move(task));
    runner->start(priority);
    if (!runner->isRunning() && !runner->isFinished()) {
        runner->failToStart();
        return false;
    }
    return true;
}

} // namespace QLifecycle
