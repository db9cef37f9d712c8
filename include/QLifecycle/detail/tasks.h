#pragma once

// The templates behind QService::addTask() and QService::whileRunning(). Internal: use them
// only through those functions.

#include <QLifecycle/detail/oneshot.h>
#include <QLifecycle/error.h>
#include <QLifecycle/qlifecycle_export.h>

#include <QtCore/QFuture>
#include <QtCore/QPromise>
#include <QtCore/QRunnable>
#include <QtCore/QThreadPool>

#include <QCoro/QCoroTask>

#include <concepts>
#include <functional>
#include <memory>
#include <typeinfo>

namespace QLifecycle {
class QService;
}

namespace QLifecycle::detail {

struct TaskRecord;
class TaskSet;

enum class TaskKind { Coroutine, Callable, Future };

// A task's link to its service's TaskSet, type-erased so that the templates stay small.
class QLIFECYCLE_EXPORT TaskHandle
{
public:
    TaskHandle() = default;
    explicit operator bool() const { return bool(m_record); }

    // Registers a task; a null handle (and a warning) when it may not run now.
    static TaskHandle begin(QService *service, TaskKind kind, const QString &name, bool daemon,
                            const QFuture<void> &future, bool suspended);
    // A coroutine task was refused after its first steps ran: cancel what they wait for.
    static void refuseSuspended(QService *service);
    // The task ended, on the service's thread: bookkeeping, then crash or daemon checks.
    // `cancelled`: the error is Cancelled (known without rethrowing it).
    void end(const std::exception_ptr &error, bool cancelled = false) const;
    // The object to queue end() to from another thread.
    QObject *context() const;
    // Queues `deliver` to the service's thread, from a worker thread. Once the application is
    // being destroyed nothing is queued any more, and nothing queued before is destroyed while
    // Qt holds its event queue's lock: abandoned work that ends then is dropped, never run,
    // and never blocks the exit.
    void reportBack(std::function<void()> deliver) const;
    QThreadPool *pool(QThreadPool *preferred) const;
    TaskRecord *record() const { return m_record.get(); }
    std::shared_ptr<TaskRecord> shared() const { return m_record; }

private:
    std::shared_ptr<TaskRecord> m_record;
};

// Makes `record` the task whose code runs on this thread until the scope ends.
class QLIFECYCLE_EXPORT ContextScope
{
public:
    explicit ContextScope(TaskRecord *record);
    ~ContextScope();
    ContextScope(const ContextScope &) = delete;
    ContextScope &operator=(const ContextScope &) = delete;

private:
    TaskRecord *m_previous;
};

QLIFECYCLE_EXPORT QString demangledName(const std::type_info &type);
QLIFECYCLE_EXPORT void warnRefused(const QService *service, const QString &what);

template<typename T>
QFuture<T> canceledFuture()
{
    QFutureInterface<T> interface;
    interface.reportStarted();
    interface.reportCanceled();
    interface.reportFinished();
    return interface.future();
}

// Whether a callable names itself, like Python's __str__ (name()) or __repr__ (toString()).
template<typename F>
concept HasName = requires(const F &f)
{
    QString(f.name());
}
|| requires(const F &f)
{
    QString(f.toString());
};

// A name for a callable: its name(), else its toString(), else its type (worked out once per
// type: demangling is not cheap).
template<typename F>
QString callableName(const F &function)
{
    if constexpr (requires { QString(function.name()); }) {
        return QString(function.name());
    } else if constexpr (requires { QString(function.toString()); }) {
        return QString(function.toString());
    } else {
        static const QString typeName = demangledName(typeid(F));
        return typeName;
    }
}

template<typename T>
QCoro::Task<> runCoroutineTask(QCoro::Task<T> task, std::shared_ptr<QPromise<T>> promise,
                               TaskHandle handle)
{
    std::exception_ptr error;
    bool cancelled = false;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await task;
        } else {
            auto value = co_await task;
            promise->addResult(std::move(value));
        }
    } catch (const Cancelled &) {
        cancelled = true;
        error = std::current_exception();
    } catch (...) {
        error = std::current_exception();
    }
    if (error)
        promise->setException(error);
    promise->finish();
    handle.end(error, cancelled);
}

// What a callable run on a thread pool receives: a QPromise<T>& first, or nothing.
template<typename F>
struct PromiseArgument : PromiseArgument<decltype(&std::decay_t<F>::operator())> {
};
template<typename R, typename... A>
struct PromiseArgument<R (*)(A...)> : PromiseArgument<R(A...)> {
};
template<typename C, typename R, typename... A>
struct PromiseArgument<R (C::*)(A...) const> : PromiseArgument<R(A...)> {
};
template<typename C, typename R, typename... A>
struct PromiseArgument<R (C::*)(A...)> : PromiseArgument<R(A...)> {
};
template<typename R>
struct PromiseArgument<R()> {
    using type = R; // returns its result
    static constexpr bool takesPromise = false;
};
template<typename R, typename T>
struct PromiseArgument<R(QPromise<T> &)> {
    using type = T; // reports through the promise
    static constexpr bool takesPromise = true;
};

template<typename F, typename T>
class CallableRunner : public QRunnable
{
public:
    CallableRunner(F function, std::shared_ptr<QPromise<T>> promise, TaskHandle handle)
        : m_function(std::move(function)), m_promise(std::move(promise)),
          m_handle(std::move(handle))
    {
    }

    void run() override
    {
        std::exception_ptr error;
        if (!m_promise->isCanceled()) { // skipped when cancelled while queued
            try {
                if constexpr (PromiseArgument<F>::takesPromise)
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
        // Report back to the service's thread; the promise finishes there, before any state
        // changes. If that thread's objects are gone, the promise's destructor ends it.
        m_handle.reportBack([promise = m_promise, handle = m_handle, error] {
            promise->finish();
            handle.end(error);
        });
    }

private:
    F m_function;
    std::shared_ptr<QPromise<T>> m_promise;
    TaskHandle m_handle;
};

// The race behind QService::whileRunning(): the call against the service leaving Running.
struct QLIFECYCLE_EXPORT GuardRace {
    OneShot event;
    bool completed = false;
    std::exception_ptr error;
    QString interruption; // set when the service stopped running first
    static std::shared_ptr<GuardRace> make(QService *service);
};

template<typename T>
struct GuardResult {
    std::optional<T> value;
};
template<>
struct GuardResult<void> {
};

template<typename T>
QCoro::Task<> pumpGuardedCall(QCoro::Task<T> call, std::shared_ptr<GuardRace> race,
                              std::shared_ptr<GuardResult<T>> result)
{
    std::exception_ptr error;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await call;
        } else {
            result->value.emplace(co_await call);
        }
    } catch (...) {
        error = std::current_exception();
    }
    if (!race->interruption.isEmpty())
        co_return; // the caller was already told the service stopped running
    race->error = error;
    race->completed = true;
    race->event.fire();
}

template<typename T>
QCoro::Task<T> guardedCall(QCoro::Task<T> call, std::shared_ptr<GuardRace> race)
{
    auto result = std::make_shared<GuardResult<T>>();
    pumpGuardedCall(std::move(call), race, result);
    co_await race->event;
    if (!race->completed)
        throw LifecycleError(race->interruption);
    if (race->error)
        std::rethrow_exception(race->error);
    if constexpr (!std::is_void_v<T>)
        co_return std::move(*result->value);
}

template<typename T>
QCoro::Task<T> failedCall(QString message)
{
    co_await std::suspend_never{}; // a coroutine, so that the error reaches the awaiter
    throw LifecycleError(message);
}

template<typename>
inline constexpr bool isTask = false;
template<typename T>
inline constexpr bool isTask<QCoro::Task<T>> = true;
template<typename>
inline constexpr bool isFuture = false;
template<typename T>
inline constexpr bool isFuture<QFuture<T>> = true;

// A callable returning a QCoro::Task: a coroutine task for the library to start.
template<typename F>
concept MakesTask = std::is_invocable_v<F> && isTask<std::decay_t<std::invoke_result_t<F>>>;

} // namespace QLifecycle::detail
