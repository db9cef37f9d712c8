#pragma once

#include <QLifecycle/qservice.h>
#include <QLifecycle/servicemanager.h>
#include <QLifecycle/tracerecorder.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QPointer>
#include <QtCore/QSet>
#include <QtCore/QString>

namespace QLifecycle {

// One recorded moment of a service or of the manager (docs/observability.md).
struct TraceEvent {
    enum class Kind { State, Failure, RestartScheduled, RestartsExhausted, Health, Progress };
    Kind kind = Kind::State;
    qint64 seq = 0; // the order of the recording: exact even when two moments share a time
    qint64 ns = 0;  // since the recorder's first moment
    int value = 0;  // the state, the failure's phase, the health, a progress in per mille
    QString text;   // a failure's message, a restart's reason, which progress
    QString thread; // the thread the moment was recorded on
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

class TraceRecorderPrivate
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

    // Analysis (traceanalysis.cpp), over what was recorded.
    QList<TraceSpan> spans() const;
    // The chain of spans behind the last finished start (or stop), last span first.
    QList<int> criticalChain(const QList<TraceSpan> &spans, bool start) const;
    // When the manager last began the phase that `span` belongs to: the chain's time origin.
    qint64 phaseOrigin(const TraceSpan &span) const;
    qint64 endNs() const;

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
