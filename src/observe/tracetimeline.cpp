#include "observe/tracerecorder_p.h"

#include <QtCore/QIODevice>
#include <QtCore/QTextStream>

#include <algorithm>
#include <cmath>
#include <limits>

namespace QLifecycle {

namespace {
// The colours of the timeline (docs/observability.md).
constexpr auto StartColour = "#e8a33d";
constexpr auto RunningColour = "#c5e3b0";
constexpr auto StopColour = "#6b9be0";
constexpr auto FailedColour = "#d9534f";
constexpr auto StallColour = "#7a1f1f";

// A tick step of 1, 2 or 5 times a power of ten, for about ten ticks over `spanNs`.
qint64 tickStep(qint64 spanNs)
{
    const double raw = std::max(double(spanNs) / 10.0, 1000.0);
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double factor : {1.0, 2.0, 5.0})
        if (factor * magnitude >= raw)
            return qint64(factor * magnitude);
    return qint64(10.0 * magnitude);
}

QString number(double value)
{
    return QString::number(value, 'f', 1);
}
} // namespace

bool writeTimelineSvg(const TraceRecorderPrivate &d, QIODevice *device)
{
    const QList<TraceSpan> spans = d.spans();
    const int count = int(d.services.size());
    // Rows by first start, like systemd-analyze plot; never started ones last.
    QList<int> rows(count);
    QList<qint64> firstStart(count, std::numeric_limits<qint64>::max());
    for (const TraceSpan &span : spans)
        if (span.start)
            firstStart[span.service] = std::min(firstStart[span.service], span.beginSeq);
    for (int s = 0; s < count; ++s)
        rows[s] = s;
    std::stable_sort(rows.begin(), rows.end(),
                     [&](int a, int b) { return firstStart[a] < firstStart[b]; });
    QList<int> rowOf(count);
    for (int row = 0; row < count; ++row)
        rowOf[rows[row]] = row;

    // Smaller rows for many services: 6 stay large, 300 still fit a screen's scroll.
    const double rowHeight = count <= 30 ? 22.0 : (count <= 100 ? 16.0 : 12.0);
    const double font = rowHeight * 0.6;
    qsizetype longest = 8;
    for (const TraceService &entry : d.services)
        longest = std::max(longest, entry.name.size());
    const double labelWidth = double(longest) * font * 0.62 + 16.0;
    const double plotWidth = 1000.0, top = 48.0, bottom = 40.0;
    const qint64 total = std::max<qint64>(d.endNs(), 1'000'000);
    const double width = labelWidth + plotWidth + 80.0;
    const double height = top + rowHeight * count + bottom;
    auto x = [&](qint64 ns) { return labelWidth + plotWidth * double(ns) / double(total); };

    QString svg;
    QTextStream out(&svg);
    out << R"(<?xml version="1.0" encoding="UTF-8"?>)" << '\n'
        << R"(<svg xmlns="http://www.w3.org/2000/svg" width=")" << number(width) << R"(" height=")"
        << number(height) << R"(" viewBox="0 0 )" << number(width) << ' ' << number(height)
        << R"(" font-family="sans-serif" font-size=")" << number(font) << R"(">)" << '\n'
        << R"(<rect width="100%" height="100%" fill="white"/>)" << '\n'
        << R"(<text x="8" y="18" font-size="14">QLifecycle: )" << count << " services, "
        << formatTraceDuration(total) << "</text>\n";
    // The time axis: a line and a label per tick.
    const qint64 step = tickStep(total);
    out << R"(<g class="axis" stroke="#ccc">)" << '\n';
    for (qint64 tick = 0; tick <= total; tick += step) {
        out << R"(<line x1=")" << number(x(tick)) << R"(" y1=")" << number(top - 6) << R"(" x2=")"
            << number(x(tick)) << R"(" y2=")" << number(top + rowHeight * count) << R"("/>)" << '\n'
            << R"(<text x=")" << number(x(tick)) << R"(" y=")" << number(top - 10)
            << R"(" stroke="none" fill="#444" text-anchor="middle">)" << formatTraceDuration(tick)
            << "</text>\n";
    }
    out << "</g>\n";

    auto bar = [&](qint64 from, qint64 to, double y, const char *colour, const QString &tip) {
        const double left = x(from), w = std::max(x(to) - left, 1.0);
        out << R"(<rect x=")" << number(left) << R"(" y=")" << number(y + 2) << R"(" width=")"
            << number(w) << R"(" height=")" << number(rowHeight - 4) << R"(" fill=")" << colour
            << R"("><title>)" << tip.toHtmlEscaped() << "</title></rect>\n";
    };
    for (int row = 0; row < count; ++row) {
        const int s = rows[row];
        const TraceService &entry = d.services[s];
        const double y = top + rowHeight * row;
        out << R"(<g class="service">)" << '\n';
        if (row % 2 == 1)
            out << R"(<rect x="0" y=")" << number(y) << R"(" width=")" << number(width)
                << R"(" height=")" << number(rowHeight) << R"(" fill="#000" fill-opacity="0.04"/>)"
                << '\n';
        out << R"(<text x="8" y=")" << number(y + rowHeight * 0.72) << R"(">)"
            << entry.name.toHtmlEscaped() << "</text>\n";
        for (int i = 0; i < int(spans.size()); ++i) {
            const TraceSpan &span = spans[i];
            if (span.service != s)
                continue;
            const bool failed = span.result == QService::State::Failed;
            const QString tip =
                QStringLiteral("%1 %2 @%3 +%4 (%5)")
                    .arg(entry.name, span.start ? QStringLiteral("start") : QStringLiteral("stop"),
                         formatTraceDuration(span.beginNs),
                         formatTraceDuration(span.endNs - span.beginNs),
                         span.finished ? stateName(span.result) : QStringLiteral("unfinished"));
            bar(span.beginNs, span.endNs, y,
                failed ? FailedColour : (span.start ? StartColour : StopColour), tip);
            if (span.start && span.finished && span.result == QService::State::Running) {
                // Running until the next stop begins, or until the end of the recording.
                qint64 until = d.endNs();
                for (int j = i + 1; j < int(spans.size()); ++j)
                    if (spans[j].service == s) {
                        until = spans[j].beginNs;
                        break;
                    }
                bar(span.endNs, until, y, RunningColour, entry.name + QStringLiteral(" running"));
            }
        }
        for (const TraceEvent &event : entry.events) {
            if (event.kind == TraceEvent::Kind::Stall) {
                // Where its code blocked the thread: a dark band along the bottom of the row.
                const double left = x(event.ns - event.length);
                out << R"(<rect x=")" << number(left) << R"(" y=")" << number(y + rowHeight * 0.6)
                    << R"(" width=")" << number(std::max(x(event.ns) - left, 2.0))
                    << R"(" height=")" << number(rowHeight * 0.3) << R"(" fill=")" << StallColour
                    << R"("><title>)"
                    << QStringLiteral("%1: %2 blocked the thread for %3")
                           .arg(entry.name, event.text, formatTraceDuration(event.length))
                           .toHtmlEscaped()
                    << "</title></rect>\n";
                continue;
            }
            if (event.kind != TraceEvent::Kind::Failure)
                continue;
            const double cx = x(event.ns), cy = y + rowHeight / 2, r = rowHeight * 0.3;
            out << R"(<path d="M)" << number(cx - r) << ',' << number(cy - r) << " L"
                << number(cx + r) << ',' << number(cy + r) << " M" << number(cx - r) << ','
                << number(cy + r) << " L" << number(cx + r) << ',' << number(cy - r)
                << R"(" stroke=")" << FailedColour << R"(" stroke-width="2"><title>)"
                << QString(entry.name + QStringLiteral(" failed: ") + event.text).toHtmlEscaped()
                << "</title></path>\n";
        }
        out << "</g>\n";
    }
    // The legend.
    double lx = 8;
    const double ly = top + rowHeight * count + 16;
    for (const auto &[colour, label] :
         {std::pair{StartColour, "starting"}, std::pair{RunningColour, "running"},
          std::pair{StopColour, "stopping"}, std::pair{FailedColour, "failed"},
          std::pair{StallColour, "stall"}}) {
        out << R"(<rect x=")" << number(lx) << R"(" y=")" << number(ly) << R"(" width="14" )"
            << R"(height="10" fill=")" << colour << R"("/><text x=")" << number(lx + 18)
            << R"(" y=")" << number(ly + 9) << R"(">)" << label << "</text>\n";
        lx += 100;
    }
    out << "</svg>\n";
    out.flush();
    const QByteArray bytes = svg.toUtf8();
    return device->write(bytes) == bytes.size();
}

} // namespace QLifecycle
