#pragma once

#include <QLifecycle/qservice.h>

#include <QtCore/QString>

#include <functional>
#include <vector>

namespace QLifecycle::detail {

// What the library shows the outside world (property changes, signals, wake-ups of awaiting
// code), queued while its bookkeeping is updated and applied afterwards, in order. A slot
// therefore always runs at a consistent point: the bookkeeping of the event it is told about
// is complete, and it may call anything, spin a nested event loop, or destroy a service
// (docs/lifecycle.md, "Re-entrancy"). One queue per thread; flush() is re-entrant: a nested
// flush (from a slot's nested event loop) goes on with the next entry.
class EmitQueue
{
public:
    enum class Kind : quint8 {
        ServiceState,
        ServiceStartDuration,
        ServiceStopDuration,
        ServiceErrorString,
        ServiceTaskCounts,
        ServiceHealth,
        Applier, // a property of another layer's object, set by `applier`
        Call,    // anything else: rare events (failures, cancellations, wake-ups)
    };
    // What is rare (a text, a call) lives apart, owned by the queue, so that an entry is
    // plain data, cheap to queue and to apply: one is queued per transition of each service.
    struct Extra {
        QString text;
        std::function<void()> function;
    };
    struct Entry {
        QObject *target = nullptr;
        void (*applier)(const Entry &entry) = nullptr;
        qint64 number = 0;
        double real = 0;
        int value = 0;
        Kind kind = Kind::Call;
        Extra *extra = nullptr; // owned by the queue until the entry is applied or dropped

        const QString &text() const;
    };

    static void serviceState(QService *service, QService::State state);
    static void serviceDuration(QService *service, bool start, qint64 ms);
    // Whether anything is queued on this thread and not yet applied.
    static bool isPending();
    // Whether anything is queued for `target` and not yet applied: a change to it that nothing
    // watches may then be applied at once (no foreign code runs), without overtaking it.
    static bool isPendingFor(const QObject *target);
    static void serviceErrorString(QService *service, const QString &text);
    static void serviceTaskCounts(QService *service, int total, int finished);
    // Health and its reason, applied together (docs/health.md).
    static void serviceHealth(QService *service, QService::Health health, const QString &reason);
    // Layers above this one queue their objects' changes with an applier of theirs.
    static void applier(QObject *target, void (*apply)(const Entry &), int value, double real,
                        const QString &text = {});
    // `target`: the object the call concerns, whose destruction drops it (may be nullptr).
    static void call(QObject *target, std::function<void()> function);

    // Applies everything queued on this thread, unless a Hold is active.
    static void flush();
    // Whether a Hold is active on this thread: code that would run foreign code (a scheduler
    // calling hooks) must wait until it is released.
    static bool isHeld();
    // An object is being destroyed: what is queued for it is dropped.
    static void forget(const QObject *target);

    // Defers flush() while bookkeeping that runs foreign code (a destructor) is in progress.
    class Hold
    {
    public:
        Hold();
        ~Hold();
        Hold(const Hold &) = delete;
        Hold &operator=(const Hold &) = delete;
    };

private:
    static void push(const Entry &entry);
    static void apply(const Entry &entry);
};

} // namespace QLifecycle::detail
