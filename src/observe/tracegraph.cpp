#include "observe/tracerecorder_p.h"

#include <QtCore/QIODevice>
#include <QtCore/QTextStream>

namespace QLifecycle {

namespace {
// The fill of a node by the state its service was last seen in (docs/observability.md).
const char *fillOf(QService::State state)
{
    switch (state) {
    case QService::State::Running:
        return "#c5e3b0";
    case QService::State::Failed:
        return "#f2a7a5";
    case QService::State::Starting:
    case QService::State::Stopping:
        return "#f5d58a";
    case QService::State::Stopped:
        break;
    }
    return "#e0e0e0";
}

QString quoted(const QString &text)
{
    QString escaped = text;
    escaped.replace(u'\\', QStringLiteral(R"(\\)")).replace(u'"', QStringLiteral(R"(\")"));
    return u'"' + escaped + u'"';
}
} // namespace

bool writeGraphDot(const TraceRecorderPrivate &d, QIODevice *device)
{
    const QList<TraceSpan> spans = d.spans();
    QString dot;
    QTextStream out(&dot);
    out << "digraph QLifecycle {\n"
        << "    rankdir=LR;\n"
        << R"(    node [shape=box, style="rounded,filled", fontname="sans-serif"];)" << '\n'
        << R"(    edge [fontname="sans-serif"];)" << '\n';
    for (int s = 0; s < int(d.services.size()); ++s) {
        const TraceService &entry = d.services[s];
        QService::State state = QService::State::Stopped;
        for (const TraceEvent &event : entry.events)
            if (event.kind == TraceEvent::Kind::State)
                state = QService::State(event.value);
        // The last start and stop of the service, in the label.
        QString timings;
        for (const bool start : {true, false}) {
            for (auto span = spans.crbegin(); span != spans.crend(); ++span)
                if (span->service == s && span->start == start) {
                    timings += QStringLiteral(R"(\n%1 @%2 +%3)")
                                   .arg(start ? QStringLiteral("start") : QStringLiteral("stop"),
                                        formatTraceDuration(span->beginNs),
                                        formatTraceDuration(span->endNs - span->beginNs));
                    break;
                }
        }
        QString name = entry.name;
        name.replace(u'\\', QStringLiteral(R"(\\)")).replace(u'"', QStringLiteral(R"(\")"));
        out << "    n" << s << R"( [label=")" << name << R"(\n)" << stateName(state) << timings
            << R"(", fillcolor=")" << fillOf(state) << R"(", tooltip=)" << quoted(entry.name)
            << "];\n";
    }
    // An edge from each service to what it declared: required solid, optional dashed.
    for (int s = 0; s < int(d.services.size()); ++s) {
        const TraceService &entry = d.services[s];
        for (int i = 0; i < int(entry.dependencies.size()); ++i)
            out << "    n" << s << " -> n" << entry.dependencies[i]
                << (entry.optional.value(i) ? R"( [style=dashed, label="optional"])" : "") << ";\n";
    }
    out << "}\n";
    out.flush();
    const QByteArray bytes = dot.toUtf8();
    return device->write(bytes) == bytes.size();
}

} // namespace QLifecycle
