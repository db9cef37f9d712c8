#include "service/emitqueue.h"

#include "service/qservice_p.h"

namespace QLifecycle::detail {

namespace {
struct Queue {
    std::vector<EmitQueue::Entry> entries; // [head, size) still to apply
    size_t head = 0;
    int holds = 0;
};
thread_local Queue t_queue;
} // namespace

void EmitQueue::push(Entry &&entry)
{
    t_queue.entries.push_back(std::move(entry));
}

void EmitQueue::serviceState(QService *service, QService::State state)
{
    push({service, Kind::ServiceState, int(state), 0, 0, {}, {}});
}

void EmitQueue::serviceDuration(QService *service, bool start, qint64 ms)
{
    push({service,
          start ? Kind::ServiceStartDuration : Kind::ServiceStopDuration,
          0,
          ms,
          0,
          {},
          {}});
}

void EmitQueue::serviceErrorString(QService *service, const QString &text)
{
    push({service, Kind::ServiceErrorString, 0, 0, 0, text, {}});
}

void EmitQueue::serviceTaskCounts(QService *service, int total, int finished)
{
    push({service, Kind::ServiceTaskCounts, total, finished, 0, {}, {}});
}

void EmitQueue::applier(QObject *target, void (*apply)(const Entry &), int value, double real,
                        const QString &text)
{
    push({target, Kind::Applier, value, 0, real, text, {}, apply});
}

void EmitQueue::call(QObject *target, std::function<void()> function)
{
    push({target, Kind::Call, 1, 0, 0, {}, std::move(function)});
}

void EmitQueue::forget(const QObject *target)
{
    Queue &queue = t_queue;
    for (size_t i = queue.head; i < queue.entries.size(); ++i) {
        Entry &entry = queue.entries[i];
        if (entry.target == target) {
            entry.target = nullptr;
            entry.kind = Kind::Call;
            entry.value = 0; // a call whose object is gone: skipped
            entry.function = nullptr;
            entry.applier = nullptr;
        }
    }
}

EmitQueue::Hold::Hold()
{
    ++t_queue.holds;
}

EmitQueue::Hold::~Hold()
{
    --t_queue.holds;
}

bool EmitQueue::isHeld()
{
    return t_queue.holds > 0;
}

void EmitQueue::flush()
{
    Queue &queue = t_queue;
    if (queue.holds > 0)
        return;
    while (queue.head < queue.entries.size()) {
        Entry entry = std::move(queue.entries[queue.head++]);
        if (queue.head == queue.entries.size()) {
            queue.entries.clear();
            queue.head = 0;
        }
        apply(entry); // may queue and flush more: a nested flush takes the next entries
    }
}

void EmitQueue::apply(Entry &entry)
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
        QServicePrivate::setErrorString(service(), entry.text);
        break;
    case Kind::ServiceTaskCounts:
        QServicePrivate::setTaskCounts(service(), entry.value, int(entry.number));
        break;
    case Kind::Applier:
        if (entry.applier)
            entry.applier(entry);
        break;
    case Kind::Call:
        if (entry.value && entry.function)
            entry.function();
        break;
    }
}

} // namespace QLifecycle::detail
