#include "snippetcheck.h"

#include <QtCore/QDir>
#include <QtCore/QDirIterator>
#include <QtCore/QFile>
#include <QtCore/QRegularExpression>

#include <algorithm>

namespace SnippetCheck {

namespace {

const QRegularExpression openMarker(QStringLiteral(R"(\[snippet:([A-Za-z0-9_.-]+)\])"));
const QRegularExpression closeMarker(QStringLiteral(R"(\[/snippet:([A-Za-z0-9_.-]+)\])"));
const QRegularExpression
    markdownMarker(QStringLiteral(R"(^\s*<!--\s*snippet:\s*([A-Za-z0-9_.-]+)\s*-->\s*$)"));
const QRegularExpression fence(QStringLiteral(R"(^(\s*)(```+|~~~+)\s*([A-Za-z0-9+_-]*)\s*$)"));

QStringList readLines(const QString &file, bool *ok)
{
    QFile f(file);
    *ok = f.open(QIODevice::ReadOnly | QIODevice::Text);
    if (!*ok)
        return {};
    QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    for (QString &line : lines) {
        qsizetype end = line.size();
        while (end > 0 && line.at(end - 1).isSpace())
            --end;
        line.truncate(end);
    }
    return lines;
}

int indentOf(const QString &line)
{
    int n = 0;
    while (n < line.size() && line.at(n) == QLatin1Char(' '))
        ++n;
    return n;
}

// Without leading and trailing blank lines, and without the common indentation.
QStringList normalized(QStringList lines)
{
    while (!lines.isEmpty() && lines.first().isEmpty())
        lines.removeFirst();
    while (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    int common = INT_MAX;
    for (const QString &line : std::as_const(lines))
        if (!line.isEmpty())
            common = std::min(common, indentOf(line));
    if (common == INT_MAX)
        return lines;
    for (QString &line : lines)
        line = line.mid(common);
    return lines;
}

QString relative(const QString &file)
{
    return QDir(QStringLiteral(QLIFECYCLE_SOURCE_DIR)).relativeFilePath(file);
}

} // namespace

QHash<QString, Snippet> collectSnippets(const QStringList &files, QStringList *errors)
{
    QHash<QString, Snippet> snippets;
    for (const QString &file : files) {
        bool ok = false;
        const QStringList lines = readLines(file, &ok);
        if (!ok) {
            errors->append(relative(file) + QStringLiteral(": cannot be read"));
            continue;
        }
        QHash<QString, Snippet> open; // by name
        for (int i = 0; i < lines.size(); ++i) {
            const QString &line = lines.at(i);
            const QRegularExpressionMatch start = openMarker.match(line);
            const QRegularExpressionMatch end = closeMarker.match(line);
            if (start.hasMatch()) {
                const QString name = start.captured(1);
                if (open.contains(name) || snippets.contains(name)) {
                    const Snippet &first = open.contains(name) ? open[name] : snippets[name];
                    errors->append(QStringLiteral("%1:%2: snippet '%3' already defined at %4:%5")
                                       .arg(relative(file))
                                       .arg(i + 1)
                                       .arg(name, relative(first.file))
                                       .arg(first.line));
                    continue;
                }
                open.insert(name, Snippet{file, i + 1, {}});
            } else if (end.hasMatch()) {
                const QString name = end.captured(1);
                if (!open.contains(name)) {
                    errors->append(QStringLiteral("%1:%2: '[/snippet:%3]' without its opening")
                                       .arg(relative(file))
                                       .arg(i + 1)
                                       .arg(name));
                    continue;
                }
                Snippet snippet = open.take(name);
                snippet.lines = normalized(snippet.lines);
                snippets.insert(name, snippet);
            } else {
                for (Snippet &snippet : open)
                    snippet.lines.append(line);
            }
        }
        for (auto it = open.cbegin(); it != open.cend(); ++it)
            errors->append(QStringLiteral("%1:%2: snippet '%3' is never closed")
                               .arg(relative(file))
                               .arg(it->line)
                               .arg(it.key()));
    }
    return snippets;
}

QStringList checkMarkdown(const QString &file, const QHash<QString, Snippet> &snippets,
                          QStringList *used)
{
    QStringList errors;
    bool ok = false;
    const QStringList lines = readLines(file, &ok);
    if (!ok)
        return {relative(file) + QStringLiteral(": cannot be read")};

    QString marker; // the snippet named by the last non-blank line, if it was a marker
    int markerLine = 0;
    for (int i = 0; i < lines.size(); ++i) {
        const QString &line = lines.at(i);
        const QRegularExpressionMatch markerMatch = markdownMarker.match(line);
        if (markerMatch.hasMatch()) {
            marker = markerMatch.captured(1);
            markerLine = i + 1;
            continue;
        }
        const QRegularExpressionMatch open = fence.match(line);
        if (!open.hasMatch()) {
            if (!line.isEmpty())
                marker.clear();
            continue;
        }
        // A fenced block: its lines up to the closing fence, without the fence's indentation.
        const int indent = int(open.captured(1).size());
        const QString fenceText = open.captured(2);
        const QString language = open.captured(3).toLower();
        const int blockLine = i + 1;
        QStringList block;
        for (++i; i < lines.size(); ++i) {
            if (lines.at(i).trimmed() == fenceText)
                break;
            block.append(lines.at(i).mid(std::min(indent, indentOf(lines.at(i)))));
        }
        const QString where = QStringLiteral("%1:%2").arg(relative(file)).arg(blockLine);
        if (marker.isEmpty()) {
            if (language == QLatin1String("cpp") || language == QLatin1String("c++"))
                errors.append(where + QStringLiteral(": C++ block without a "
                                                     "<!-- snippet: name --> marker"));
            continue;
        }
        const QString name = std::exchange(marker, QString());
        used->append(name);
        const auto snippet = snippets.constFind(name);
        if (snippet == snippets.cend()) {
            errors.append(QStringLiteral("%1: snippet '%2' (named on line %3) is not in any "
                                         "compiled source")
                              .arg(where, name)
                              .arg(markerLine));
            continue;
        }
        const QStringList expected = snippet->lines;
        const QStringList actual = normalized(block);
        if (actual == expected)
            continue;
        qsizetype at = 0;
        while (at < actual.size() && at < expected.size() && actual.at(at) == expected.at(at))
            ++at;
        errors.append(QStringLiteral("%1: block differs from snippet '%2' (%3:%4) at its line "
                                     "%5:\n    doc:    %6\n    source: %7")
                          .arg(where, name, relative(snippet->file))
                          .arg(snippet->line)
                          .arg(at + 1)
                          .arg(at < actual.size() ? actual.at(at) : QStringLiteral("<end>"),
                               at < expected.size() ? expected.at(at) : QStringLiteral("<end>")));
    }
    return errors;
}

QStringList filesUnder(const QString &directory, const QStringList &suffixes,
                       const QStringList &skip)
{
    QStringList files;
    QDirIterator it(directory, QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QFileInfo info = it.fileInfo();
        if (info.isDir())
            continue;
        const QString rel = QDir(directory).relativeFilePath(path);
        if (std::any_of(skip.cbegin(), skip.cend(),
                        [&](const QString &dir) { return rel.startsWith(dir + QLatin1Char('/')); }))
            continue;
        if (std::any_of(suffixes.cbegin(), suffixes.cend(),
                        [&](const QString &suffix) { return path.endsWith(suffix); }))
            files.append(path);
    }
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace SnippetCheck
