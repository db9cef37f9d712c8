#include <QLifecycle/error.h>

#include "service/exceptions.h"

#include <QtCore/QException>
#include <QtCore/QStringList>

namespace QLifecycle {

QString phaseName(Phase phase)
{
    switch (phase) {
    case Phase::Validate:
        return QStringLiteral("validate");
    case Phase::Start:
        return QStringLiteral("start");
    case Phase::Run:
        return QStringLiteral("run");
    case Phase::Stop:
        return QStringLiteral("stop");
    }
    return QStringLiteral("unknown");
}

static QString phaseVerb(Phase phase)
{
    switch (phase) {
    case Phase::Validate:
        return QStringLiteral("invalid dependencies");
    case Phase::Start:
        return QStringLiteral("start failed");
    case Phase::Run:
        return QStringLiteral("crashed");
    case Phase::Stop:
        return QStringLiteral("stop failed");
    }
    return QStringLiteral("failed");
}

QString Failure::reason() const
{
    return phaseVerb(phase) + QStringLiteral(": ") + message;
}

QString Failure::toString() const
{
    return service.isEmpty() ? reason() : service + QStringLiteral(": ") + reason();
}

Error::Error(QList<Failure> failures) : m_failures(std::move(failures))
{
    if (m_failures.isEmpty())
        m_failures.append(Failure{QString(), Phase::Start, QStringLiteral("unknown error"), {}});
    m_what = message().toUtf8();
}

Error::Error(const QString &service, Phase phase, const QString &message, std::exception_ptr cause)
    : Error(QList<Failure>{Failure{service, phase, message, std::move(cause)}})
{
}

QString Error::message() const
{
    QStringList lines;
    lines.reserve(m_failures.size());
    for (const Failure &failure : m_failures)
        lines.append(failure.toString());
    return lines.join(QLatin1Char('\n'));
}

const char *Cancelled::what() const noexcept
{
    return "cancelled: the service is stopping";
}

LifecycleError::LifecycleError(const QString &message) : m_what(message.toUtf8()) {}

QString describeException(const std::exception_ptr &error)
{
    bool cancelled = false;
    return detail::describeFailure(error, &cancelled);
}

QString detail::describeFailure(const std::exception_ptr &error, bool *cancelled)
{
    *cancelled = false;
    if (!error)
        return QStringLiteral("no error");
    try {
        std::rethrow_exception(error);
    } catch (const Cancelled &e) {
        *cancelled = true;
        return QString::fromUtf8(e.what());
    } catch (const QUnhandledException &e) {
        // QtConcurrent wraps std::exceptions: describe what it carries.
        if (e.exception())
            return describeException(e.exception());
        return QStringLiteral("unhandled exception");
    } catch (const Error &e) {
        return e.message();
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    } catch (const QString &s) {
        return s;
    } catch (const char *s) {
        return QString::fromUtf8(s);
    } catch (...) {
        return QStringLiteral("unknown exception (not a std::exception)");
    }
}

} // namespace QLifecycle
