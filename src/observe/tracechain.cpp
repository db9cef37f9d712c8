#include "observe/tracerecorder_p.h"

#include <QtCore/QIODevice>
#include <QtCore/QTextStream>

#include <algorithm>

namespace QLifecycle {

namespace {
// A chain as systemd-analyze critical-chain prints it: the last service first, each one
// indented under the service it released (docs/observability.md).
void printChain(QTextStream &out, const TraceRecorderPrivate &d, const QList<TraceSpan> &spans,
                bool start)
{
    const QList<int> chain = d.criticalChain(spans, start);
    out << (start ? "Start" : "Stop") << " critical chain";
    if (chain.isEmpty()) {
        out << ": no " << (start ? "start" : "stop") << " recorded\n";
        return;
    }
    const qint64 origin = d.phaseOrigin(spans[chain.first()]);
    out << " (@ when it began, + how long it took, from the manager's "
        << (start ? "Starting" : "Stopping") << "):\n";
    for (int depth = 0; depth < int(chain.size()); ++depth) {
        const TraceSpan &span = spans[chain[depth]];
        if (depth > 0)
            out << QString(qsizetype(2) * (depth - 1), u' ') << QStringLiteral("└─");
        out << d.services[span.service].name << " @" << formatTraceDuration(span.beginNs - origin)
            << " +" << formatTraceDuration(span.endNs - span.beginNs);
        if (span.result == QService::State::Failed)
            out << " (failed)";
        out << '\n';
    }
}
// Every stall (docs/observability.md, "Stalls"), in the order they happened.
void printStalls(QTextStream &out, const TraceRecorderPrivate &d)
{
    QList<std::pair<const TraceEvent *, int>> stalls;
    for (int s = 0; s < int(d.services.size()); ++s)
        for (const TraceEvent &event : d.services[s].events)
            if (event.kind == TraceEvent::Kind::Stall)
                stalls.append({&event, s});
    std::stable_sort(stalls.begin(), stalls.end(),
                     [](const auto &a, const auto &b) { return a.first->seq < b.first->seq; });
    out << "\nStalls (code that blocked the thread longer than the threshold):";
    if (stalls.isEmpty())
        out << " none\n";
    else
        out << '\n';
    for (const auto &[event, s] : stalls)
        out << QStringLiteral("%1").arg(formatTraceDuration(event->length), 10) << ' '
            << d.services[s].name << ' ' << event->text << " @"
            << formatTraceDuration(event->ns - event->length) << " (" << event->thread << ")\n";
}
} // namespace

namespace {
// The sum of the spans' durations along the critical chain of the last start (or stop).
qint64 chainDurationNs(const TraceRecorderPrivate &d, bool start)
{
    const QList<TraceSpan> spans = d.spans();
    qint64 total = 0;
    for (const int span : d.criticalChain(spans, start))
        total += spans[span].endNs - spans[span].beginNs;
    return total;
}
} // namespace

qint64 TraceRecorder::startCriticalPathNs() const
{
    return chainDurationNs(*TraceRecorderPrivate::get(this), true);
}

qint64 TraceRecorder::stopCriticalPathNs() const
{
    return chainDurationNs(*TraceRecorderPrivate::get(this), false);
}

bool writeChainText(const TraceRecorderPrivate &d, QIODevice *device)
{
    const QList<TraceSpan> spans = d.spans();
    QString text;
    QTextStream out(&text);
    printChain(out, d, spans, true);
    out << '\n';
    printChain(out, d, spans, false);
    // Blame: the last start of each service, longest first.
    QList<const TraceSpan *> last(d.services.size(), nullptr);
    for (const TraceSpan &span : spans)
        if (span.start && span.finished)
            last[span.service] = &span;
    QList<const TraceSpan *> blame;
    for (const TraceSpan *span : last)
        if (span)
            blame.append(span);
    std::stable_sort(blame.begin(), blame.end(), [](const TraceSpan *a, const TraceSpan *b) {
        return a->endNs - a->beginNs > b->endNs - b->beginNs;
    });
    out << "\nBlame (the last start of each service, longest first):\n";
    for (const TraceSpan *span : blame) {
        out << QStringLiteral("%1").arg(formatTraceDuration(span->endNs - span->beginNs), 10) << ' '
            << d.services[span->service].name;
        if (span->result == QService::State::Failed)
            out << " (failed)";
        out << '\n';
    }
    printStalls(out, d);
    out.flush();
    const QByteArray bytes = text.toUtf8();
    return device->write(bytes) == bytes.size();
}

} // namespace QLifecycle
