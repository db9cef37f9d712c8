// The library side of QService::addTask(), whileRunning() and addChild().

#include <QLifecycle/qservice.h>
#include <QLifecycle/servicemanager.h>

#include "logging.h"
#include "qservice_p.h"
#include "servicemanager_p.h"
#include "taskset.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QMetaEnum>
#include <QtCore/QMutex>
#include <QtCore/QThread>

#include <cxxabi.h>

namespace QLifecycle::detail {

QString demangledName(const std::type_info &type)
{
    int status = 0;
    char *name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
    const QString result = QString::fromUtf8(status == 0 && name ? name : type.name());
    std::free(name);
    return result;
}

void warnRefused(const QService *service, const QString &what)
{
    qCWarning(lcTask).noquote()
        << service->name() << "is"
        << QMetaEnum::fromType<QService::State>().valueToKey(int(service->state()))
        << "- not running" << what
        << "(tasks may be added only while the service is Starting or Running)";
}

namespace {
// Reports from worker threads, and the application's end. ~QCoreApplication deletes the events
// still queued while it holds the lock of the event queue; a report deleted then would destroy
// a task record and a promise, whose destructors post events themselves: a self-deadlock. So,
// when the application begins to be destroyed (its post routines), the reports still queued
// are deleted first, without that lock, and later ones are not queued at all.
QBasicMutex s_reportLock;
bool s_closing = false;
const QCoreApplication *s_watchedApplication = nullptr;
std::vector<std::function<void()>> *s_dropped = nullptr; // never freed: see reportBack()

void closeReports()
{
    {
        const QMutexLocker lock(&s_reportLock);
        s_closing = true;
    }
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
    s_closing = false;
    qAddPostRoutine(closeReports);
}
} // namespace

TaskHandle TaskHandle::begin(QService *service, TaskKind kind, const QString &name, bool daemon,
                             const QFuture<void> &future, bool suspended)
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
    if (set->phase() != TaskSet::Phase::Open ||
        (state != State::Starting && state != State::Running)) {
        warnRefused(service, label());
        return {};
    }
    if (kind == TaskKind::Callable)
        watchApplicationEnd();
    TaskHandle handle;
    handle.m_record = set->add(kind, name, daemon, future);
    TaskRecord *record = handle.m_record.get();
    if (kind == TaskKind::Coroutine && suspended)
        set->claimWaits(record);
    if (kind == TaskKind::Future) {
        record->watcher = std::make_unique<QFutureWatcher<void>>();
        std::shared_ptr<TaskRecord> keepAlive = handle.m_record; // until the future ends
        QObject::connect(record->watcher.get(), &QFutureWatcherBase::finished, set->context(),
                         [keepAlive] {
                             std::exception_ptr error;
                             try {
                                 keepAlive->future.waitForFinished(); // rethrows its exception
                             } catch (...) {
                                 error = std::current_exception();
                             }
                             if (!error && keepAlive->future.isCanceled())
                                 error = std::make_exception_ptr(Cancelled());
                             keepAlive->watcher.release()->deleteLater();
                             if (keepAlive->set)
                                 keepAlive->set->ended(keepAlive.get(), error);
                         });
        record->watcher->setFuture(future);
    }
    return handle;
}

void TaskHandle::refuseSuspended(QService *service)
{
    if (QThread::currentThread() == service->thread())
        QServicePrivate::tasksFor(service)->cancelRefusedPrefix();
}

void TaskHandle::end(std::exception_ptr error, bool cancelled) const
{
    if (m_record && m_record->set)
        m_record->set->ended(m_record.get(), error, cancelled);
}

QObject *TaskHandle::context() const
{
    return m_record->set->context();
}

void TaskHandle::reportBack(std::function<void()> deliver) const
{
    const QMutexLocker lock(&s_reportLock);
    if (!s_closing) {
        QMetaObject::invokeMethod(context(), std::move(deliver), Qt::QueuedConnection);
        return;
    }
    // The application is being destroyed: running or destroying this report now could post
    // events or touch objects of a thread that is going away. It is kept, unreachable from
    // anything that runs, until the process ends.
    if (!s_dropped)
        s_dropped = new std::vector<std::function<void()>>();
    s_dropped->push_back(std::move(deliver));
}

QThreadPool *TaskHandle::pool(QThreadPool *preferred) const
{
    if (preferred)
        return preferred;
    QService *service = m_record->set->service();
    if (ServiceManager *manager =
            service ? QServicePrivate::get(service)->activeManager() : nullptr)
        return ServiceManagerPrivate::get(manager)->threadPool();
    return QThreadPool::globalInstance();
}

std::shared_ptr<GuardRace> GuardRace::make(QService *service)
{
    auto race = std::make_shared<GuardRace>();
    if (service->state() != State::Running) {
        race->interruption =
            QStringLiteral("%1 is not running (%2)")
                .arg(service->name(),
                     QString::fromLatin1(
                         QMetaEnum::fromType<QService::State>().valueToKey(int(service->state()))));
        return race;
    }
    QServicePrivate::tasksFor(service)->addGuard(race); // interrupted when the service stops
    return race;
}

namespace {
// A child service as a task: runs its graph with a manager of its own until it stops by
// itself (a crash if it failed) or the task is cancelled (then it is stopped first).
QCoro::Task<> runChild(QPointer<QService> parent, std::shared_ptr<ServiceManager> manager)
{
    std::exception_ptr failure;
    bool cancelled = false;
    try {
        co_await manager->start();
        // Until the child's graph has stopped by itself, entirely (not just begun to stop).
        while (parent && manager->state() != State::Stopped && manager->state() != State::Failed)
            co_await parent->waitForSignal(manager.get(), &ServiceManager::stateChanged);
    } catch (const Cancelled &) {
        cancelled = true;
    } catch (...) {
        failure = std::current_exception();
    }
    if (cancelled) {
        co_await manager->stop(); // its failures become this task's
        throw Cancelled();
    }
    if (failure)
        std::rethrow_exception(failure);
    if (const std::optional<Error> error = manager->error())
        throw *error;
}
} // namespace

} // namespace QLifecycle::detail

namespace QLifecycle {

QFuture<void> QService::addChild(QService *child, const TaskOptions &options)
{
    if (!child || child == this) {
        qCWarning(lcTask).noquote() << name() << ": addChild() needs another service, got"
                                    << (child ? "the service itself" : "nullptr");
        return detail::canceledFuture<void>();
    }
    auto promise = std::make_shared<QPromise<void>>();
    promise->start();
    const QFuture<void> future = promise->future();
    const QString taskName =
        options.name.isEmpty() ? QStringLiteral("child %1").arg(child->name()) : options.name;
    const detail::TaskHandle handle = detail::TaskHandle::begin(
        this, detail::TaskKind::Coroutine, taskName, options.daemon, future, false);
    if (!handle)
        return detail::canceledFuture<void>();
    auto manager = std::make_shared<ServiceManager>(child);
    manager->setDefaultGracefulShutdownTimeout(gracefulShutdownTimeout());
    handle.record()->onCancel = [weak = std::weak_ptr<ServiceManager>(manager)] {
        if (const std::shared_ptr<ServiceManager> m = weak.lock())
            m->requestStop();
    };
    detail::ContextScope scope(handle.record()); // its first steps are the child task's
    detail::runCoroutineTask<void>(detail::runChild(this, manager), promise, handle);
    return future;
}

bool QService::isCancellationRequested() const
{
    const std::shared_ptr<detail::TaskSet> &set = d->tasks;
    if (!set)
        return false;
    detail::TaskRecord *current = detail::currentTask();
    if (current && current->set == set)
        return current->cancelled;
    return set->phase() != detail::TaskSet::Phase::Open || set->startCancelled();
}

int QService::taskCount() const
{
    return m_taskCount;
}
QBindable<int> QService::bindableTaskCount() const
{
    return &m_taskCount;
}
int QService::finishedTaskCount() const
{
    return m_finishedTaskCount;
}
QBindable<int> QService::bindableFinishedTaskCount() const
{
    return &m_finishedTaskCount;
}
int QService::pendingTaskCount() const
{
    return m_pendingTaskCount;
}
QBindable<int> QService::bindablePendingTaskCount() const
{
    return &m_pendingTaskCount;
}

} // namespace QLifecycle
