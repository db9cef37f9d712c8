#pragma once

#include <QLifecycle/qservice.h>
#include <QLifecycle/servicemanager.h>
#include <QLifecycle/tracerecorder.h>

#include "service/tracer.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QPointer>
#include <QtCore/QSet>
#include <QtCore/QString>

namespace QLifecycle {

// One recorded moment of a service or of the manager (docs/observability.md).
struct TraceEvent {
    enum class Kind {
        State,
        Failure,
        RestartScheduled,
        RestartsExhausted,
        Health,
        Progress,
        HookCalled,  // value: 1 for start(), 0 for stop()
        HookEnded,   // value: the same; text: "failed" when it threw
        TaskStarted, // value: the task's number in its service's run; text: its name
        TaskEnded,   // value: the same; text: "finished", "cancelled" or "failed"
        Stall,       // value: its length in ms; length: in ns; text: the hook or task
    };
    Kind kind = Kind::State;
    qint64 seq = 0;    // the order of the recording: exact even when two moments share a time
    qint64 ns = 0;     // since the recorder's first moment
    int value = 0;     // the state, the failure's phase, the health, a progress in per mille
    QString text;      // a failure's message, a restart's reason, which progress
    QString thread;    // the thread the moment was recorded on
    qint64 length = 0; // a stall's length in ns: it began that long before `ns`
};

// A service of the recorded runs, its declared dependencies (indexes of services) and moments.
struct TraceService {
    QString name;
    QPointer<QService> service;
    QList<int> dependencies;
    QList<bool> optional; // per dependency: declared in an optional() stage
    // The services it waits for before it starts, in the run's graph: its declared dependencies
    // and those of the stages before its stage in a dependent's list (through barriers).
    QList<int> waitsFor;
    QList<TraceEvent> events;
};

// A start or a stop of one service, with what released it (docs/observability.md).
struct TraceSpan {
    int service = -1;
    bool start = true;
    qint64 beginNs = 0, endNs = 0, beginSeq = 0, endSeq = 0;
    bool finished = false;                             // false: still under way at the end
    QService::State result = QService::State::Stopped; // the state the span ended in
    QString thread;
    int releasedBy = -1; // the span (of a dependency for a start, a dependent for a stop)
};

// The recorder is also told, from inside the library, what no public signal tells: hooks,
// tasks and stalls (tracehooks.cpp).
class TraceRecorderPrivate : public detail::Tracer
{
public:
    static TraceRecorderPrivate *get(TraceRecorder *recorder) { return recorder->d_func(); }
    static const TraceRecorderPrivate *get(const TraceRecorder *recorder)
    {
        return recorder->d_func();
    }

    // Recording.
    qint64 now();
    static QString threadName();
    int serviceIndex(QService *service);
    void record(int service, TraceEvent event);
    void recordManager(TraceEvent event);
    void readRun(TraceRecorder *q);
    // On a service's thread, which may not be the recorder's: recorded now or from its loop.
    void traced(QService *service, TraceEvent event);
    void hookCalled(QService *service, bool starting) override;
    void hookEnded(QService *service, bool starting, bool failed) override;
    void taskStarted(QService *service, quint64 id, const QString &name) override;
    void taskEnded(QService *service, quint64 id, int outcome) override;
    void stalled(QService *service, const QString &what, qint64 ns) override;

    // Analysis (traceanalysis.cpp), over what was recorded.
    QList<TraceSpan> spans() const;
    // The chain of spans behind the last finished start (or stop), last span first.
    QList<int> criticalChain(const QList<TraceSpan> &spans, bool start) const;
    // When the manager last began the phase that `span` belongs to: the chain's time origin.
    qint64 phaseOrigin(const TraceSpan &span) const;
    qint64 endNs() const;

    TraceRecorder *q = nullptr;
    QPointer<ServiceManager> manager;
    QList<QMetaObject::Connection> connections;
    QList<TraceService> services;
    QHash<const QService *, int> indexOf;
    QSet<const QService *> watched;  // connected while attached
    QList<TraceEvent> managerEvents; // its states and progress
    qint64 seq = 0;
    bool started = false; // the origin below is set
    QElapsedTimer timer;
    qint64 virtualOrigin = 0;
};

// The exports (docs/observability.md), one file each.
bool writeChromeTrace(const TraceRecorderPrivate &d, QIODevice *device);
bool writeTimelineSvg(const TraceRecorderPrivate &d, QIODevice *device);
bool writeGraphDot(const TraceRecorderPrivate &d, QIODevice *device);
bool writeChainText(const TraceRecorderPrivate &d, QIODevice *device);
// "1.234s", "12ms", "1.5ms", "250us", as systemd-analyze prints durations.
QString formatTraceDuration(qint64 ns);
QString stateName(QService::State state);

} // namespace QLifecycle
