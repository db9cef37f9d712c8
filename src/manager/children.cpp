// QService::addChild(): a child service runs as a task of its parent, with a manager of its
// own. Here, in the manager's layer, because it makes a ServiceManager.

#include <QLifecycle/qservice.h>
#include <QLifecycle/servicemanager.h>

#include "service/logging.h"
#include "tasks/taskset.h"

namespace QLifecycle::detail {

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
            co_await impl::SignalWait<ServiceManager, decltype(&ServiceManager::stateChanged)>(
                parent.data(), manager.get(), &ServiceManager::stateChanged,
                std::chrono::milliseconds(-1)); // a cancellable wait of the parent's

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
        throw Error(*error);
}
} // namespace

} // namespace QLifecycle::detail

namespace QLifecycle {

QFuture<void> QService::addChild(QService *child, const TaskOptions &options)
{
    if (!child || child == this) {
        qCWarning(lcTask).noquote() << name() << ": addChild() needs another service, got"
                                    << (child ? "the service itself" : "nullptr");
        QFutureInterface<void> canceled;
        impl::reportCanceled(canceled);
        return canceled.future();
    }
    QPromise<void> promise;
    promise.start();
    QFuture<void> future = promise.future();
    const QString taskName =
        options.name.isEmpty() ? QStringLiteral("child %1").arg(child->name()) : options.name;
    impl::TaskHandle handle =
        impl::TaskHandle::begin(this, impl::TaskKind::Coroutine, taskName, options.daemon, future);
    if (!handle)
        return future; // canceled
    auto manager = std::make_shared<ServiceManager>(child);
    manager->setDefaultGracefulShutdownTimeout(gracefulShutdownTimeout());
    handle.record()->onCancel = [weak = std::weak_ptr<ServiceManager>(manager)] {
        if (const std::shared_ptr<ServiceManager> m = weak.lock())
            m->requestStop();
    };
    const impl::ContextScope scope(handle.record()); // its first steps are the child task's
    impl::runTask<void>(detail::runChild(this, manager), std::move(promise), std::move(handle));
    return future;
}

} // namespace QLifecycle
