#pragma once

// Definitions of QService's task templates. Internal: included by qservice.h.
// clang-format off (clang-format 14 cannot lay out requires-clauses)

namespace QLifecycle {

template<typename T>
QFuture<T> QService::addTask(QCoro::Task<T> &&task, const TaskOptions &options)
{
    auto promise = std::make_shared<QPromise<T>>();
    promise->start();
    QFuture<T> future = promise->future();
    const detail::TaskHandle handle =
        detail::TaskHandle::begin(this, detail::TaskKind::Coroutine, options.name, options.daemon,
                                  QFuture<void>(future), !task.isReady());
    if (!handle) {
        if (!task.isReady())
            detail::TaskHandle::refuseSuspended(this);
        promise->future().cancel();
        promise->finish();
        return future;
    }
    detail::runCoroutineTask<T>(std::move(task), std::move(promise), handle);
    return future;
}

template<typename F>
requires detail::MakesTask<F>
auto QService::addTask(F &&makeTask, const TaskOptions &options)
    -> QFuture<typename std::invoke_result_t<F>::value_type>
{
    using T = typename std::invoke_result_t<F>::value_type;
    auto promise = std::make_shared<QPromise<T>>();
    promise->start();
    const QFuture<T> future = promise->future();
    QString name = options.name;
    if constexpr (detail::HasName<F>)
        name = name.isEmpty() ? detail::callableName(makeTask) : name;
    const detail::TaskHandle handle = detail::TaskHandle::begin(
        this, detail::TaskKind::Coroutine, name, options.daemon, QFuture<void>(future), false);
    if (!handle) {
        promise->future().cancel();
        promise->finish();
        return future;
    }
    // Its first steps run as the new task: what they add and wait for is the task's.
    detail::ContextScope scope(handle.record());
    auto task = std::invoke(std::forward<F>(makeTask));
    detail::runCoroutineTask<T>(std::move(task), std::move(promise), handle);
    return future;
}

template<typename T>
QFuture<T> QService::addTask(const QFuture<T> &future, const TaskOptions &options)
{
    const detail::TaskHandle handle = detail::TaskHandle::begin(
        this, detail::TaskKind::Future, options.name, options.daemon, QFuture<void>(future), false);
    if (!handle)
        return detail::canceledFuture<T>();
    return future;
}

template<typename F>
auto QService::addPoolTask(F &&function, const TaskOptions &options)
{
    static_assert(!detail::isTask<std::decay_t<F>> && !detail::isFuture<std::decay_t<F>> &&
                      !detail::MakesTask<F>,
                  "addPoolTask() runs a plain callable on a thread pool; add a coroutine or a "
                  "QFuture with addTask()");
    using T = typename detail::PromiseArgument<F>::type;
    auto promise = std::make_shared<QPromise<T>>();
    promise->start();
    const QFuture<T> future = promise->future();
    const QString name = options.name.isEmpty() ? detail::callableName(function) : options.name;
    const detail::TaskHandle handle = detail::TaskHandle::begin(
        this, detail::TaskKind::Callable, name, options.daemon, QFuture<void>(future), false);
    if (!handle) {
        promise->future().cancel();
        promise->finish();
        return future;
    }
    QThreadPool *pool = handle.pool(options.pool);
    pool->start(new detail::CallableRunner<std::decay_t<F>, T>(std::forward<F>(function),
                                                               std::move(promise), handle));
    return future;
}

template<typename F>
auto QService::whileRunning(F &&call) -> std::invoke_result_t<F>
{
    using TaskType = std::invoke_result_t<F>;
    using T = typename TaskType::value_type;
    std::shared_ptr<detail::GuardRace> race = detail::GuardRace::make(this);
    if (!race->interruption.isEmpty())
        return detail::failedCall<T>(race->interruption);
    return detail::guardedCall<T>(std::invoke(std::forward<F>(call)), std::move(race));
}

} // namespace QLifecycle
// clang-format on
