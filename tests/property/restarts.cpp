#include "restarts.h"

#include "invariants.h"
#include "probe.h"
#include "scenario.h"

#include <QLifecycle/ServiceManager>

#include <QtCore/QStringList>

#include <algorithm>
#include <memory>

namespace QLifecycle::Property {

using std::chrono::milliseconds;
using Mode = RestartPolicy::Mode;
using State = QService::State;

namespace {

quint64 mixRestarts(quint64 seed)
{
    // A generator of its own (splitmix64 of the seed and a constant of this dimension).
    quint64 z = seed + 0x5EED5EED12345678ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

RestartPolicy randomPolicy(Choices &choices)
{
    RestartPolicy policy;
    policy.mode = choices.chance(60) ? Mode::OnFailure : Mode::Always;
    policy.initialDelay = milliseconds(choices.chance(30) ? 0 : choices.between(1, 20));
    policy.multiplier = choices.chance(50) ? 1.0 : 1.0 + choices.upTo(3) * 0.5;
    policy.maxDelay = milliseconds(choices.between(policy.initialDelay.count(), 25));
    policy.jitter = choices.chance(50) ? 0.0 : choices.between(1, 5) / 10.0;
    policy.resetAfter = milliseconds(choices.chance(50) ? 60000 : choices.between(1, 30));
    policy.maxRestarts = choices.between(1, 4);
    policy.window = milliseconds(RestartWindowMs);
    return policy;
}

// QLIFECYCLE_PROPERTY_TRACE=1: the restart signals and every service's state, numbered.
bool traced()
{
    static const bool on = qEnvironmentVariableIntValue("QLIFECYCLE_PROPERTY_TRACE") != 0;
    return on;
}

QString modeName(Mode mode)
{
    return mode == Mode::Never       ? QStringLiteral("never")
           : mode == Mode::OnFailure ? QStringLiteral("on-failure")
                                     : QStringLiteral("always");
}

} // namespace

void addRestarts(Scenario &scenario, quint64 seed)
{
    RandomChoices choices(mixRestarts(seed));
    RestartSpec spec;
    const int size = scenario.size();
    // Some graphs give every service a policy, most only a few.
    const int rate = choices.chance(20) ? 100 : choices.between(10, 60);
    for (int s = 0; s < size; ++s)
        spec.policies.push_back(choices.chance(rate) ? randomPolicy(choices) : RestartPolicy{});
    if (choices.chance(30))
        spec.managerMaxRestarts = choices.between(1, 6);
    spec.jitterSeed = choices.draw(1u << 30);
    // The failures a restart meets: a few services crash or fail to start the first times.
    const int faultRate = size > 40 ? choices.between(1, 4) : choices.between(5, 30);
    for (Cycle &cycle : scenario.cycles) {
        std::vector<RestartFaults> faults(static_cast<size_t>(size));
        for (int s = 0; s < size; ++s) {
            RestartFaults &f = faults[size_t(s)];
            if (!choices.chance(faultRate))
                continue;
            const int kind = choices.upTo(10);
            if (kind < 5) {
                f.crashFirst = choices.between(1, 5);
                f.crashAfterMs = choices.between(0, 25);
            } else if (kind < 8) {
                f.startThrowFirst = choices.between(1, 5);
            } else {
                f.startTimeoutFirst = choices.between(1, 2);
            }
        }
        spec.faults.push_back(std::move(faults));
        spec.extraHoldMs.push_back(choices.chance(60) ? choices.between(10, 120) : 0);
        // Start policies are not combined with restarts: every service is eager.
        cycle.policies.clear();
        cycle.demands.clear();
        cycle.awaitDeferred = false;
        cycle.demandAll = false;
    }
    scenario.restarts = std::move(spec);
}

QString describeRestarts(const Scenario &scenario)
{
    const RestartSpec &spec = *scenario.restarts;
    QStringList lines;
    QStringList policies;
    for (size_t s = 0; s < spec.policies.size(); ++s) {
        const RestartPolicy &p = spec.policies[s];
        if (p.mode == Mode::Never)
            continue;
        policies.append(QStringLiteral("s%1 %2 %3ms x%4 max %5ms jitter %6 reset %7ms max %8")
                            .arg(s)
                            .arg(modeName(p.mode))
                            .arg(p.initialDelay.count())
                            .arg(p.multiplier)
                            .arg(p.maxDelay.count())
                            .arg(p.jitter)
                            .arg(p.resetAfter.count())
                            .arg(p.maxRestarts));
    }
    lines.append(QStringLiteral("restarts: %1; manager intensity %2, jitter seed %3")
                     .arg(policies.isEmpty() ? QStringLiteral("no policy")
                                             : policies.join(QStringLiteral(", ")))
                     .arg(spec.managerMaxRestarts ? QString::number(*spec.managerMaxRestarts)
                                                  : QStringLiteral("default"))
                     .arg(spec.jitterSeed));
    for (size_t c = 0; c < spec.faults.size(); ++c) {
        QStringList parts;
        for (size_t s = 0; s < spec.faults[c].size(); ++s) {
            const RestartFaults &f = spec.faults[c][s];
            if (f.crashFirst)
                parts.append(QStringLiteral("s%1 crash %2 ms x%3")
                                 .arg(s)
                                 .arg(f.crashAfterMs)
                                 .arg(f.crashFirst));
            if (f.startThrowFirst)
                parts.append(QStringLiteral("s%1 start throws x%2").arg(s).arg(f.startThrowFirst));
            if (f.startTimeoutFirst)
                parts.append(
                    QStringLiteral("s%1 start times out x%2").arg(s).arg(f.startTimeoutFirst));
        }
        lines.append(QStringLiteral("  cycle %1: hold +%2 ms%3")
                         .arg(c)
                         .arg(spec.extraHoldMs[c])
                         .arg(parts.isEmpty()
                                  ? QString()
                                  : QStringLiteral(", ") + parts.join(QStringLiteral(", "))));
    }
    return lines.join(QLatin1Char('\n'));
}

Behaviour incarnationBehaviour(const Scenario &scenario, int cycle, int service, int incarnation)
{
    Behaviour b = scenario.cycles[size_t(cycle)].behaviours[size_t(service)];
    if (!scenario.restarts)
        return b;
    const RestartSpec &spec = *scenario.restarts;
    const RestartFaults &f = spec.faults[size_t(cycle)][size_t(service)];
    if (b.startFault == HookFault::None) {
        if (incarnation <= f.startThrowFirst)
            b.startFault = HookFault::Throw;
        else if (incarnation <= f.startTimeoutFirst) {
            b.startFault = HookFault::Timeout;
            b.startTimeoutMs = spec.startTimeoutMs;
        }
    }
    if (b.crashAfterMs < 0 && incarnation <= f.crashFirst)
        b.crashAfterMs = f.crashAfterMs;
    return b;
}

int restartStartTimeoutMs(const Scenario &scenario, int cycle, int service)
{
    if (!scenario.restarts)
        return -1;
    const Behaviour &b = scenario.cycles[size_t(cycle)].behaviours[size_t(service)];
    const RestartFaults &f = scenario.restarts->faults[size_t(cycle)][size_t(service)];
    return b.startFault == HookFault::None && f.startTimeoutFirst > 0
               ? scenario.restarts->startTimeoutMs
               : -1;
}

void setUpRestarts(Probe &probe, ServiceManager &manager, const std::vector<QService *> &services)
{
    const RestartSpec &spec = *probe.scenario().restarts;
    // The moment of each service's failure signal, before the slots of the re-entrancy rig.
    auto decided = std::make_shared<std::vector<qint64>>(services.size(), -1);
    for (size_t s = 0; s < services.size(); ++s) {
        auto *service = static_cast<ProbeService *>(services[s]);
        QObject::connect(service, &QService::errorOccurred, service,
                         [p = &probe, decided, s] { (*decided)[s] = p->nextSeq(); });
        if (traced())
            QObject::connect(service, &QService::stateChanged, service,
                             [p = &probe, service](State state) {
                                 fprintf(stderr, "trace %lld: %s %s\n", (long long)p->nextSeq(),
                                         qPrintable(service->name()), qPrintable(stateName(state)));
                             });
        if (spec.policies[s].mode != Mode::Never)
            service->setRestartPolicy(spec.policies[s]);
        QObject::connect(service, &QService::restartScheduled, service,
                         [p = &probe, i = int(s)](qint64, const QString &reason) {
                             const ServiceRun &run = p->record(p->cycle(), i);
                             const bool own = !reason.startsWith(QLatin1String("needs "));
                             p->mark(p->cycle(), i, MarkKind::Scheduled, run.startCalls,
                                     own ? 1 : 0);
                         });
    }
    manager.setRestartIntensity(spec.managerMaxRestarts.value_or(1000),
                                milliseconds(RestartWindowMs));
    manager.setJitterSeed(spec.jitterSeed);
    // By pointer: a service a slot deletes still reports its failure while it is destroyed.
    const auto indexOf = [services](const QService *service) {
        const auto found = std::find(services.begin(), services.end(), service);
        return found == services.end() ? -1 : int(found - services.begin());
    };
    QObject::connect(
        &manager, &ServiceManager::errorOccurred, &manager,
        [p = &probe, indexOf, decided](QService *service, Phase phase, const QString &text) {
            const int index = indexOf(service);
            const qint64 seq = p->nextSeq();
            qint64 at = seq;
            if (index >= 0 && (*decided)[size_t(index)] >= 0)
                at = std::exchange((*decided)[size_t(index)], -1);
            p->cycleRun(p->cycle()).reported.push_back({seq, index, phase, text, at});
        });
    QObject::connect(
        &manager, &ServiceManager::restartScheduled, &manager,
        [p = &probe, indexOf](QService *service, qint64 delay, const QStringList &members) {
            CycleRun &run = p->cycleRun(p->cycle());
            if (traced())
                fprintf(stderr, "trace %lld: restartScheduled(%s, %lld ms, [%s]), count %d\n",
                        (long long)p->nextSeq(), qPrintable(service->name()), (long long)delay,
                        qPrintable(members.join(QLatin1Char(' '))), run.restartCount);
            run.scheduled.push_back({p->nextSeq(), indexOf(service), run.restartCount, members});
        });
    QObject::connect(
        &manager, &ServiceManager::restartsExhausted, &manager,
        [p = &probe, indexOf](QService *service, const QString &reason) {
            CycleRun &run = p->cycleRun(p->cycle());
            run.exhausted.push_back({p->nextSeq(), indexOf(service), run.restartCount, reason});
        });
    QObject::connect(
        &manager, &ServiceManager::restartCountChanged, &manager, [p = &probe](int count) {
            CycleRun &run = p->cycleRun(p->cycle());
            if (traced())
                fprintf(stderr, "trace %lld: restartCount %d\n", (long long)p->nextSeq(), count);
            if (count == 0)
                return; // a new run begins (re-entrancy: before the probe follows it)
            if (count != run.restartCount + 1)
                p->violation(QStringLiteral("the manager's restartCount went from "
                                            "%1 to %2")
                                 .arg(run.restartCount)
                                 .arg(count));
            run.restartCount = count;
        });
    QObject::connect(&manager, &ServiceManager::stateChanged, &manager, [p = &probe](State state) {
        p->cycleRun(p->cycle()).managerMarks.emplace_back(p->nextSeq(), state);
    });
}

bool restartPending(Probe &probe, int service)
{
    if (!probe.restarts())
        return false;
    bool pending = false;
    for (const Mark &m : probe.record(probe.cycle(), service).marks) {
        if (m.kind == MarkKind::Scheduled)
            pending = true;
        else if (m.kind == MarkKind::State && m.value == int(State::Starting))
            pending = false;
    }
    return pending;
}

bool restartInProgress(Probe &probe)
{
    if (!probe.restarts())
        return false;
    for (int s = 0; s < probe.scenario().size(); ++s) {
        bool waiting = false, again = false; // a member held Running until it stops waits too
        for (const Mark &m : probe.record(probe.cycle(), s).marks) {
            if (m.kind == MarkKind::Scheduled) {
                waiting = true;
                again = false;
            } else if (m.kind == MarkKind::State && m.value == int(State::Starting)) {
                again = waiting;
            } else if (m.kind == MarkKind::State && m.value == int(State::Running) && again) {
                waiting = false;
            }
        }
        if (waiting)
            return true;
    }
    return false;
}

// What a service shows once the cycle ended: the error of its last incarnation, which a
// restart given up by the stop leaves in place although the run's error does not list it.
void checkRestartCycleEnd(Probe &probe, ServiceManager &manager)
{
    const int c = probe.cycle();
    const CycleRun &run = probe.cycleRun(c);
    if (manager.restartCount() != run.restartCount)
        probe.violation(QStringLiteral("the manager's restartCount is %1, its signal said %2")
                            .arg(manager.restartCount())
                            .arg(run.restartCount));
    for (int s = 0; s < probe.scenario().size(); ++s) {
        const QService *service = probe.service(s);
        const ServiceRun &record = run.services[size_t(s)];
        if (!service || record.states.isEmpty())
            continue;
        qint64 lastStart = -1;
        for (const Mark &m : record.marks)
            if (m.kind == MarkKind::State && m.value == int(State::Starting))
                lastStart = m.seq;
        const CycleRun::Reported *first = nullptr;
        for (const CycleRun::Reported &r : run.reported)
            if (r.service == s && r.seq > lastStart && !first)
                first = &r;
        const QString expected =
            first && service->state() == State::Failed
                ? Failure{service->name(), first->phase, first->message, {}}.reason()
                : QString();
        if (service->errorString() != expected)
            probe.violation(
                QStringLiteral("s%1 errorString '%2', its last incarnation's first failure '%3'")
                    .arg(s)
                    .arg(service->errorString(), expected));
        if (bool(service->failure()) != !expected.isEmpty())
            probe.violation(QStringLiteral("s%1 failure() does not match its errorString").arg(s));
        // Its restartCount: at least its starts after the first, at most its restarts
        // scheduled (a restart given up by the stop may have counted already).
        int starts = 0, scheduled = 0;
        for (const Mark &m : record.marks) {
            starts += m.kind == MarkKind::State && m.value == int(State::Starting) ? 1 : 0;
            scheduled += m.kind == MarkKind::Scheduled ? 1 : 0;
        }
        if (service->restartCount() < starts - 1 || service->restartCount() > scheduled)
            probe.violation(QStringLiteral("s%1 restartCount %2 after %3 start(s) and %4 "
                                           "restartScheduled")
                                .arg(s)
                                .arg(service->restartCount())
                                .arg(starts)
                                .arg(scheduled));
    }
}

} // namespace QLifecycle::Property
