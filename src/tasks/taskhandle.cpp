// The library side of QService::addTask(), whileRunning() and addChild().

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

#include <atomic>

#include <cxxabi.h>

namespace QLifecycle::detail {

QString demangledName(const std::type_info &type)
{
    int status = 0;
    char *name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
    QString result = QString::fromUtf8(status == 0 && name ? name : type.name());
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
//
// Reporters do not wait for each other: each announces itself (s_reporting), then checks
// s_closing; the closing side sets s_closing, then waits until no reporter is between the two.
// Sequentially consistent, so one of the two always sees the other: a report is either queued
// before the removal below or not queued at all.
QBasicMutex s_reportLock; // s_watchedApplication, s_dropped
std::atomic<bool> s_closing{false};
std::atomic<int> s_reporting{0};
const QCoreApplication *s_watchedApplication = nullptr;
std::vector<std::function<void()>> *s_dropped = nullptr; // never freed: see reportBack()

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
    if (set->mode() != TaskSet::Mode::Open ||
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

void TaskHandle::end(const std::exception_ptr &error, bool cancelled) const
{
    if (m_record && m_record->set)
        m_record->set->ended(m_record.get(), error, cancelled);
}

QObject *TaskHandle::context() const
{
    return m_record->set->context();
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

void TaskHandle::reportBack(std::function<void()> deliver) const
{
    s_reporting.fetch_add(1);
    if (!s_closing.load()) {
        QMetaObject::invokeMethod(context(), std::move(deliver), Qt::QueuedConnection);
        s_reporting.fetch_sub(1);
        return;
    }
    s_reporting.fetch_sub(1);
    // The application is being destroyed: running or destroying this report now could post
    // events or touch objects of a thread that is going away. It is kept, unreachable from
    // anything that runs, until the process ends.
    const QMutexLocker lock(&s_reportLock);
    if (!s_dropped)
        s_dropped = new std::vector<std::function<void()>>();
    s_dropped->push_back(std::move(deliver));
}

QThreadPool *TaskHandle::pool(QThreadPool *preferred) const
{
    if (preferred)
        return preferred;
    QService *service = m_record->set->service();
    if (const std::shared_ptr<ServiceOwner> owner =
            service ? QServicePrivate::get(service)->owner.lock() : nullptr;
        owner && owner->isActive())
        return owner->threadPool();
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

} // namespace QLifecycle::detail

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
