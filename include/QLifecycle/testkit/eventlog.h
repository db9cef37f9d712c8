#pragma once

#include <QtCore/QStringList>

namespace QLifecycle::Test {

/*!
 * An ordered record shared by scripted services, to assert start and stop orders.
 * Entries look like "db:start", "db:started", "db:stop", "db:stopped" (see ScriptedService).
 */
class EventLog
{
public:
    /*! Appends \a event. */
    void add(const QString &event) { m_events.append(event); }
    /*! Every entry, oldest first. */
    const QStringList &events() const { return m_events; }
    /*! Forgets every entry. */
    void clear() { m_events.clear(); }
    /*! The position of the first \a event, or -1. */
    qsizetype indexOf(const QString &event) const { return m_events.indexOf(event); }
    /*! How many times \a event was recorded. */
    qsizetype count(const QString &event) const { return m_events.count(event); }
    /*! Only the entries ending in \a suffix (":start", ":stop"...), with the suffix removed:
     *  the order in which services began their starts, say. */
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

/*! Splits \a spaceSeparated at spaces: `names("c b1 A") == QStringList{"c", "b1", "A"}`,
 *  for compact expected orders in tests. */
inline QStringList names(const char *spaceSeparated)
{
    return QString::fromLatin1(spaceSeparated).split(QLatin1Char(' '), Qt::SkipEmptyParts);
}

} // namespace QLifecycle::Test
