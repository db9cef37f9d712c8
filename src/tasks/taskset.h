#pragma once

#include <QLifecycle/qservice.h>

#include "tasks/guardrace.h"
#include "tasks/oneshot.h"
#include "tasks/waitstate.h"

#include <QtCore/QFutureWatcher>
#include <QtCore/QMutex>
#include <QtCore/QPointer>
#include <QtCore/QStringList>

#include <functional>
#include <memory>
#include <vector>

namespace QLifecycle {
class ServiceOwner;
}

namespace QLifecycle::detail {

using impl::TaskKind;

// One background task of a service.
struct TaskRecord : std::enable_shared_from_this<TaskRecord> {
    explicit TaskRecord(const QFuture<void> &future) : future(future) {}
    ~TaskRecord();
    // Its name, else "coroutine #N" or "future #N", made only when a log or error needs it.
    QString displayName() const;

    quint64 id = 0;
    QString name;
    TaskKind kind = TaskKind::Coroutine;
    bool daemon = false;
    bool cancelled = false;
    bool ended = false;
    bool inStep = false;          // part of the cancellation step being awaited
    QFuture<void> future;         // what the caller got: cancelled on stop
    std::shared_ptr<TaskSet> set; // keeps the set alive while the task runs, even abandoned
    TaskRecord *prev = nullptr;   // the set's list of running tasks, in creation order
    TaskRecord *next = nullptr;
    WaitState *waits = nullptr;                    // its suspended cancellable waits
    std::unique_ptr<QFutureWatcher<void>> watcher; // adopted futures
    std::function<void()> onCancel;                // e.g. stop a child service's manager
    // A thread-pool task not run yet: its runner and pool, guarded by runnerLock. Cleared when
    // the runner reports back, before the pool may delete it (see takeQueuedRun()).
    QBasicMutex runnerLock;
    QRunnable *runner = nullptr;
    QThreadPool *pool = nullptr;
};

// The background tasks of one service during one run (fresh for every start), and how they
// are cancelled: newest first, each awaited before the next, so that a task's clean-up never
// runs while a task it started is still running (a task is always older than the tasks it
// starts). Consecutive callables and adopted futures cannot start tasks: they are cancelled
// together. All of it on the service's thread.
class TaskSet : public std::enable_shared_from_this<TaskSet>
{
public:
    enum class Mode { Open, CancellingTasks, StopHook };

    // `run`: the run the service belongs to now, the only one its tasks' crashes may reach.
    TaskSet(QService *service, std::weak_ptr<ServiceOwner> run);
    ~TaskSet();

    QService *service() const { return m_service; }
    QObject *context() { return &m_context; }
    Mode mode() const { return m_mode; }
    bool startCancelled() const { return m_startCancelled; }
    bool hasRunningTasks() const { return m_tail != nullptr; }
    QStringList runningTaskNames() const;

    std::shared_ptr<TaskRecord> add(TaskKind kind, const QString &name, bool daemon,
                                    const QFuture<void> &future);
    void ended(TaskRecord *record, const std::exception_ptr &error, bool cancelled = false);
    void detach(TaskRecord *record);

    void registerWait(WaitState *wait, TaskRecord *owner);
    void unregisterWait(WaitState *wait);
    // A coroutine task created just before add(): the waits its first steps registered were
    // counted for whoever ran it; they are the new task's.
    void claimWaits(TaskRecord *task);
    void markBoundary();

    // The stop's first half: cancel and await every task, leaves first.
    QCoro::Task<> cancelAll();
    // A coroutine task was refused after its first steps ran: cancel the waits they left.
    void cancelRefusedPrefix();
    // The service stops with no task running: no task may start any more.
    void closeForStop(const QString &why);
    // A failed or cancelled start: cancel everything at once, await nothing.
    void cancelEverythingNow();
    // A stop requested while start() runs: wake the waits of start() itself.
    void cancelStart();
    // The service leaves Running: guarded calls in flight fail.
    void interruptGuards(const QString &why);
    void addGuard(const std::shared_ptr<GuardRace> &race);

private:
    void link(TaskRecord *record);
    void cancelRecord(TaskRecord *record);
    void cancelEverything();
    void wakeWaits(WaitState *&list);
    void reportCrash(const QString &message, std::exception_ptr cause, bool cleanExit = false);
    void publishCounts();
    void takeQueuedRuns(std::vector<TaskRecord *> *batch);

    bool isCurrent() const;

    QPointer<QService> m_service;
    std::weak_ptr<ServiceOwner> m_run;
    QObject m_context;
    Mode m_mode = Mode::Open;
    bool m_startCancelled = false;
    TaskRecord *m_head = nullptr;
    TaskRecord *m_tail = nullptr;
    WaitState *m_orphans = nullptr; // waits whose task is not known
    quint64 m_nextId = 0;
    int m_total = 0;
    int m_finished = 0;
    int m_stepRemaining = 0;
    bool m_countsDeferred = false; // publishCounts() waits for the end of a batch
    std::unique_ptr<OneShot> m_step;
    std::vector<std::weak_ptr<GuardRace>> m_guards;
};

// A thread-pool task still queued in its pool: its runner, taken out of the queue (nullptr when
// it has begun running, or is no thread-pool task). Once it is cancelled, endTakenRun() ends it
// as a skipped run would report.
std::unique_ptr<QRunnable> takeQueuedRun(TaskRecord *record);
void endTakenRun(TaskRecord *record);

// How a stall report names a step of `task`: task "scan".
QString stepName(const TaskRecord &task);
// The task whose code runs on this thread now, when known (see ContextScope).
TaskRecord *currentTask();
// Waits registered after the last boundary were registered by the code running now.
quint64 nextWaitSequence();
quint64 waitBoundary();
void markWaitBoundary();

} // namespace QLifecycle::detail
