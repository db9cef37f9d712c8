#include "transitionlog.h"

#include <QtCore/QMetaEnum>

#include <cstdio>

using namespace Qt::StringLiterals;
using QLifecycle::QService;

namespace {

void printLine(const QString &line)
{
    std::fputs(qPrintable(line + u'\n'), stdout);
    std::fflush(stdout);
}

QString stateName(QService::State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<QService::State>().valueToKey(int(state)));
}

// "20 ms", or "-" for a duration that was never measured (-1).
QString duration(qint64 ms)
{
    return ms < 0 ? u"-"_s : u"%1 ms"_s.arg(ms);
}

// "Running  (started in 80 ms)": the new state, and what is worth knowing about it.
QString describe(const QService *service, QService::State state)
{
    const QString name = stateName(state);
    switch (state) {
    case QService::State::Running:
        return name.leftJustified(9) + u"(started in %1 ms)"_s.arg(service->startDurationMs());
    case QService::State::Stopped:
        return name.leftJustified(9) + u"(stopped in %1 ms)"_s.arg(service->stopDurationMs());
    case QService::State::Failed: // errorString() says in which phase, and why
        return name.leftJustified(9) + u'(' + service->errorString() + u')';
    default:
        return name;
    }
}

// When a service the manager has not started yet will start (QService::StartPolicy).
QString whenItStarts(const QService *service)
{
    switch (service->startPolicy()) {
    case QService::StartPolicy::AfterFirstFrame: // a program without windows: once the loop runs
        return u"starts once the event loop runs"_s;
    case QService::StartPolicy::WhenIdle:
        return u"starts once the event loop is idle"_s;
    case QService::StartPolicy::OnDemand:
        return u"starts when asked for"_s;
    case QService::StartPolicy::Eager:
        break;
    }
    return u"starting"_s;
}

} // namespace

TransitionLog::TransitionLog()
{
    m_clock.start();
}

QString TransitionLog::timestamp() const
{
    return u"[%1 ms]"_s.arg(m_clock.elapsed(), 5);
}

void TransitionLog::watch(QService *service)
{
    // stateChanged is emitted exactly once per transition, on the manager's thread.
    QObject::connect(service, &QService::stateChanged, service,
                     [this, service](QService::State state) {
                         printLine(timestamp() + u' ' + service->name().leftJustified(9) + u' ' +
                                   describe(service, state));
                         if (state == QService::State::Running)
                             announceWhenAllRun();
                     });
}

void TransitionLog::watch(QLifecycle::ServiceManager *manager)
{
    m_manager = manager;
    QObject::connect(manager, &QLifecycle::ServiceManager::stateChanged, manager,
                     [this](QService::State state) { managerStateChanged(state); });
    // A failure that a restart policy restarts (docs/supervision.md): what is restarted, when.
    QObject::connect(manager, &QLifecycle::ServiceManager::restartScheduled, manager,
                     [](QService *service, qint64 delayMs, const QStringList &services) {
                         printLine(u"restart: %1 failed; restarting %2 in %3 ms"_s.arg(
                             service->name(), services.join(u", "_s), QString::number(delayMs)));
                     });
    QObject::connect(manager, &QLifecycle::ServiceManager::restartsExhausted, manager,
                     [](QService *service, const QString &reason) {
                         printLine(u"restart: %1 not restarted: %2"_s.arg(service->name(), reason));
                     });
}

void TransitionLog::managerStateChanged(QService::State state)
{
    using QLifecycle::ServiceManager;
    if (state == QService::State::Starting) {
        m_ready = false;
    } else if (state == QService::State::Running) {
        // The manager runs once its eager services do; a deferred service starts later
        // (services() lists the graph of the current run, in start order).
        QStringList deferred;
        const QList<QService *> services = m_manager->services();
        for (const QService *service : services) {
            if (service->state() != QService::State::Running)
                deferred.append(service->name() + u" ("_s + whenItStarts(service) + u')');
        }
        if (!deferred.isEmpty()) {
            printLine(u"running: %1 of %2 services after %3 ms; deferred: %4"_s
                          .arg(services.size() - deferred.size())
                          .arg(services.size())
                          .arg(m_clock.elapsed())
                          .arg(deferred.join(u", "_s)));
        }
        announceWhenAllRun();
    } else if (state == QService::State::Stopping) {
        // Why: Signal (Ctrl-C, SIGTERM), Requested (--seconds), Failure...
        const ServiceManager::StopReason reason = m_manager->stopReason();
        printLine(u"stopping (reason: %1): in reverse dependency order"_s.arg(QString::fromLatin1(
            QMetaEnum::fromType<ServiceManager::StopReason>().valueToKey(int(reason)))));
    }
}

void TransitionLog::announceWhenAllRun()
{
    if (m_ready || !m_manager || m_manager->state() != QService::State::Running)
        return;
    const QList<QService *> services = m_manager->services();
    for (const QService *service : services) {
        if (service->state() != QService::State::Running)
            return;
    }
    m_ready = true;
    printLine(
        u"ready: all %1 services running after %2 ms (press Ctrl-C to stop)"_s.arg(services.size())
            .arg(m_clock.elapsed()));
}

void TransitionLog::printSummary(const QLifecycle::ServiceManager &manager, int exitCode) const
{
    printLine(u"summary: %1 after %2 ms, exit code %3"_s
                  .arg(exitCode == 0 ? u"stopped cleanly"_s : u"stopped after a failure"_s)
                  .arg(m_clock.elapsed())
                  .arg(exitCode));
    printLine(u"  service   state       start     stop  restarts"_s);
    const QList<QService *> services = manager.services(); // the last run's graph, in start order
    for (const QService *service : services) {
        QString line = u"  "_s + service->name().leftJustified(9) + u' ' +
                       stateName(service->state()).leftJustified(9) + u' ' +
                       duration(service->startDurationMs()).rightJustified(7) + u' ' +
                       duration(service->stopDurationMs()).rightJustified(8) +
                       QString::number(service->restartCount()).rightJustified(10);
        if (!service->errorString().isEmpty())
            line += u"  "_s + service->errorString();
        printLine(line);
    }
}
