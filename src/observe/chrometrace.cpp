#include "observe/tracerecorder_p.h"

#include <QtCore/QHash>
#include <QtCore/QIODevice>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QMetaEnum>

namespace QLifecycle {

namespace {
constexpr int Pid = 1;

double micros(qint64 ns)
{
    return double(ns) / 1000.0;
}

// An event with the fields every viewer needs (docs/observability.md).
QJsonObject event(const QString &name, const char *phase, qint64 ns, int tid)
{
    return QJsonObject{{QStringLiteral("name"), name},
                       {QStringLiteral("ph"), QString::fromLatin1(phase)},
                       {QStringLiteral("ts"), micros(ns)},
                       {QStringLiteral("pid"), Pid},
                       {QStringLiteral("tid"), tid}};
}

QJsonObject metadata(const QString &name, int tid, const QString &value)
{
    QJsonObject object = event(name, "M", 0, tid);
    object.insert(QStringLiteral("args"), QJsonObject{{QStringLiteral("name"), value}});
    return object;
}

template<typename Enum>
QString keyOf(int value)
{
    return QString::fromLatin1(QMetaEnum::fromType<Enum>().valueToKey(value));
}
QJsonObject slice(const QString &name, const char *category, qint64 from, qint64 to, int tid,
                  const QJsonObject &args)
{
    QJsonObject object = event(name, "X", from, tid);
    object.insert(QStringLiteral("cat"), QString::fromLatin1(category));
    object.insert(QStringLiteral("dur"), micros(qMax<qint64>(to - from, 0)));
    object.insert(QStringLiteral("args"), args);
    return object;
}

// A service's hooks (slices inside its start and stop), its tasks (async slices: they overlap)
// and its stalls (slices where they blocked the thread).
void appendSteps(QJsonArray &events, const TraceRecorderPrivate &d, int s)
{
    const int tid = s + 1;
    qint64 calledAt[2] = {-1, -1}; // stop(), start()
    QHash<int, QString> taskNames;
    for (const TraceEvent &moment : d.services[s].events) {
        switch (moment.kind) {
        case TraceEvent::Kind::HookCalled:
            calledAt[moment.value] = moment.ns;
            break;
        case TraceEvent::Kind::HookEnded:
            if (calledAt[moment.value] >= 0) {
                events.append(
                    slice(moment.value ? QStringLiteral("start()") : QStringLiteral("stop()"),
                          "hook", calledAt[moment.value], moment.ns, tid,
                          {{QStringLiteral("result"),
                            moment.text.isEmpty() ? QStringLiteral("returned") : moment.text}}));
                calledAt[moment.value] = -1;
            }
            break;
        case TraceEvent::Kind::TaskStarted:
        case TraceEvent::Kind::TaskEnded: {
            const bool begins = moment.kind == TraceEvent::Kind::TaskStarted;
            if (begins)
                taskNames.insert(moment.value, moment.text);
            QJsonObject task =
                event(taskNames.value(moment.value), begins ? "b" : "e", moment.ns, tid);
            task.insert(QStringLiteral("cat"), QStringLiteral("task"));
            task.insert(QStringLiteral("id"), QStringLiteral("%1.%2").arg(s).arg(moment.value));
            if (!begins)
                task.insert(QStringLiteral("args"),
                            QJsonObject{{QStringLiteral("result"), moment.text}});
            events.append(task);
            break;
        }
        case TraceEvent::Kind::Stall:
            events.append(slice(
                QStringLiteral("stall: ") + moment.text, "stall", moment.ns - moment.length,
                moment.ns, tid,
                {{QStringLiteral("ms"), moment.value}, {QStringLiteral("step"), moment.text}}));
            break;
        default:
            break;
        }
    }
    for (int hook = 0; hook < 2; ++hook) { // still under way when the recording ended
        if (calledAt[hook] >= 0)
            events.append(slice(hook ? QStringLiteral("start()") : QStringLiteral("stop()"), "hook",
                                calledAt[hook], d.endNs(), tid,
                                {{QStringLiteral("result"), QStringLiteral("unfinished")}}));
    }
}
} // namespace

bool writeChromeTrace(const TraceRecorderPrivate &d, QIODevice *device)
{
    QJsonArray events;
    events.append(metadata(QStringLiteral("process_name"), 0, QStringLiteral("QLifecycle")));
    events.append(metadata(QStringLiteral("thread_name"), 0, QStringLiteral("manager")));
    // A track per service (tid = its index + 1), in the order the run met them.
    for (int s = 0; s < int(d.services.size()); ++s) {
        events.append(metadata(QStringLiteral("thread_name"), s + 1, d.services[s].name));
        QJsonObject sort = event(QStringLiteral("thread_sort_index"), "M", 0, s + 1);
        sort.insert(QStringLiteral("args"), QJsonObject{{QStringLiteral("sort_index"), s + 1}});
        events.append(sort);
    }
    const QList<TraceSpan> spans = d.spans();
    int flow = 0;
    for (const TraceSpan &span : spans) {
        QJsonObject slice = event(span.start ? QStringLiteral("start") : QStringLiteral("stop"),
                                  "X", span.beginNs, span.service + 1);
        slice.insert(QStringLiteral("cat"), QStringLiteral("lifecycle"));
        slice.insert(QStringLiteral("dur"), micros(span.endNs - span.beginNs));
        QJsonObject args{{QStringLiteral("service"), d.services[span.service].name},
                         {QStringLiteral("thread"), span.thread},
                         {QStringLiteral("result"),
                          span.finished ? stateName(span.result) : QStringLiteral("unfinished")}};
        if (span.releasedBy >= 0)
            args.insert(QStringLiteral("releasedBy"),
                        d.services[spans[span.releasedBy].service].name);
        slice.insert(QStringLiteral("args"), args);
        events.append(slice);
        if (span.releasedBy < 0)
            continue;
        // An arrow from the slice that released this one; both ends bind to their slices.
        const TraceSpan &from = spans[span.releasedBy];
        ++flow;
        for (const auto &[phase, end] : {std::pair{"s", &from}, std::pair{"f", &span}}) {
            QJsonObject arrow =
                event(QStringLiteral("released"), phase, end->beginNs, end->service + 1);
            arrow.insert(QStringLiteral("cat"), QStringLiteral("lifecycle"));
            arrow.insert(QStringLiteral("id"), flow);
            arrow.insert(QStringLiteral("bp"), QStringLiteral("e"));
            events.append(arrow);
        }
    }
    for (int s = 0; s < int(d.services.size()); ++s) {
        for (const TraceEvent &moment : d.services[s].events) {
            QJsonObject instant;
            QJsonObject args;
            switch (moment.kind) {
            case TraceEvent::Kind::State:
            case TraceEvent::Kind::Progress:
            case TraceEvent::Kind::HookCalled:
            case TraceEvent::Kind::HookEnded:
            case TraceEvent::Kind::TaskStarted:
            case TraceEvent::Kind::TaskEnded:
            case TraceEvent::Kind::Stall:
                continue; // below
            case TraceEvent::Kind::Failure:
                instant = event(QStringLiteral("failure"), "i", moment.ns, s + 1);
                args = {{QStringLiteral("phase"), keyOf<Phase>(moment.value)},
                        {QStringLiteral("message"), moment.text}};
                break;
            case TraceEvent::Kind::RestartScheduled:
                instant = event(QStringLiteral("restart scheduled"), "i", moment.ns, s + 1);
                args = {{QStringLiteral("delayMs"), moment.value}};
                break;
            case TraceEvent::Kind::RestartsExhausted:
                instant = event(QStringLiteral("restarts exhausted"), "i", moment.ns, s + 1);
                args = {{QStringLiteral("reason"), moment.text}};
                break;
            case TraceEvent::Kind::Health:
                instant = event(QStringLiteral("health"), "i", moment.ns, s + 1);
                args = {{QStringLiteral("health"), keyOf<QService::Health>(moment.value)}};
                break;
            }
            instant.insert(QStringLiteral("s"), QStringLiteral("t"));
            instant.insert(QStringLiteral("args"), args);
            events.append(instant);
        }
    }
    for (int s = 0; s < int(d.services.size()); ++s)
        appendSteps(events, d, s);
    for (const TraceEvent &moment : d.managerEvents) {
        if (moment.kind != TraceEvent::Kind::Progress)
            continue;
        QJsonObject counter = event(QStringLiteral("progress"), "C", moment.ns, 0);
        counter.insert(QStringLiteral("args"),
                       QJsonObject{{moment.text, double(moment.value) / 1000.0}});
        events.append(counter);
    }
    // One event a line: small for large graphs, and still readable.
    QByteArray json = R"({"displayTimeUnit": "ms", "traceEvents": [)"
                      "\n";
    for (qsizetype i = 0; i < events.size(); ++i) {
        json += QJsonDocument(events[i].toObject()).toJson(QJsonDocument::Compact);
        json += i + 1 < events.size() ? ",\n" : "\n";
    }
    json += "]}\n";
    return device->write(json) == json.size();
}

} // namespace QLifecycle
