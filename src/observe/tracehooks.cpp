#include "observe/tracerecorder_p.h"

#include <QtCore/QMetaObject>
#include <QtCore/QThread>

namespace QLifecycle {

// What the library tells the recorder from inside (docs/observability.md): each hook's call
// and end, each background task, each stall. Told on the service's thread: recorded at once
// on the recorder's, else from its event loop, with the time it was told.

void TraceRecorderPrivate::traced(QService *service, TraceEvent event)
{
    if (QThread::currentThread() == q->thread()) {
        record(serviceIndex(service), std::move(event));
        return;
    }
    event.thread = threadName();
    QMetaObject::invokeMethod(
        q,
        [this, service = QPointer<QService>(service), event = std::move(event)]() mutable {
            if (!service)
                return;
            const QString thread = event.thread;
            const int index = serviceIndex(service);
            record(index, std::move(event));
            services[index].events.last().thread = thread;
        },
        Qt::QueuedConnection);
}

void TraceRecorderPrivate::hookCalled(QService *service, bool starting)
{
    traced(service, {TraceEvent::Kind::HookCalled, 0, 0, starting ? 1 : 0, {}, {}});
}

void TraceRecorderPrivate::hookEnded(QService *service, bool starting, bool failed)
{
    traced(service, {TraceEvent::Kind::HookEnded,
                     0,
                     0,
                     starting ? 1 : 0,
                     failed ? QStringLiteral("failed") : QString(),
                     {}});
}

void TraceRecorderPrivate::taskStarted(QService *service, quint64 id, const QString &name)
{
    traced(service, {TraceEvent::Kind::TaskStarted, 0, 0, int(id), name, {}});
}

void TraceRecorderPrivate::taskEnded(QService *service, quint64 id, int outcome)
{
    static const char *const outcomes[] = {"finished", "cancelled", "failed"};
    traced(service, {TraceEvent::Kind::TaskEnded,
                     0,
                     0,
                     int(id),
                     QString::fromLatin1(outcomes[qBound(0, outcome, 2)]),
                     {}});
}

void TraceRecorderPrivate::stalled(QService *service, const QString &what, qint64 ns)
{
    TraceEvent event{TraceEvent::Kind::Stall, 0, 0, int(ns / 1'000'000), what, {}};
    event.length = ns;
    traced(service, std::move(event));
}

} // namespace QLifecycle
