#include "observe/tracerecorder_p.h"

#include <QtCore/QMetaEnum>

#include <algorithm>
#include <initializer_list>
#include <limits>

namespace QLifecycle {

using State = QService::State;

QString stateName(State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(int(state)));
}

QString formatTraceDuration(qint64 ns)
{
    if (ns >= 1'000'000'000)
        return QString::number(double(ns) / 1e9, 'f', 3) + u's';
    if (ns >= 1'000'000) {
        QString text = QString::number(double(ns) / 1e6, 'f', 1);
        if (text.endsWith(QStringLiteral(".0")))
            text.chop(2);
        return text + QStringLiteral("ms");
    }
    if (ns <= 0)
        return QStringLiteral("0");
    return QString::number((ns + 500) / 1000) + QStringLiteral("us");
}

qint64 TraceRecorderPrivate::endNs() const
{
    qint64 end = 0;
    for (const TraceService &entry : services)
        if (!entry.events.isEmpty())
            end = std::max(end, entry.events.constLast().ns);
    if (!managerEvents.isEmpty())
        end = std::max(end, managerEvents.constLast().ns);
    return end;
}

namespace {
// The seq of the last transition of `service` to one of `states` before `before`; 0 if none.
qint64 lastBefore(const TraceService &service, qint64 before, std::initializer_list<State> states)
{
    qint64 last = 0;
    for (const TraceEvent &event : service.events)
        if (event.kind == TraceEvent::Kind::State && event.seq < before &&
            std::find(states.begin(), states.end(), State(event.value)) != states.end())
            last = event.seq;
    return last;
}

// Of the finished spans of `services` (a start that reached Running, or a stop), the one that
// ended last in (after, before); -1 if none.
int lastEnded(const QList<TraceSpan> &spans, const QList<QList<int>> &spansOf,
              const QList<int> &services, bool start, qint64 after, qint64 before)
{
    int found = -1;
    for (int s : services)
        for (int other : spansOf[s]) {
            const TraceSpan &candidate = spans[other];
            const bool fits = candidate.start == start && candidate.finished &&
                              (!start || candidate.result == State::Running) &&
                              candidate.endSeq > after && candidate.endSeq < before;
            if (fits && (found < 0 || candidate.endSeq > spans[found].endSeq))
                found = other;
        }
    return found;
}
} // namespace

// The spans of every service from its transitions (docs/observability.md): Starting opens a
// start, Stopping a stop; the next transition closes them. Then what released each one.
QList<TraceSpan> TraceRecorderPrivate::spans() const
{
    QList<TraceSpan> spans;
    QList<QList<int>> spansOf(services.size());
    for (int s = 0; s < int(services.size()); ++s) {
        int open = -1;
        for (const TraceEvent &event : services[s].events) {
            if (event.kind != TraceEvent::Kind::State)
                continue;
            const State state = State(event.value);
            if (open >= 0) {
                TraceSpan &span = spans[open];
                span.endNs = event.ns;
                span.endSeq = event.seq;
                span.finished = true;
                span.result = state;
                open = -1;
            }
            if (state == State::Starting || state == State::Stopping) {
                TraceSpan span;
                span.service = s;
                span.start = state == State::Starting;
                span.beginNs = span.endNs = event.ns;
                span.beginSeq = span.endSeq = event.seq;
                span.thread = event.thread;
                open = int(spans.size());
                spansOf[s].append(open);
                spans.append(span);
            }
        }
        if (open >= 0) {
            spans[open].endNs = endNs();
            spans[open].endSeq = seq + 1;
        }
    }
    QList<QList<int>> dependents(services.size());
    for (int s = 0; s < int(services.size()); ++s)
        for (int dependency : services[s].waitsFor)
            if (!dependents[dependency].contains(s))
                dependents[dependency].append(s);
    for (TraceSpan &span : spans) {
        const TraceService &service = services[span.service];
        if (span.start) // the last dependency to run since this service last settled
            span.releasedBy = lastEnded(
                spans, spansOf, service.waitsFor, true,
                lastBefore(service, span.beginSeq, {State::Stopped, State::Failed}), span.beginSeq);
        else // the last dependent to stop since this service last became Running
            span.releasedBy =
                lastEnded(spans, spansOf, dependents[span.service], false,
                          lastBefore(service, span.beginSeq, {State::Running}), span.beginSeq);
    }
    return spans;
}

QList<int> TraceRecorderPrivate::criticalChain(const QList<TraceSpan> &spans, bool start) const
{
    // The manager's last start (or stop): the spans that began while it was Starting (or
    // Stopping), not a restart once it runs (docs/observability.md).
    const State phase = start ? State::Starting : State::Stopping;
    qint64 from = 0, to = std::numeric_limits<qint64>::max();
    bool inPhase = false;
    for (const TraceEvent &event : managerEvents) {
        if (event.kind != TraceEvent::Kind::State)
            continue;
        if (State(event.value) == phase) {
            from = event.seq;
            to = std::numeric_limits<qint64>::max();
            inPhase = true;
        } else if (inPhase) {
            to = event.seq;
            inPhase = false;
        }
    }
    int last = -1;
    for (int i = 0; i < int(spans.size()); ++i) {
        const TraceSpan &span = spans[i];
        const bool done = start ? span.result == State::Running : span.result != State::Running;
        if (span.start == start && span.finished && done && span.beginSeq >= from &&
            span.beginSeq < to && (last < 0 || span.endSeq > spans[last].endSeq))
            last = i;
    }
    QList<int> chain;
    for (int at = last; at >= 0 && chain.size() <= spans.size(); at = spans[at].releasedBy)
        chain.append(at);
    return chain;
}

qint64 TraceRecorderPrivate::phaseOrigin(const TraceSpan &span) const
{
    const State phase = span.start ? State::Starting : State::Stopping;
    qint64 origin = 0;
    for (const TraceEvent &event : managerEvents)
        if (event.kind == TraceEvent::Kind::State && State(event.value) == phase &&
            event.seq <= span.beginSeq)
            origin = event.ns;
    return origin;
}

} // namespace QLifecycle
