#pragma once

#include <QtCore/QStringList>

namespace QLifecycle::Test {

// An ordered record shared by scripted services, to assert start and stop orders.
// Entries look like "db:start", "db:started", "db:stop", "db:stopped".
class EventLog
{
public:
    void add(const QString &event) { m_events.append(event); }
    const QStringList &events() const { return m_events; }
    void clear() { m_events.clear(); }
    qsizetype indexOf(const QString &event) const { return m_events.indexOf(event); }
    qsizetype count(const QString &event) const { return m_events.count(event); }
    // Only the entries ending in `suffix` (":start", ":stop"...), with the suffix removed.
    QStringList only(const QString &suffix) const
    {
        QStringList names;
        for (const QString &event : m_events)
            if (event.endsWith(suffix))
                names.append(event.chopped(suffix.size()));
        return names;
    }

private:
    QStringList m_events;
};

// names("c b1 A") == QStringList{"c", "b1", "A"}: compact expected orders in tests.
inline QStringList names(const char *spaceSeparated)
{
    return QString::fromLatin1(spaceSeparated).split(QLatin1Char(' '), Qt::SkipEmptyParts);
}

} // namespace QLifecycle::Test
