// The library side of QService::addTask() and addPoolTask() (impl::TaskHandle), and of the task
// counts and isCancellationRequested().

#include <QLifecycle/qservice.h>
#include <QLifecycle/servicemanager.h>

#include "service/logging.h"
#include "service/qservice_p.h"
#include "service/serviceowner.h"
#include "tasks/taskset.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QMetaEnum>
#include <QtCore/QMutex>
#include <QtCore/QThread>
#include <QtCore/QThreadPool>

#include <atomic>

#include <cxxabi.h>

namespace QLifecycle::detail {

namespace {
void warnRefused(const QService *service, const QString &what)
{
    qCWarning(lcTask).noquote()
        << service->name() << "is"
        << QMetaEnum::fromType<QService::State>().valueToKey(int(service->state()))
        << "- not running" << what
        << "(tasks may be added only while the service is Starting or Running)";
}

// Finishes a future made by the library (a coroutine's or a callable's promise), running its
// continuations as QPromise::finish() does.
void finishFuture(const QFuture<void> &future)
{
    QFutureInterface<void>(QFutureInterfaceBase::get(future)).reportFinished();
}

void endTask(TaskRecord *record, const std::exception_ptr &error, bool cancelled = false)
{
    if (record->set)
        record->set->ended(record, error, cancelled);
}

// A thread-pool task's end, delivered on the service's thread: the future finishes before the
// task set hears of it. Destroyed undelivered, it releases the promise, whose destructor ends
// the future.
struct Report {
    std::shared_ptr<void> promise; // the QPromise<T>
    impl::TaskHandle handle;
    std::exception_ptr error;

    void operator()() const
    {
        finishFuture(handle.record()->future);
        endTask(handle.record(), error);
    }
};

// Reports from worker threads, and the application's end. ~QCoreApplication deletes the events
// still queued while it holds the lock of the event queue; a report deleted then would destroy
// a task record and a promise, whose destructors post events themselves: a self-deadlock. So,
// when the application begins to be destroyed (its post routines), the reports still queued
// are deleted first, without that lock, and later ones are not queued at all.
//
// Reporters do not wait for each other: each announces itself (s_reporting), then checks
// s_closing; the closing side sets s_closing, then waits until no reporter is between the two.
// Sequentially consistent, so one of the two always sees the other: a report is either queued
// before the removal below or not queued at all.
QBasicMutex s_reportLock; // s_watchedApplication, s_dropped
std::atomic<bool> s_closing{false};
std::atomic<int> s_reporting{0};
const QCoreApplication *s_watchedApplication = nullptr;
std::vector<Report> *s_dropped = nullptr; // never freed: see TaskHandle::reportBack()

void closeReports()
{
    s_closing.store(true);
    while (s_reporting.load() != 0)
        QThread::yieldCurrentThread(); // a report being queued right now: a few instructions
    QCoreApplication::removePostedEvents(nullptr, QEvent::MetaCall);
}

// Called on the service's thread when a thread-pool task begins.
void watchApplicationEnd()
{
    const QCoreApplication *application = QCoreApplication::instance();
    const QMutexLocker lock(&s_reportLock);
    if (!application || application == s_watchedApplication)
        return;
    s_watchedApplication = application;
    s_closing.store(false);
    qAddPostRoutine(closeReports);
}

// Registers a task with its service's set; nullptr (and a warning) when it may not run now.
std::shared_ptr<TaskRecord> addTask(QService *service, TaskKind kind, const QString &name,
                                    bool daemon, const QFuture<void> &future, bool suspended)
{
    auto label = [&name] { // only for warnings: not built for every task
        return name.isEmpty() ? QStringLiteral("a task") : QStringLiteral("task '%1'").arg(name);
    };
    if (QThread::currentThread() != service->thread()) {
        qCWarning(lcTask).noquote() << service->name() << ": not running" << label()
                                    << "added from another thread than the service's";
        return {};
    }
    const std::shared_ptr<TaskSet> &set = QServicePrivate::tasksFor(service);
    const State state = service->state();
    if (set->mode() != TaskSet::Mode::Open ||
        (state != State::Starting && state != State::Running)) {
        warnRefused(service, label());
        return {};
    }
    if (kind == TaskKind::Callable)
        watchApplicationEnd();
    std::shared_ptr<TaskRecord> record = set->add(kind, name, daemon, future);
    if (kind == TaskKind::Coroutine && suspended)
        set->claimWaits(record.get());
    if (kind == TaskKind::Future) {
        record->watcher = std::make_unique<QFutureWatcher<void>>();
        QObject::connect(record->watcher.get(), &QFutureWatcherBase::finished, set->context(),
                         [keepAlive = record] { // alive until the future ends
                             std::exception_ptr error;
                             try {
                                 keepAlive->future.waitForFinished(); // rethrows its exception
                             } catch (...) {
                                 error = std::current_exception();
                             }
                             if (!error && keepAlive->future.isCanceled())
                                 error = std::make_exception_ptr(Cancelled());
                             keepAlive->watcher.release()->deleteLater();
                             endTask(keepAlive.get(), error);
                         });
        record->watcher->setFuture(future);
    }
    return record;
}
} // namespace

std::unique_ptr<QRunnable> takeQueuedRun(TaskRecord *record)
{
    // Held while the pool is asked: a runner that reports back meanwhile waits here, so the
    // runner asked for is alive (its pool too: a pool's destructor waits for its runs).
    const QMutexLocker lock(&record->runnerLock);
    if (!record->runner || !record->pool->tryTake(record->runner))
        return nullptr;
    record->pool = nullptr;
    return std::unique_ptr<QRunnable>(std::exchange(record->runner, nullptr)); // ours now
}

void endTakenRun(TaskRecord *record)
{
    finishFuture(record->future);
    endTask(record, {});
}

// What a void QCoro task threw, read without rethrowing it. QCoro 0.8 offers no way but
// rethrowing (Task::operator co_await(), result()), so its two private members are named here
// through explicit instantiations, where access is not checked ([temp.spec.general]).
namespace {
template<typename Tag, typename Tag::Type member>
struct Expose {
    friend typename Tag::Type memberOf(Tag /*tag*/) { return member; }
};
struct TaskCoroutine {
    using Type = std::coroutine_handle<QCoro::Task<>::promise_type> QCoro::Task<>::*;
    friend Type memberOf(TaskCoroutine /*tag*/);
};
struct TaskException {
    using Type = std::exception_ptr QCoro::Task<>::promise_type::*;
    friend Type memberOf(TaskException /*tag*/);
};
template struct Expose<TaskCoroutine, &QCoro::Task<>::mCoroutine>;
template struct Expose<TaskException, &QCoro::Task<>::promise_type::mException>;
} // namespace

static std::exception_ptr taskError(const QCoro::Task<> &task)
{
    const std::coroutine_handle<QCoro::Task<>::promise_type> coroutine =
        task.*memberOf(TaskCoroutine());
    return coroutine ? coroutine.promise().*memberOf(TaskException()) : nullptr;
}

bool keepUntilExitIfClosing(std::coroutine_handle<> waiter)
{
    static std::vector<std::coroutine_handle<>> *kept = nullptr; // never freed, on purpose
    if (!s_closing.load())
        return false;
    const QMutexLocker lock(&s_reportLock);
    if (!kept)
        kept = new std::vector<std::coroutine_handle<>>();
    kept->push_back(waiter);
    return true;
}

} // namespace QLifecycle::detail

namespace QLifecycle::impl {

QString demangledName(const std::type_info &type)
{
    int status = 0;
    char *name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
    QString result = QString::fromUtf8(status == 0 && name ? name : type.name());
    std::free(name);
    return result;
}

void reportCanceled(QFutureInterfaceBase &future)
{
    future.reportStarted();
    future.reportCanceled();
    future.reportFinished();
}

TaskHandle TaskHandle::begin(QService *service, TaskKind kind, const QString &name, bool daemon,
                             const QFuture<void> &future, bool suspended)
{
    TaskHandle handle;
    handle.m_record = detail::addTask(service, kind, name, daemon, future, suspended);
    if (!handle && kind != TaskKind::Future) {
        // A refused coroutine already ran up to its first suspension (tasks start eagerly): the
        // waits it left are cancelled. Its future, or a callable's, ends canceled.
        if (suspended && QThread::currentThread() == service->thread())
            QServicePrivate::tasksFor(service)->cancelRefusedPrefix();
        QFuture<void>(future).cancel();
        detail::finishFuture(future);
    }
    return handle;
}

void TaskHandle::finish(const std::exception_ptr &error, bool cancelled) const
{
    QFutureInterface<void> future(QFutureInterfaceBase::get(m_record->future));
    if (error)
        future.reportException(error); // nothing was reported before: no results to clear
    future.reportFinished();
    detail::endTask(m_record.get(), error, cancelled);
}

void TaskHandle::finish(const QCoro::Task<> &task) const
{
    const std::exception_ptr error = detail::taskError(task);
    bool cancelled = false;
#ifdef __GLIBCXX__
    // What a cancelled wait throws, known by its type alone (libstdc++ tells it). Anything else
    // is told apart by the task set, which rethrows it once to describe it.
    cancelled = error && *error.__cxa_exception_type() == typeid(Cancelled);
#endif
    finish(error, cancelled);
}

void TaskHandle::reportBack(std::shared_ptr<void> promise, const std::exception_ptr &error) const
{
    {
        const QMutexLocker lock(&m_record->runnerLock); // see takeQueuedRun()
        m_record->runner = nullptr;
        m_record->pool = nullptr;
    }
    detail::Report report{std::move(promise), *this, error};
    detail::s_reporting.fetch_add(1);
    if (!detail::s_closing.load()) {
        QMetaObject::invokeMethod(m_record->set->context(), std::move(report),
                                  Qt::QueuedConnection);
        detail::s_reporting.fetch_sub(1);
        return;
    }
    detail::s_reporting.fetch_sub(1);
    // The application is being destroyed: running or destroying this report now could post
    // events or touch objects of a thread that is going away. It is kept, unreachable from
    // anything that runs, until the process ends.
    const QMutexLocker lock(&detail::s_reportLock);
    if (!detail::s_dropped)
        detail::s_dropped = new std::vector<detail::Report>();
    detail::s_dropped->push_back(std::move(report));
}

void TaskHandle::start(QRunnable *runner, QThreadPool *pool) const
{
    if (!pool) {
        QService *service = m_record->set->service();
        const std::shared_ptr<ServiceOwner> owner =
            service ? QServicePrivate::get(service)->owner.lock() : nullptr;
        pool = owner && owner->isActive() ? owner->threadPool() : QThreadPool::globalInstance();
    }
    // A runner that is not deleted by its pool may be deleted by its owner: never taken back.
    // No lock yet: no other thread knows the runner.
    if (runner->autoDelete()) {
        m_record->runner = runner;
        m_record->pool = pool;
    }
    pool->start(runner);
}

} // namespace QLifecycle::impl

namespace QLifecycle {

bool QService::isCancellationRequested() const
{
    const std::shared_ptr<detail::TaskSet> &set = d_func()->tasks;
    if (!set)
        return false;
    detail::TaskRecord *current = detail::currentTask();
    if (current && current->set == set)
        return current->cancelled;
    return set->mode() != detail::TaskSet::Mode::Open || set->startCancelled();
}

int QService::taskCount() const
{
    return d_func()->taskCount;
}
QBindable<int> QService::bindableTaskCount() const
{
    return &d_func()->taskCount;
}
int QService::finishedTaskCount() const
{
    return d_func()->finishedTaskCount;
}
QBindable<int> QService::bindableFinishedTaskCount() const
{
    return &d_func()->finishedTaskCount;
}
int QService::pendingTaskCount() const
{
    return d_func()->pendingTaskCount;
}
QBindable<int> QService::bindablePendingTaskCount() const
{
    return &d_func()->pendingTaskCount;
}

} // namespace QLifecycle
