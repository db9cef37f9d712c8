#include "scenario.h"

#include "reentrancy.h"

#include <QtCore/QStringList>

#include <algorithm>

namespace QLifecycle::Property {

namespace {

// Most graphs are small (fast, many interleavings); some are large (deep, wide, many leases).
int graphSize(Choices &choices, int maxServices)
{
    const int tier = choices.upTo(100);
    int size = 1;
    if (tier < 55)
        size = choices.between(1, 8);
    else if (tier < 90)
        size = choices.between(9, 40);
    else if (tier < 97)
        size = choices.between(41, 120);
    else
        size = choices.between(121, 300);
    return std::clamp(size, 1, maxServices);
}

// The sorted dependencies of one service cut into stages: runs of single services and groups.
std::vector<StageSpec> cutIntoStages(Choices &choices, const std::vector<int> &sorted)
{
    std::vector<StageSpec> stages;
    size_t i = 0;
    while (i < sorted.size()) {
        StageSpec stage;
        const int remaining = int(sorted.size() - i);
        const int length = choices.chance(45) ? choices.between(1, remaining) : 1;
        stage.group = length > 1 || choices.chance(10); // a group of one is a group too
        for (int k = 0; k < length; ++k)
            stage.services.push_back(sorted[i++]);
        stages.push_back(std::move(stage));
    }
    return stages;
}

int smallDelay(Choices &choices, int percent)
{
    return choices.chance(percent) ? choices.between(1, 5) : 0;
}

HookFault hookFault(Choices &choices, int faultRate)
{
    if (!choices.chance(faultRate))
        return HookFault::None;
    const int kind = choices.upTo(10);
    if (kind < 5)
        return HookFault::Throw;
    if (kind < 8)
        return HookFault::ThrowNonStd;
    return HookFault::Timeout;
}

Behaviour behaviour(Choices &choices, int faultRate, int delayRate, int taskRate)
{
    Behaviour b;
    b.startDelayMs = smallDelay(choices, delayRate);
    b.stopDelayMs = smallDelay(choices, delayRate);
    b.startFault = hookFault(choices, faultRate / 2);
    b.stopFault = hookFault(choices, faultRate / 2);
    if (b.startFault == HookFault::Timeout)
        b.startTimeoutMs = choices.between(20, 50);
    if (b.stopFault == HookFault::Timeout)
        b.stopTimeoutMs = choices.between(20, 50);
    if (choices.chance(faultRate / 2)) {
        b.crashAfterMs = choices.chance(70) ? choices.between(0, 30) : 0;
        b.crashNonStd = choices.chance(30);
        b.crashAsCallable = choices.chance(50);
    }
    if (choices.chance(faultRate / 3))
        b.daemonReturnAfterMs = choices.between(0, 20);
    if (choices.chance(taskRate))
        b.poolTaskMs = choices.between(0, 15);
    if (choices.chance(taskRate))
        b.adoptedFutureMs = choices.between(0, 10);
    return b;
}

Policy policy(Choices &choices, int rate)
{
    if (!choices.chance(rate))
        return Policy::Eager;
    const int kind = choices.upTo(10);
    return kind < 3 ? Policy::AfterFirstFrame : kind < 6 ? Policy::WhenIdle : Policy::OnDemand;
}

DemandMoment demandMoment(Choices &choices)
{
    const int pick = choices.upTo(100);
    if (pick < 5)
        return DemandMoment::BeforeStart;
    if (pick < 25)
        return DemandMoment::AtStart;
    if (pick < 55)
        return DemandMoment::AfterDelay;
    if (pick < 85)
        return DemandMoment::OnRunning;
    return pick < 93 ? DemandMoment::WhileStopping : DemandMoment::AfterEnd;
}

// Start policies and ensureRunning() calls (docs/lifecycle.md, "Start policies"), drawn after
// everything else: a seed describes the same graph, behaviours and stop requests as before they
// existed. Most graphs stay eager; in the others about a quarter of the services are deferred
// (the root less often), and the policies may change between cycles.
void addPolicies(Choices &choices, Scenario &scenario)
{
    const int tier = choices.upTo(100);
    const int rate = tier < 60 ? 0 : tier < 85 ? choices.between(10, 30) : choices.between(30, 60);
    const int size = scenario.size();
    std::vector<Policy> previous;
    for (Cycle &cycle : scenario.cycles) {
        if (rate > 0) {
            if (!previous.empty() && choices.chance(75)) {
                cycle.policies = previous;
            } else {
                for (int i = 0; i < size; ++i)
                    cycle.policies.push_back(
                        policy(choices, i == size - 1 && !choices.chance(25) ? 0 : rate));
            }
            previous = cycle.policies;
        }
        std::vector<int> deferred;
        for (int i = 0; i < size; ++i)
            if (cycle.policy(i) != Policy::Eager)
                deferred.push_back(i);
        // ensureRunning() on a deferred service mostly; eager graphs now and then too (at once
        // when it runs, refused when the graph does not).
        const int demands = !deferred.empty()    ? choices.upTo(4)
                            : choices.chance(10) ? choices.between(1, 2)
                                                 : 0;
        for (int k = 0; k < demands; ++k) {
            Demand demand;
            demand.service = !deferred.empty() && choices.chance(75)
                                 ? deferred[size_t(choices.upTo(int(deferred.size())))]
                                 : choices.upTo(size);
            demand.when = demandMoment(choices);
            demand.afterMs = choices.between(0, 30);
            cycle.demands.push_back(demand);
        }
        cycle.awaitDeferred = !deferred.empty() && choices.chance(50);
        cycle.demandAll = !deferred.empty() && choices.chance(15);
    }
}

} // namespace

Scenario generate(Choices &choices, const Limits &limits)
{
    Scenario scenario;
    const int size = graphSize(choices, limits.maxServices);
    const int fanOut = choices.chance(70) ? choices.between(1, 4) : choices.between(5, 12);
    scenario.deps.resize(size_t(size));
    std::vector<bool> hasDependent(size_t(size), false);
    // Service i depends on lower indices only, in ascending order across its stages: every
    // edge (dependency -> dependent, earlier stage -> later stage) goes from a lower to a
    // higher index, so the graph is acyclic whatever the choices.
    for (int i = 0; i < size; ++i) {
        std::vector<int> picked;
        if (i > 0) {
            const int wanted = choices.upTo(std::min(i, fanOut) + 1);
            for (int k = 0; k < wanted; ++k) {
                // Prefer recent services (deep chains) but also reach far back (diamonds).
                const int candidate =
                    choices.chance(50) ? i - 1 - choices.upTo(std::min(i, 4)) : choices.upTo(i);
                if (std::find(picked.begin(), picked.end(), candidate) == picked.end())
                    picked.push_back(candidate);
            }
        }
        if (i == size - 1) {
            // The root reaches every service that nothing else needs.
            for (int j = 0; j < i; ++j)
                if (!hasDependent[size_t(j)] &&
                    std::find(picked.begin(), picked.end(), j) == picked.end())
                    picked.push_back(j);
        }
        std::sort(picked.begin(), picked.end());
        for (int j : picked)
            hasDependent[size_t(j)] = true;
        scenario.deps[size_t(i)] = cutIntoStages(choices, picked);
    }

    // Per graph: how faulty, how slow and how busy its services are. Many graphs are clean.
    const int faultRates[] = {0, 0, 2, 5, 10, 25};
    const int faultRate = faultRates[choices.upTo(6)];
    const int delayRate = choices.chance(50) ? choices.between(0, 20) : 0;
    const int taskRate = choices.chance(40) ? choices.between(0, 30) : 0;
    const int cycles = std::max(1, std::min(limits.maxCycles, 1 + choices.upTo(3)));
    for (int c = 0; c < cycles; ++c) {
        Cycle cycle;
        // Scale the fault rate so that big graphs do not fail on every run.
        const int rate = size > 40 ? faultRate / 4 : faultRate;
        for (int i = 0; i < size; ++i)
            cycle.behaviours.push_back(behaviour(choices, rate, delayRate, taskRate));
        const int stop = choices.upTo(10);
        if (stop >= 8)
            cycle.stopRequest = StopRequest::AfterDelay;
        else if (stop >= 7)
            cycle.stopRequest = StopRequest::AtOnce;
        cycle.stopAfterMs = choices.between(0, 6);
        cycle.holdMs = choices.chance(40) ? choices.between(1, 20) : 0;
        cycle.stopByWait = choices.chance(50);
        cycle.joinSecondStart = choices.chance(10);
        cycle.quiesce = !choices.chance(30);
        scenario.cycles.push_back(std::move(cycle));
    }
    addPolicies(choices, scenario);
    return scenario;
}

namespace {

QString describePolicies(const Cycle &cycle)
{
    static const char *policies[] = {"eager", "after-first-frame", "when-idle", "on-demand"};
    static const char *moments[] = {"before start()", "at start()",     "after",
                                    "on Running",     "while stopping", "after the end"};
    QStringList parts;
    for (size_t i = 0; i < cycle.policies.size(); ++i)
        if (cycle.policies[i] != Policy::Eager)
            parts.append(QStringLiteral("s%1 %2").arg(i).arg(
                QLatin1String(policies[int(cycle.policies[i])])));
    QStringList demands;
    for (const Demand &d : cycle.demands)
        demands.append(QStringLiteral("s%1 %2%3")
                           .arg(d.service)
                           .arg(QLatin1String(moments[int(d.when)]))
                           .arg(d.when == DemandMoment::AfterDelay
                                    ? QStringLiteral(" %1 ms").arg(d.afterMs)
                                    : QString()));
    if (parts.isEmpty() && demands.isEmpty())
        return {};
    QString text =
        QStringLiteral("  policies: ") +
        (parts.isEmpty() ? QStringLiteral("all eager") : parts.join(QStringLiteral(", ")));
    if (!demands.isEmpty())
        text += QStringLiteral("; ensureRunning: ") + demands.join(QStringLiteral(", "));
    if (cycle.awaitDeferred)
        text += QStringLiteral("; awaits the deferred starts");
    if (cycle.demandAll)
        text += QStringLiteral("; ensureRunning() on every service");
    return text;
}

} // namespace

QString Scenario::describe() const
{
    static const char *faults[] = {"-", "throw", "throw42", "timeout"};
    QStringList lines;
    for (int i = 0; i < size(); ++i) {
        QStringList stages;
        for (const StageSpec &stage : deps[size_t(i)]) {
            QStringList members;
            for (int s : stage.services)
                members.append(QStringLiteral("s%1").arg(s));
            stages.append(stage.group
                              ? QLatin1Char('{') + members.join(QLatin1Char(',')) + QLatin1Char('}')
                              : members.join(QLatin1Char(',')));
        }
        lines.append(QStringLiteral("s%1 <- [%2]").arg(i).arg(stages.join(QStringLiteral(", "))));
    }
    for (size_t c = 0; c < cycles.size(); ++c) {
        const Cycle &cycle = cycles[c];
        lines.append(QStringLiteral("cycle %1: stop=%2 after %3 ms, hold %4 ms, %5%6%7")
                         .arg(c)
                         .arg(int(cycle.stopRequest))
                         .arg(cycle.stopAfterMs)
                         .arg(cycle.holdMs)
                         .arg(cycle.stopByWait ? QStringLiteral("wait") : QStringLiteral("stop"))
                         .arg(cycle.joinSecondStart ? QStringLiteral(", joined start") : QString())
                         .arg(cycle.quiesce ? QString() : QStringLiteral(", no quiesce")));
        if (QString policies = describePolicies(cycle); !policies.isEmpty())
            lines.append(policies);
        for (int i = 0; i < size(); ++i) {
            const Behaviour &b = cycle.behaviours[size_t(i)];
            QStringList parts;
            if (b.startDelayMs || b.stopDelayMs)
                parts.append(QStringLiteral("delay %1/%2").arg(b.startDelayMs).arg(b.stopDelayMs));
            if (b.startFault != HookFault::None)
                parts.append(QStringLiteral("start %1 %2")
                                 .arg(QLatin1String(faults[int(b.startFault)]))
                                 .arg(b.startTimeoutMs));
            if (b.stopFault != HookFault::None)
                parts.append(QStringLiteral("stop %1 %2")
                                 .arg(QLatin1String(faults[int(b.stopFault)]))
                                 .arg(b.stopTimeoutMs));
            if (b.crashAfterMs >= 0)
                parts.append(QStringLiteral("crash %1%2%3")
                                 .arg(b.crashAfterMs)
                                 .arg(b.crashNonStd ? QStringLiteral(" int") : QString())
                                 .arg(b.crashAsCallable ? QStringLiteral(" callable") : QString()));
            if (b.daemonReturnAfterMs >= 0)
                parts.append(QStringLiteral("daemon %1").arg(b.daemonReturnAfterMs));
            if (b.poolTaskMs >= 0)
                parts.append(QStringLiteral("pool %1").arg(b.poolTaskMs));
            if (b.adoptedFutureMs >= 0)
                parts.append(QStringLiteral("future %1").arg(b.adoptedFutureMs));
            if (!parts.isEmpty())
                lines.append(
                    QStringLiteral("  s%1: %2").arg(i).arg(parts.join(QStringLiteral("; "))));
        }
    }
    if (reentrancy)
        lines.append(describeReentrancy(*this));
    if (restarts)
        lines.append(describeRestarts(*this));
    return lines.join(QLatin1Char('\n'));
}

} // namespace QLifecycle::Property
