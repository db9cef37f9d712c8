#pragma once

// What a child process of the process tests prints, read as it arrives: stdout split into
// lines, and among them the service transitions that a pattern recognises.

#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QStringList>

#include <algorithm>
#include <utility>

// A transition line of the console example: "[  101 ms] Database  Running  (started in 80 ms)".
inline QRegularExpression consoleTransitionPattern()
{
    return QRegularExpression(QStringLiteral("^\\[\\s*\\d+ ms\\] (\\w+)\\s+(\\w+)"));
}

class ProcessOutput
{
public:
    // `transition` captures (service, state) in the lines that log a transition.
    explicit ProcessOutput(QRegularExpression transition) : m_transition(std::move(transition)) {}

    // Takes what `process` printed since the last call.
    void read(QProcess &process)
    {
        m_pending += QString::fromUtf8(process.readAllStandardOutput());
        m_stderr += QString::fromUtf8(process.readAllStandardError());
        qsizetype end;
        while ((end = m_pending.indexOf(u'\n')) >= 0) {
            const QString line = m_pending.left(end);
            m_pending.remove(0, end + 1);
            m_lines.append(line);
            const QRegularExpressionMatch match = m_transition.match(line);
            if (match.hasMatch())
                m_transitions.append(match.captured(1) + u' ' + match.captured(2));
        }
    }

    const QStringList &lines() const { return m_lines; }
    // "Database Running", in the order they were logged.
    const QStringList &transitions() const { return m_transitions; }
    const QString &standardError() const { return m_stderr; }
    // True when a stdout line starts with `prefix`.
    bool hasLine(const QString &prefix) const
    {
        return std::any_of(m_lines.cbegin(), m_lines.cend(),
                           [&](const QString &line) { return line.startsWith(prefix); });
    }

private:
    QRegularExpression m_transition;
    QString m_pending, m_stderr;
    QStringList m_lines, m_transitions;
};
