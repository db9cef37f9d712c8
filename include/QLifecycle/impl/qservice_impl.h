#pragma once

/*! \cond internal */
// The templates behind QService's tasks, cancellable waits and guarded calls; included by
// qservice.h, not for direct use. They capture the caller's types and forward to the library's
// non-template functions (src/tasks/), whose state is opaque here.

#include <QtCore/QFuture>
#include <QtCore/QPromise>
#include <QtCore/QRunnable>

#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <typeinfo>

namespace QLifecycle::detail {
struct TaskRecord;
struct GuardRace;
class WaitState;
} // namespace QLifecycle::detail

namespace QLifecycle::impl {

enum class TaskKind { Coroutine, Callable, Future };

// A task's entry in its service's task set.
class QLIFECYCLE_EXPORT TaskHandle
{
public:
    // Registers a task; a null handle (and a warning) when it may not run now (then a coroutine's
    // or callable's future is cancelled, and so are the waits a `suspended` coroutine left).
    static TaskHandle begin(QService *service, TaskKind kind, const QString &name, bool daemon,
                            const QFuture<void> &future, bool suspended = false);
    explicit operator bool() const { return bool(m_record); }
    detail::TaskRecord *record() const { return m_record.get(); }
    // A coroutine task ended: its future takes `error` and finishes, then its set is told.
    void finish(const std::exception_ptr &error, bool cancelled) const;
    // The same for a void task that has ended: what it threw is read from it, not rethrown.
    void finish(const QCoro::Task<> &task) const;
    // From a pool thread: the future finishes and the task ends on the service's thread.
    void reportBack(std::shared_ptr<void> promise, const std::exception_ptr &error) const;
    void start(QRunnable *runner, QThreadPool *pool) const; // pool, else the manager's

private:
    std::shared_ptr<detail::TaskRecord> m_record;
};

// Makes `task` the task whose code runs on this thread until the scope ends.
class QLIFECYCLE_EXPORT ContextScope
{
public:
    explicit ContextScope(detail::TaskRecord *task);
    ~ContextScope();
    Q_DISABLE_COPY_MOVE(ContextScope)

private:
    detail::TaskRecord *m_previous;
};

QLIFECYCLE_EXPORT QString demangledName(const std::type_info &type);
QLIFECYCLE_EXPORT void reportCanceled(QFutureInterfaceBase &future);

// `name`, else the callable's name() or toString(), else (`orType`) its type.
template<bool orType, typename F>
QString taskName(const F &function, const QString &name)
{
    if (!name.isEmpty())
        return name;
    if constexpr (requires { QString(function.name()); })
        return QString(function.name());
    else if constexpr (requires { QString(function.toString()); })
        return QString(function.toString());
    else if constexpr (!orType)
        return {};
    static const QString type = demangledName(typeid(F)); // once per type: demangling is slow
    return type;
}

// Awaits a task without rethrowing what it threw.
template<typename Awaiter>
struct SettledAwaiter {
    Awaiter awaiter;
    bool await_ready() const noexcept { return awaiter.await_ready(); }
    void await_suspend(std::coroutine_handle<> waiter) { awaiter.await_suspend(waiter); }
    void await_resume() const noexcept {}
};

template<typename T>
QCoro::Task<> runTask(QCoro::Task<T> task, QPromise<T> promise, TaskHandle handle)
{
    if constexpr (std::is_void_v<T>) {
        // A stop ends every task with Cancelled: read from the task, not rethrown, it costs one
        // unwinding per task instead of two.
        co_await SettledAwaiter<decltype(task.operator co_await())>{task.operator co_await()};
        handle.finish(task);
        co_return;
    }
    std::exception_ptr error;
    bool cancelled = false;
    try {
        if constexpr (std::is_void_v<T>)
            co_await task;
        else
            promise.addResult(co_await task);
    } catch (const Cancelled &) {
        cancelled = true;
        error = std::current_exception();
    } catch (...) {
        error = std::current_exception();
    }
    handle.finish(error, cancelled);
}

// What a callable run on a thread pool reports: what it returns, or T if it takes a QPromise<T>&
// (its signature comes from std::function's deduction guides).
template<typename R>
R poolResult(std::function<R()>);
template<typename R, typename T>
T poolResult(std::function<R(QPromise<T> &)>);
template<typename F>
using PoolResult = decltype(poolResult(std::function(std::declval<F>())));

template<typename F, typename T>
class PoolRunner final : public QRunnable
{
public:
    PoolRunner(F function, std::shared_ptr<QPromise<T>> promise, TaskHandle handle)
        : m_function(std::move(function)), m_promise(std::move(promise)),
          m_handle(std::move(handle))
    {
    }
    void run() override
    {
        std::exception_ptr error;
        if (!m_promise->isCanceled()) { // skipped when cancelled while queued
            try {
                if constexpr (std::is_invocable_v<F &, QPromise<T> &>)
                    m_function(*m_promise);
                else if constexpr (std::is_void_v<T>)
                    m_function();
                else
                    m_promise->addResult(m_function());
            } catch (...) {
                error = std::current_exception();
                m_promise->setException(error);
            }
        }
        m_handle.reportBack(std::move(m_promise), error);
    }

private:
    F m_function;
    std::shared_ptr<QPromise<T>> m_promise;
    TaskHandle m_handle;
};

// The race behind QService::whileRunning(): the call against the service leaving Running. False
// once refused (the service is not Running) or interrupted.
class QLIFECYCLE_EXPORT Guard
{
public:
    explicit Guard(QService *service);
    explicit operator bool() const;
    void complete(const std::exception_ptr &error) const; // the call ended
    // Until complete() or the interruption; then throws LifecycleError, or the call's error.
    bool await_ready() const noexcept;
    void await_suspend(std::coroutine_handle<> waiter) const;
    void await_resume() const;

private:
    std::shared_ptr<detail::GuardRace> m_race;
};

QLIFECYCLE_EXPORT QCoro::Task<> pumpGuardedCall(QCoro::Task<> call, Guard guard, void * /*result*/);
template<typename T>
QCoro::Task<> pumpGuardedCall(QCoro::Task<T> call, Guard guard, std::optional<T> *result)
{
    std::exception_ptr error;
    try {
        T value = co_await call;
        if (guard) // the caller still waits, in the frame that holds `result`
            result->emplace(std::move(value));
    } catch (...) {
        error = std::current_exception();
    }
    guard.complete(error);
}

template<typename T>
QCoro::Task<T> guardedCall(std::optional<QCoro::Task<T>> call, Guard guard)
{
    std::conditional_t<std::is_void_v<T>, char, std::optional<T>> result{};
    if (call)
        pumpGuardedCall(std::move(*call), guard, &result);
    co_await guard;
    if constexpr (!std::is_void_v<T>)
        co_return std::move(*result);
}

// A cancellable wait: registered with the task that awaits it, so that stopping the service
// wakes it at once with Cancelled; resumes on the service's thread. Its state is made by the
// library in the opaque storage below (src/tasks/waitstate.h), not on the heap.
class QLIFECYCLE_EXPORT Wait
{
public:
    Wait(Wait &&other) noexcept; // only before it suspends; not copyable
    ~Wait();
    bool await_ready();
    void await_suspend(std::coroutine_handle<> waiter);

protected:
    Wait(const QService *service, std::chrono::milliseconds sleep);
    Wait(const QService *service, const QFuture<void> &future);
    Wait(const QService *service, const QObject *sender, std::chrono::milliseconds timeout);
    // Throws Cancelled, what the future threw, or (`result`) that it has none; returns whether
    // the signal came.
    bool resume(bool result = false);
    const QObject *sender() const; // a signal wait's, and the receiver of its signal
    QObject *receiver() const;
    void emitted();

private:
    friend class detail::WaitState;
    alignas(void *) unsigned char m_state[112];
};

class QLIFECYCLE_EXPORT SleepWait : public Wait
{
public:
    SleepWait(const QService *service, std::chrono::milliseconds duration);
    void await_resume() { resume(); }
};

template<typename T>
class FutureWait : public Wait
{
public:
    FutureWait(const QService *service, const QFuture<T> &future)
        : Wait(service, QFuture<void>(future)), m_future(future)
    {
    }
    T await_resume()
    {
        resume(!std::is_void_v<T>);
        if constexpr (!std::is_void_v<T>)
            return m_future.result();
    }

private:
    QFuture<T> m_future;
};

template<typename Sender, typename Signal>
class SignalWait : public Wait
{
public:
    SignalWait(const QService *service, const Sender *sender, Signal signal,
               std::chrono::milliseconds timeout)
        : Wait(service, sender, timeout), m_signal(signal)
    {
    }
    void await_suspend(std::coroutine_handle<> waiter)
    {
        Wait::await_suspend(waiter); // registers, watches the timeout and the sender's end
        QObject::connect(
            static_cast<const Sender *>(sender()), m_signal, receiver(), [this] { emitted(); },
            Qt::QueuedConnection); // dropped with the receiver when the wait ends
    }
    bool await_resume() { return resume(); }

private:
    Signal m_signal;
};

} // namespace QLifecycle::impl

namespace QLifecycle {

template<typename T>
QFuture<T> QService::addTask(QCoro::Task<T> &&task, const TaskOptions &options)
{
    QPromise<T> promise;
    promise.start();
    QFuture<T> future = promise.future();
    if (impl::TaskHandle handle =
            impl::TaskHandle::begin(this, impl::TaskKind::Coroutine, options.name, options.daemon,
                                    QFuture<void>(future), !task.isReady()))
        impl::runTask<T>(std::move(task), std::move(promise), std::move(handle));
    return future;
}

// clang-format off (clang-format 14 cannot lay out requires-clauses)
template<typename F>
requires impl::MakesTask<F>
auto QService::addTask(F &&makeTask, const TaskOptions &options)
    -> QFuture<typename std::invoke_result_t<F>::value_type>
// clang-format on
{
    using T = typename std::invoke_result_t<F>::value_type;
    QPromise<T> promise;
    promise.start();
    QFuture<T> future = promise.future();
    if (impl::TaskHandle handle = impl::TaskHandle::begin(
            this, impl::TaskKind::Coroutine, impl::taskName<false>(makeTask, options.name),
            options.daemon, QFuture<void>(future))) {
        const impl::ContextScope scope(handle.record()); // its first steps run as the new task
        auto task = std::invoke(std::forward<F>(makeTask));
        impl::runTask<T>(std::move(task), std::move(promise), std::move(handle));
    }
    return future;
}

template<typename T>
QFuture<T> QService::addTask(const QFuture<T> &future, const TaskOptions &options)
{
    if (impl::TaskHandle::begin(this, impl::TaskKind::Future, options.name, options.daemon,
                                QFuture<void>(future)))
        return future;
    QFutureInterface<T> canceled;
    impl::reportCanceled(canceled);
    return canceled.future();
}

template<typename F>
auto QService::addPoolTask(F &&function, const TaskOptions &options)
{
    static_assert(!impl::isTask<std::decay_t<F>> && !impl::isFuture<std::decay_t<F>> &&
                      !impl::MakesTask<F>,
                  "addPoolTask() runs a plain callable on a thread pool; add a coroutine or a "
                  "QFuture with addTask()");
    using T = impl::PoolResult<std::decay_t<F>>;
    auto promise = std::make_shared<QPromise<T>>();
    promise->start();
    QFuture<T> future = promise->future();
    if (const impl::TaskHandle handle = impl::TaskHandle::begin(
            this, impl::TaskKind::Callable, impl::taskName<true>(function, options.name),
            options.daemon, QFuture<void>(future)))
        handle.start(new impl::PoolRunner<std::decay_t<F>, T>(std::forward<F>(function),
                                                              std::move(promise), handle),
                     options.pool);
    return future;
}

template<typename F>
auto QService::whileRunning(F &&call) -> std::invoke_result_t<F>
{
    using T = typename std::invoke_result_t<F>::value_type;
    impl::Guard guard(this);
    if (!guard) // not Running: the call is not made
        return impl::guardedCall<T>(std::nullopt, std::move(guard));
    return impl::guardedCall<T>(std::invoke(std::forward<F>(call)), std::move(guard));
}

} // namespace QLifecycle
/*! \endcond */
