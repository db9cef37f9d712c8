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
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << number(width) << "\" height=\""
        << number(height) << "\" viewBox=\"0 0 " << number(width) << ' ' << number(height)
        << "\" font-family=\"sans-serif\" font-size=\"" << number(font) << "\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"8\" y=\"18\" font-size=\"14\">QLifecycle: " << count << " services, "
        << formatTraceDuration(total) << "</text>\n";
    // The time axis: a line and a label per tick.
    const qint64 step = tickStep(total);
    out << "<g class=\"axis\" stroke=\"#ccc\">\n";
    for (qint64 tick = 0; tick <= total; tick += step) {
        out << "<line x1=\"" << number(x(tick)) << "\" y1=\"" << number(top - 6) << "\" x2=\""
            << number(x(tick)) << "\" y2=\"" << number(top + rowHeight * count) << "\"/>\n"
            << "<text x=\"" << number(x(tick)) << "\" y=\"" << number(top - 10)
            << "\" stroke=\"none\" fill=\"#444\" text-anchor=\"middle\">"
            << formatTraceDuration(tick) << "</text>\n";
    }
    out << "</g>\n";

    auto bar = [&](qint64 from, qint64 to, double y, const char *colour, const QString &tip) {
        const double left = x(from), w = std::max(x(to) - left, 1.0);
        out << "<rect x=\"" << number(left) << "\" y=\"" << number(y + 2) << "\" width=\""
            << number(w) << "\" height=\"" << number(rowHeight - 4) << "\" fill=\"" << colour
            << "\"><title>" << tip.toHtmlEscaped() << "</title></rect>\n";
    };
    for (int row = 0; row < count; ++row) {
        const int s = rows[row];
        const TraceService &entry = d.services[s];
        const double y = top + rowHeight * row;
        out << "<g class=\"service\">\n";
        if (row % 2 == 1)
            out << "<rect x=\"0\" y=\"" << number(y) << "\" width=\"" << number(width)
                << "\" height=\"" << number(rowHeight)
                << "\" fill=\"#000\" fill-opacity=\"0.04\"/>\n";
        out << "<text x=\"8\" y=\"" << number(y + rowHeight * 0.72) << "\">"
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
            if (event.kind != TraceEvent::Kind::Failure)
                continue;
            const double cx = x(event.ns), cy = y + rowHeight / 2, r = rowHeight * 0.3;
            out << "<path d=\"M" << number(cx - r) << ',' << number(cy - r) << " L"
                << number(cx + r) << ',' << number(cy + r) << " M" << number(cx - r) << ','
                << number(cy + r) << " L" << number(cx + r) << ',' << number(cy - r)
                << "\" stroke=\"" << FailedColour << "\" stroke-width=\"2\"><title>"
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
          std::pair{StopColour, "stopping"}, std::pair{FailedColour, "failed"}}) {
        out << "<rect x=\"" << number(lx) << "\" y=\"" << number(ly) << "\" width=\"14\" "
            << "height=\"10\" fill=\"" << colour << "\"/><text x=\"" << number(lx + 18) << "\" y=\""
            << number(ly + 9) << "\">" << label << "</text>\n";
        lx += 100;
    }
    out << "</svg>\n";
    out.flush();
    const QByteArray bytes = svg.toUtf8();
    return device->write(bytes) == bytes.size();
}

} // namespace QLifecycle
