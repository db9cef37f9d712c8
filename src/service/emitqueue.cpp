#include "service/emitqueue.h"

#include "service/qservice_p.h"
#include "service/threadlocal.h"

#include <memory>
#include <utility>

namespace QLifecycle::detail {

namespace {
struct Queue {
    std::vector<EmitQueue::Entry> entries; // [head, size) still to apply
    size_t head = 0;
    int holds = 0;
    ~Queue()
    {
        for (size_t i = head; i < entries.size(); ++i)
            delete std::exchange(entries[i].extra, nullptr);
    }
};
// A plain pointer, so that reaching the queue is one thread-local read with no guard (the
// scheduler reaches it several times per transition); its owner frees it at thread exit.
QLC_HOT_THREAD_LOCAL Queue *t_queue = nullptr;
struct QueueOwner {
    std::unique_ptr<Queue> queue;
    ~QueueOwner()
    {
        t_queue = nullptr;
        const std::unique_ptr<Queue> last = std::move(queue); // whatever it drops may queue more
    }
};
thread_local QueueOwner t_queueOwner;

Queue &queue()
{
    if (Queue *const existing = t_queue)
        return *existing;
    t_queueOwner.queue = std::make_unique<Queue>();
    t_queueOwner.queue->entries.reserve(64);
    return *(t_queue = t_queueOwner.queue.get());
}

// An empty text needs no Extra.
EmitQueue::Extra *textExtra(const QString &text)
{
    return text.isEmpty() ? nullptr : new EmitQueue::Extra{text, {}};
}
} // namespace

const QString &EmitQueue::Entry::text() const
{
    static const QString empty;
    return extra ? extra->text : empty;
}

void EmitQueue::push(const Entry &entry)
{
    queue().entries.push_back(entry);
}

// A change that nothing watches is applied at once: it runs no foreign code, and a slot that
// reads it later finds it done, as the bookkeeping is. Only what nothing queued for the same
// object would overtake.
void EmitQueue::serviceState(QService *service, QService::State state)
{
    const QServicePrivate *d = QServicePrivate::get(service);
    if (!d->isWatched(d->state) && !isPendingFor(service)) {
        QServicePrivate::setState(service, state);
        return;
    }
    push({service, nullptr, 0, 0, int(state), Kind::ServiceState, nullptr});
}

void EmitQueue::serviceDuration(QService *service, bool start, qint64 ms)
{
    const QServicePrivate *d = QServicePrivate::get(service);
    const bool watched = start ? d->isWatched(d->startDurationMs) : d->isWatched(d->stopDurationMs);
    if (!watched && !isPendingFor(service)) {
        if (start)
            QServicePrivate::setStartDuration(service, ms);
        else
            QServicePrivate::setStopDuration(service, ms);
        return;
    }
    push({service, nullptr, ms, 0, 0,
          start ? Kind::ServiceStartDuration : Kind::ServiceStopDuration, nullptr});
}

bool EmitQueue::isPendingFor(const QObject *target)
{
    const Queue *const queue = t_queue;
    if (!queue)
        return false;
    for (size_t i = queue->head; i < queue->entries.size(); ++i)
        if (queue->entries[i].target == target)
            return true;
    return false;
}

bool EmitQueue::isPending()
{
    const Queue *const queue = t_queue;
    return queue && queue->head < queue->entries.size();
}

void EmitQueue::serviceErrorString(QService *service, const QString &text)
{
    push({service, nullptr, 0, 0, 0, Kind::ServiceErrorString, textExtra(text)});
}

void EmitQueue::serviceTaskCounts(QService *service, int total, int finished)
{
    const QServicePrivate *d = QServicePrivate::get(service);
    if (!d->isWatched(d->taskCount) && !d->isWatched(d->finishedTaskCount) &&
        !d->isWatched(d->pendingTaskCount) && !isPendingFor(service)) {
        QServicePrivate::setTaskCounts(service, total, finished);
        return;
    }
    push({service, nullptr, finished, 0, total, Kind::ServiceTaskCounts, nullptr});
}

void EmitQueue::serviceHealth(QService *service, QService::Health health, const QString &reason)
{
    QServicePrivate::get(service)->healthReported = true;
    const QServicePrivate *d = QServicePrivate::get(service);
    if (!d->isWatched(d->health) && !d->isWatched(d->healthReason) && !isPendingFor(service)) {
        QServicePrivate::setHealth(service, health, reason);
        return;
    }
    push({service, nullptr, 0, 0, int(health), Kind::ServiceHealth, textExtra(reason)});
}

void EmitQueue::applier(QObject *target, void (*apply)(const Entry &), int value, double real,
                        const QString &text)
{
    push({target, apply, 0, real, value, Kind::Applier, textExtra(text)});
}

void EmitQueue::call(QObject *target, std::function<void()> function)
{
    push({target, nullptr, 0, 0, 1, Kind::Call, new Extra{{}, std::move(function)}});
}

void EmitQueue::forget(const QObject *target)
{
    Queue *const queue = t_queue;
    if (!queue)
        return;
    for (size_t i = queue->head; i < queue->entries.size(); ++i) {
        Entry &entry = queue->entries[i];
        if (entry.target == target) {
            entry.target = nullptr;
            entry.kind = Kind::Call;
            entry.value = 0; // a call whose object is gone: skipped
            delete std::exchange(entry.extra, nullptr);
            entry.applier = nullptr;
        }
    }
}

EmitQueue::Hold::Hold()
{
    ++queue().holds;
}

EmitQueue::Hold::~Hold()
{
    --queue().holds;
}

bool EmitQueue::isHeld()
{
    const Queue *const queue = t_queue;
    return queue && queue->holds > 0;
}

void EmitQueue::flush()
{
    Queue *const queue = t_queue;
    if (!queue || queue->holds > 0)
        return;
    while (queue->head < queue->entries.size()) {
        Entry entry = queue->entries[queue->head++];
        if (queue->head == queue->entries.size()) {
            queue->entries.clear();
            queue->head = 0;
        }
        const std::unique_ptr<Extra> extra(entry.extra); // this flush owns it now
        apply(entry); // may queue and flush more: a nested flush takes the next entries
    }
}

void EmitQueue::apply(const Entry &entry)
{
    // Cast only for the kinds whose target is a service (a manager is no QService).
    const auto service = [&entry] { return static_cast<QService *>(entry.target); };
    switch (entry.kind) {
    case Kind::ServiceState:
        QServicePrivate::setState(service(), QService::State(entry.value));
        break;
    case Kind::ServiceStartDuration:
        QServicePrivate::setStartDuration(service(), entry.number);
        break;
    case Kind::ServiceStopDuration:
        QServicePrivate::setStopDuration(service(), entry.number);
        break;
    case Kind::ServiceErrorString:
        QServicePrivate::setErrorString(service(), entry.text());
        break;
    case Kind::ServiceTaskCounts:
        QServicePrivate::setTaskCounts(service(), entry.value, int(entry.number));
        break;
    case Kind::ServiceHealth:
        QServicePrivate::setHealth(service(), QService::Health(entry.value), entry.text());
        break;
    case Kind::Applier:
        if (entry.applier)
            entry.applier(entry);
        break;
    case Kind::Call:
        if (entry.value && entry.extra && entry.extra->function)
            entry.extra->function();
        break;
    }
}

} // namespace QLifecycle::detail
