#include "tasks/taskset.h"

#include "service/exceptions.h"

#include "service/emitqueue.h"
#include "service/logging.h"
#include "service/qservice_p.h"
#include "service/serviceowner.h"
#include "service/steps.h"
#include "service/threadlocal.h"
#include "service/tracer.h"

#include <QtCore/QCoreApplication>

namespace QLifecycle {

// Here, not in qservice.cpp: the service layer knows nothing of how tasks are kept.
const std::shared_ptr<detail::TaskSet> &QServicePrivate::tasksFor(const QService *service)
{
    QServicePrivate *d = const_cast<QServicePrivate *>(QServicePrivate::get(service));
    if (!d->tasks)
        d->tasks = std::make_shared<detail::TaskSet>(const_cast<QService *>(service), d->owner);
    return d->tasks;
}

namespace detail {

namespace {
QLC_HOT_THREAD_LOCAL TaskRecord *t_current = nullptr;
QLC_HOT_THREAD_LOCAL quint64 t_sequence = 0;
QLC_HOT_THREAD_LOCAL quint64 t_boundary = 0;

template<typename Node>
void unlinkFrom(Node *&head, Node *&tail, Node *node, Node *Node::*prev, Node *Node::*next)
{
    (node->*prev ? node->*prev->*next : head) = node->*next;
    (node->*next ? node->*next->*prev : tail) = node->*prev;
    node->*prev = node->*next = nullptr;
}
} // namespace

TaskRecord *currentTask()
{
    return t_current;
}
quint64 nextWaitSequence()
{
    return ++t_sequence;
}
quint64 waitBoundary()
{
    return t_boundary;
}
void markWaitBoundary()
{
    t_boundary = t_sequence;
}

QString stepName(const TaskRecord &task)
{
    return QStringLiteral("task '%1'").arg(task.displayName());
}

QString TaskRecord::displayName() const
{
    if (!name.isEmpty())
        return name;
    return (kind == TaskKind::Future ? QStringLiteral("future #%1")
                                     : QStringLiteral("coroutine #%1"))
        .arg(id);
}

TaskRecord::~TaskRecord()
{
    if (set) { // it ends in a step of its own: that step is its last
        if (const qint64 ns = steps::release(this))
            steps::report(set->service(), stepName(*this), ns);
    }
    if (!ended && set)
        set->detach(this);
}

TaskSet::TaskSet(QService *service, std::weak_ptr<ServiceOwner> run)
    : m_service(service), m_run(std::move(run))
{
}

// Whether this is the service's set of its current or last run. An abandoned set (its run
// gone, or the service started again since) shows nothing and reports nothing: abandoned work
// is inert (docs/lifecycle.md, "Re-entrancy and nested event loops").
bool TaskSet::isCurrent() const
{
    return m_service && QServicePrivate::get(m_service)->tasks.get() == this;
}

TaskSet::~TaskSet() = default;

QStringList TaskSet::runningTaskNames() const
{
    QStringList names;
    for (TaskRecord *record = m_head; record; record = record->next)
        names.append(record->displayName());
    return names;
}

void TaskSet::link(TaskRecord *record)
{
    record->prev = m_tail;
    (m_tail ? m_tail->next : m_head) = record;
    m_tail = record;
}

std::shared_ptr<TaskRecord> TaskSet::add(TaskKind kind, const QString &name, bool daemon,
                                         const QFuture<void> &future)
{
    auto record = std::make_shared<TaskRecord>(future);
    record->id = ++m_nextId;
    record->kind = kind;
    record->daemon = daemon;
    record->set = shared_from_this();
    record->name = name;
    link(record.get());
    ++m_total;
    publishCounts();
    qCDebug(lcTask).noquote() << m_service->name() << "task started:" << record->displayName()
                              << (daemon ? "(daemon)" : "");
    if (Tracer::any()) {
        Tracer::withService(m_service, [&](Tracer &tracer) {
            tracer.taskStarted(m_service, record->id, record->displayName());
        });
    }
    EmitQueue::flush();
    return record;
}

void TaskSet::detach(TaskRecord *record)
{
    // A task destroyed without ending (its coroutine frame was destroyed): forget it.
    record->ended = true;
    unlinkFrom(m_head, m_tail, record, &TaskRecord::prev, &TaskRecord::next);
    ++m_finished;
    publishCounts();
    if (record->inStep && --m_stepRemaining == 0 && m_step)
        m_step->fire();
    if (!QCoreApplication::closingDown())
        EmitQueue::flush();
}

void TaskSet::ended(TaskRecord *record, const std::exception_ptr &error, bool cancelled)
{
    if (record->ended)
        return;
    record->ended = true;
    unlinkFrom(m_head, m_tail, record, &TaskRecord::prev, &TaskRecord::next);
    ++m_finished;
    publishCounts();
    if (record->inStep && --m_stepRemaining == 0 && m_step)
        m_step->fire(); // resumes the stop later, from the event loop
    auto serviceName = [this] {
        return m_service ? m_service->name() : QStringLiteral("(destroyed)");
    };
    bool cancellation = false;
    const QString description =
        error && !cancelled ? describeFailure(error, &cancellation) : QString();
    if (error && !cancelled && !cancellation) {
        if (AwaitedFutures::contains(record->future)) {
            qCDebug(lcTask).noquote() << serviceName() << "task" << record->displayName()
                                      << "failed; its awaiter takes the error";
        } else {
            reportCrash(
                QStringLiteral("task '%1' failed: %2").arg(record->displayName(), description),
                error);
        }
    } else if (record->daemon && !record->cancelled && m_mode == Mode::Open && m_service &&
               m_service->state() == State::Running) {
        reportCrash(QStringLiteral("daemon task '%1' exited while the service was running")
                        .arg(record->displayName()),
                    {}, true);
    } else {
        qCDebug(lcTask).noquote() << serviceName() << "task ended:" << record->displayName()
                                  << (error || record->cancelled ? "(cancelled)" : "");
    }
    if (Tracer::any() && m_service) {
        const int outcome = error && !cancelled && !cancellation      ? 2
                            : error || cancelled || record->cancelled ? 1
                                                                      : 0;
        Tracer::withService(
            m_service, [&](Tracer &tracer) { tracer.taskEnded(m_service, record->id, outcome); });
    }
    EmitQueue::flush();
}

void TaskSet::reportCrash(const QString &message, std::exception_ptr cause, bool cleanExit)
{
    if (!m_service)
        return;
    const std::shared_ptr<ServiceOwner> run = m_run.lock();
    if (!isCurrent() || !run || run != QServicePrivate::get(m_service)->owner.lock()) {
        qCDebug(lcTask).noquote() << m_service->name() + QStringLiteral(": abandoned ") + message;
        return;
    }
    qCWarning(lcTask).noquote() << m_service->name() + QStringLiteral(": ") + message;
    run->crash(m_service, message, std::move(cause), cleanExit);
}

void TaskSet::publishCounts()
{
    if (!m_countsDeferred && isCurrent())
        EmitQueue::serviceTaskCounts(m_service, m_total, m_finished);
}

void TaskSet::registerWait(WaitState *wait, TaskRecord *owner)
{
    WaitState *&head = owner ? owner->waits : m_orphans;
    wait->m_owner = owner;
    wait->m_prev = nullptr;
    wait->m_next = head;
    if (head)
        head->m_prev = wait;
    head = wait;
}

void TaskSet::unregisterWait(WaitState *wait)
{
    WaitState *&head = wait->m_owner ? wait->m_owner->waits : m_orphans;
    (wait->m_prev ? wait->m_prev->m_next : head) = wait->m_next;
    if (wait->m_next)
        wait->m_next->m_prev = wait->m_prev;
    wait->m_prev = wait->m_next = nullptr;
}

void TaskSet::claimWaits(TaskRecord *task)
{
    TaskRecord *current = t_current;
    WaitState *&source = current && current->set.get() == this ? current->waits : m_orphans;
    // The running task has no wait of its own pending: what it holds was registered by the
    // coroutines it called since it resumed. Orphans count only since the last boundary.
    const quint64 boundary = source == m_orphans ? waitBoundary() : 0;
    WaitState *wait = source;
    while (wait) {
        WaitState *next = wait->m_next;
        if (wait->m_sequence > boundary) {
            unregisterWait(wait);
            registerWait(wait, task);
        }
        wait = next;
    }
    markWaitBoundary();
}

void TaskSet::wakeWaits(WaitState *&list)
{
    while (list)
        list->cancelNow(); // unregisters itself before resuming its coroutine
}

void TaskSet::cancelRecord(TaskRecord *record)
{
    record->cancelled = true;
    if (record->onCancel)
        record->onCancel();
    if (record->kind != TaskKind::Coroutine)
        record->future.cancel();
}

QCoro::Task<> TaskSet::cancelAll()
{
    const std::shared_ptr<TaskSet> self = shared_from_this();
    m_mode = Mode::CancellingTasks;
    interruptGuards(m_service ? m_service->name() + QStringLiteral(" is stopping") : QString());
    while (m_tail) {
        m_stepRemaining = 0;
        if (m_tail->kind != TaskKind::Coroutine) {
            std::vector<TaskRecord *> batch;
            for (TaskRecord *record = m_tail; record && record->kind != TaskKind::Coroutine;
                 record = record->prev)
                batch.push_back(record);
            for (TaskRecord *record : batch) {
                record->inStep = true;
                ++m_stepRemaining;
            }
            takeQueuedRuns(&batch); // thread-pool tasks that never began: ended here
            for (TaskRecord *record : batch)
                cancelRecord(record); // only requests: these end through the event loop
        } else {
            const std::shared_ptr<TaskRecord> record = m_tail->shared_from_this();
            record->inStep = true;
            m_stepRemaining = 1;
            {
                const EmitQueue::Hold hold; // see cancelEverythingNow()
                cancelRecord(record.get());
                wakeWaits(record->waits); // may end it right here
                if (m_stepRemaining > 0)
                    wakeWaits(m_orphans); // it may be waiting where its name was not known
            }
            EmitQueue::flush();
        }
        if (m_stepRemaining > 0) {
            m_step = std::make_unique<OneShot>();
            co_await *m_step;
        }
    }
    m_step.reset();
    {
        const EmitQueue::Hold hold;
        wakeWaits(m_orphans); // what no task owns: guarded calls in flight, unknown contexts
    }
    m_mode = Mode::StopHook;
    EmitQueue::flush();
}

// Thread-pool tasks of a batch still queued in their pool never run: each is taken out of the
// queue, cancelled and ended here rather than by a report through the event loop (as
// QFuture::waitForFinished() does with a queued QtConcurrent::run()). Taken before the batch is
// cancelled, while the pool's threads are still busy with the running ones, and oldest first:
// the pool's queue is in that order, so each is found at its head. Their ends show once, after
// the batch: one change of the counts, no slot running in between. `batch` keeps the others.
void TaskSet::takeQueuedRuns(std::vector<TaskRecord *> *batch)
{
    {
        const EmitQueue::Hold hold;
        m_countsDeferred = true;
        auto kept = batch->end();
        for (auto it = batch->end(); it != batch->begin();) {
            TaskRecord *record = *--it;
            if (std::unique_ptr<QRunnable> runner = takeQueuedRun(record)) {
                cancelRecord(record);
                endTakenRun(record); // may free the record once `runner` goes
            } else {
                *--kept = record;
            }
        }
        const bool taken = kept != batch->begin();
        batch->erase(batch->begin(), kept);
        m_countsDeferred = false;
        if (taken)
            publishCounts();
    }
    EmitQueue::flush();
}

// Waking a task runs its clean-up code, and a task that ends shows it (task counts, a crash):
// what that shows is held until every task has been woken, so that no slot (a nested loop)
// runs while some tasks are cancelled and others are not yet.
void TaskSet::cancelEverythingNow()
{
    {
        const EmitQueue::Hold hold;
        cancelEverything();
    }
    EmitQueue::flush();
}

void TaskSet::cancelEverything()
{
    m_mode = Mode::CancellingTasks;
    interruptGuards(m_service ? m_service->name() + QStringLiteral(" failed to start") : QString());
    std::vector<std::shared_ptr<TaskRecord>> all; // alive while their coroutines unwind
    for (TaskRecord *record = m_tail; record; record = record->prev)
        all.push_back(record->shared_from_this());
    for (const std::shared_ptr<TaskRecord> &record : all)
        cancelRecord(record.get());
    for (const std::shared_ptr<TaskRecord> &record : all)
        wakeWaits(record->waits);
    wakeWaits(m_orphans);
}

void TaskSet::closeForStop(const QString &why)
{
    {
        const EmitQueue::Hold hold;     // see cancelEverythingNow()
        m_mode = Mode::CancellingTasks; // waits registered while waking these throw at once
        interruptGuards(why);
        wakeWaits(m_orphans);
        m_mode = Mode::StopHook;
    }
    EmitQueue::flush();
}

void TaskSet::cancelRefusedPrefix()
{
    // The refused coroutine already ran up to its first suspension (tasks start eagerly): the
    // waits it registered are the newest of the code running now. Wake them with Cancelled.
    const auto refused = std::make_shared<TaskRecord>(QFuture<void>());
    refused->ended = true; // never linked
    refused->cancelled = true;
    refused->set = shared_from_this();
    claimWaits(refused.get());
    {
        const EmitQueue::Hold hold; // see cancelEverythingNow()
        wakeWaits(refused->waits);
    }
    EmitQueue::flush();
}

void TaskSet::cancelStart()
{
    m_startCancelled = true;
    {
        const EmitQueue::Hold hold; // see cancelEverythingNow()
        wakeWaits(m_orphans);
    }
    EmitQueue::flush();
}

void TaskSet::addGuard(const std::shared_ptr<GuardRace> &race)
{
    std::erase_if(m_guards, [](const std::weak_ptr<GuardRace> &guard) { return guard.expired(); });
    m_guards.push_back(race);
}

void TaskSet::interruptGuards(const QString &why)
{
    for (const std::weak_ptr<GuardRace> &guard : std::exchange(m_guards, {})) {
        if (const std::shared_ptr<GuardRace> race = guard.lock(); race && !race->completed) {
            race->interruption = why + QStringLiteral(" while the call was in flight");
            race->event.fire();
        }
    }
}

} // namespace detail

namespace impl {

// A task's code runs from here: a step of it (docs/observability.md, "Stalls").
ContextScope::ContextScope(detail::TaskRecord *task) : m_previous(detail::t_current)
{
    detail::t_current = task;
    detail::markWaitBoundary();
    if (task)
        detail::steps::begin(task);
}

ContextScope::~ContextScope()
{
    const bool timed = detail::t_current != nullptr;
    detail::t_current = m_previous;
    detail::markWaitBoundary();
    if (!timed)
        return;
    const void *subject = nullptr;
    if (const qint64 ns = detail::steps::end(&subject); ns && subject) {
        const auto *task = static_cast<const detail::TaskRecord *>(subject);
        detail::steps::report(task->set->service(), detail::stepName(*task), ns);
    }
}

} // namespace impl
} // namespace QLifecycle
