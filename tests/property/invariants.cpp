#include "invariants.h"

#include <QtCore/QMetaEnum>

#include <algorithm>
#include <map>

namespace QLifecycle::Property {

using State = QService::State;

QString stateName(State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(int(state)));
}

namespace {

QString statesText(const QList<State> &states)
{
    QStringList names;
    for (State state : states)
        names.append(stateName(state));
    return QLatin1Char('[') + names.join(QLatin1Char(' ')) + QLatin1Char(']');
}

QStringList failureTexts(const QList<Failure> &failures)
{
    QStringList texts;
    for (const Failure &failure : failures)
        texts.append(failure.toString());
    return texts;
}

QString taskOf(const Failure &failure)
{
    if (failure.phase != Phase::Run)
        return {};
    const qsizetype open = failure.message.indexOf(QLatin1Char('\''));
    const qsizetype close = failure.message.indexOf(QLatin1Char('\''), open + 1);
    return open >= 0 && close > open ? failure.message.mid(open + 1, close - open - 1) : QString();
}

QString keyOf(const QString &service, Phase phase, const QString &task)
{
    return service + QLatin1Char('|') + phaseName(phase) + QLatin1Char('|') + task;
}

// What every service's faults say the manager must report, by key.
std::map<QString, Expected> expectedFailures(Probe &probe, int c)
{
    std::map<QString, Expected> expected;
    const Scenario &scenario = probe.scenario();
    for (int s = 0; s < scenario.size(); ++s) {
        const ServiceRun &run = probe.runs()[size_t(c)].services[size_t(s)];
        const Behaviour &b = probe.behaviour(c, s);
        const QString name = QStringLiteral("s%1").arg(s);
        std::vector<Expected> all = run.fired;
        // A service deleted by a slot may be gone before its deadline.
        const bool optional = run.destroyed;
        if (b.startFault == HookFault::Timeout && run.startCalls > 0)
            all.push_back({Phase::Start,
                           {},
                           QStringLiteral("timed out after %1 ms").arg(b.startTimeoutMs),
                           false,
                           optional});
        if (b.stopFault == HookFault::Timeout && run.states.contains(State::Stopping))
            all.push_back({Phase::Stop,
                           {},
                           QStringLiteral("timed out after %1 ms; abandoned").arg(b.stopTimeoutMs),
                           true,
                           optional});
        for (const Expected &e : all) {
            const QString key = keyOf(name, e.phase, e.task);
            if (expected.count(key))
                probe.violation(QStringLiteral("fault %1 fired twice").arg(key));
            expected[key] = e;
        }
    }
    return expected;
}

void checkFailures(Probe &probe, int c, const QList<Failure> &final, Report &report)
{
    std::map<QString, Expected> expected = expectedFailures(probe, c);
    report.faults += int(expected.size());
    std::map<QString, int> seen;
    for (const Failure &failure : final) {
        const QString key = keyOf(failure.service, failure.phase, taskOf(failure));
        ++seen[key];
        const auto it = expected.find(key);
        if (it == expected.end()) {
            probe.violation(QStringLiteral("unexpected failure in the error: ") +
                            failure.toString());
            continue;
        }
        const Expected &e = it->second;
        const bool matches =
            e.prefix ? failure.message.startsWith(e.message) : failure.message == e.message;
        if (!matches)
            probe.violation(QStringLiteral("%1: message '%2', expected %3'%4'")
                                .arg(key, failure.message,
                                     e.prefix ? QStringLiteral("a prefix ") : QString(),
                                     e.message));
    }
    for (const auto &[key, e] : expected) {
        const int count = seen.count(key) ? seen[key] : 0;
        if (count != 1 && !(e.optional && count == 0))
            probe.violation(QStringLiteral("fault %1 appears %2 times in the aggregate error")
                                .arg(key)
                                .arg(count));
    }
}

void checkServiceHistory(Probe &probe, int c, int s, const QList<Failure> &final)
{
    const ServiceRun &run = probe.runs()[size_t(c)].services[size_t(s)];
    const QString name = QStringLiteral("s%1").arg(s);
    bool failed = false, startFailed = false, stopTimedOut = false;
    for (const Failure &failure : final) {
        if (failure.service != name)
            continue;
        failed = true;
        startFailed |= failure.phase == Phase::Start;
        stopTimedOut |=
            failure.phase == Phase::Stop && failure.message.startsWith(QLatin1String("timed out"));
    }
    const int failures = int(std::count_if(final.begin(), final.end(),
                                           [&](const Failure &f) { return f.service == name; }));
    if (run.errorSignals != failures && !run.destroyed) // a deleted service emits nothing
        probe.violation(QStringLiteral("%1: %2 errorOccurred signal(s) for %3 failure(s)")
                            .arg(name)
                            .arg(run.errorSignals)
                            .arg(failures));
    const QList<State> &seq = run.states;
    auto bad = [&](const QString &why) {
        probe.violation(
            QStringLiteral(
                "%1: %2 (states %3, start calls %4 returns %5 cancels %6, stop calls %7)")
                .arg(name, why, statesText(seq))
                .arg(run.startCalls)
                .arg(run.startReturns)
                .arg(run.startCancels)
                .arg(run.stopCalls));
    };
    if (run.startCalls > 1)
        bad(QStringLiteral("start() called more than once in a run"));
    if (run.destroyed)
        return; // deleted by a slot: its failure is checked with the run's, its history ends
    if (seq.isEmpty()) {
        if (run.startCalls != 0)
            bad(QStringLiteral("start() called without a Starting transition"));
        if (run.stopCalls != 0) // never started: a deferred service nothing asked for, say
            bad(QStringLiteral("stop() called on a service that did not start"));
        if (failed)
            bad(QStringLiteral("a failure of a service that was not started"));
        return;
    }
    const State last = seq.last();
    // With start policies the driver's own stop may come while deferred starts are in flight.
    const bool stopRequested =
        probe.reentrant() || probe.model(c).deferred || !probe.runs()[size_t(c)].demanded.empty()
            ? probe.runs()[size_t(c)].stopRequested
            : probe.scenario().cycles[size_t(c)].stopRequest != StopRequest::None;
    // Re-entrancy: a stop (requested, or after a failure) that comes between a service's
    // stateChanged(Starting) and the call of its start(), a slot's nested loop say, means that
    // start() is never called.
    const bool neverBegun = probe.reentrant() && (stopRequested || !final.isEmpty()) &&
                            run.startCalls == 0 && seq == QList{State::Starting, State::Stopped};
    if (run.startCalls != 1 && !neverBegun)
        bad(QStringLiteral("started without exactly one start() call"));
    if ((last == State::Failed) != failed)
        bad(failed ? QStringLiteral("has a failure but did not end Failed")
                   : QStringLiteral("ended Failed without a failure"));
    const QList<State> up = {State::Starting, State::Running, State::Stopping};
    if (seq.size() == 4 && seq.mid(0, 3) == up && settled(last)) {
        if (!run.startAccepted)
            bad(QStringLiteral("Running although its start() did not return in time"));
        if (run.stopCalls != 1 && !(stopTimedOut && run.stopCalls == 0))
            bad(QStringLiteral("a started service not stopped exactly once"));
        return;
    }
    if (run.startAccepted)
        bad(QStringLiteral("its start() returned in time but it never ran"));
    if (run.stopCalls != 0)
        bad(QStringLiteral("stop() called after a start that did not succeed"));
    if (seq == QList{State::Starting, State::Failed}) {
        if (!startFailed)
            bad(QStringLiteral("Starting -> Failed without a start failure"));
    } else if (seq == QList{State::Starting, State::Stopped}) {
        if (!neverBegun && (run.startCancels != 1 || !stopRequested))
            bad(QStringLiteral("Starting -> Stopped without a cancelled start"));
    } else {
        bad(QStringLiteral("state sequence outside the state diagram"));
    }
}

} // namespace

void checkCycle(Probe &probe, int c, const QList<Failure> &final, const CycleOutcomes &out,
                Report &report)
{
    probe.setCycle(c); // for the violations' prefix
    const CycleRun &run = probe.runs()[size_t(c)];
    if (probe.restarts()) {
        // Several incarnations per run, and failures that a restart answers (restarts.h).
        checkRestartRun(probe, c, final, report);
    } else {
        checkFailures(probe, c, final, report);
        for (int s = 0; s < probe.scenario().size(); ++s)
            checkServiceHistory(probe, c, s, final);
    }
    if (!probe.restarts() && run.managerErrorSignals != final.size())
        probe.violation(
            QStringLiteral("the manager emitted errorOccurred %1 time(s) for %2 failure(s)")
                .arg(run.managerErrorSignals)
                .arg(final.size()));
    const QList<State> &m = run.managerStates;
    const State last = m.isEmpty() ? State::Stopped : m.last();
    const bool shapeOk =
        (m.size() == 4 && m.mid(0, 3) == QList{State::Starting, State::Running, State::Stopping}) ||
        (m.size() == 3 && m.mid(0, 2) == QList{State::Starting, State::Stopping});
    if (!shapeOk || !settled(last))
        probe.violation(QStringLiteral("manager state sequence %1").arg(statesText(m)));
    if ((last == State::Failed) != !final.isEmpty())
        probe.violation(QStringLiteral("manager ended %1 with %2 failure(s)")
                            .arg(stateName(last))
                            .arg(final.size()));

    for (const QString &other : out.others)
        probe.violation(QStringLiteral("the manager threw something else than an Error: ") + other);
    const QStringList expected = failureTexts(final);
    const std::pair<const char *, const Outcome *> calls[] = {{"start()", &out.start},
                                                              {"joined start()", &out.secondStart},
                                                              {"wait()", &out.wait},
                                                              {"stop()", &out.stop}};
    bool anyThrew = false;
    for (const auto &[what, outcome] : calls) {
        anyThrew |= outcome->threw;
        if (outcome->threw && failureTexts(outcome->failures) != expected)
            probe.violation(QStringLiteral("%1 threw [%2], the run's error is [%3]")
                                .arg(QLatin1String(what),
                                     failureTexts(outcome->failures).join(QStringLiteral("; ")),
                                     expected.join(QStringLiteral("; "))));
    }
    if (out.lastOfCycle && anyThrew != !final.isEmpty())
        probe.violation(final.isEmpty() ? QStringLiteral("an Error was thrown by a clean run")
                                        : QStringLiteral("no call threw the run's Error: ") +
                                              expected.join(QStringLiteral("; ")));
    if (out.joined && out.start.threw != out.secondStart.threw)
        probe.violation(QStringLiteral("a joined start() ended differently from the first"));
}

CycleOutcomes outcomesOfRun(const Probe &probe, int run, const CycleOutcomes &cycle)
{
    if (!probe.reentrant())
        return cycle;
    const bool first = run == probe.runs()[size_t(run)].cycle;
    CycleOutcomes out;
    if (first)
        out.start = cycle.start;
    if (cycle.joined && cycle.secondStartRun == run) {
        out.secondStart = cycle.secondStart;
        out.joined = first; // compared with start() only when both joined this run
    }
    out.lastOfCycle = run == cycle.lastRun;
    if (out.lastOfCycle) {
        out.wait = cycle.wait;
        out.stop = cycle.stop;
        out.waited = cycle.waited;
        out.others = cycle.others;
    }
    return out;
}

void checkCycleEnd(Probe &probe, ServiceManager &manager, const QList<Failure> &final)
{
    if (!settled(manager.state()))
        probe.violation(
            QStringLiteral("manager %1 after its stop").arg(stateName(manager.state())));
    if (manager.progress() != 0.0)
        probe.violation(QStringLiteral("progress %1 after the stop").arg(manager.progress()));
    if (manager.stopProgress() != 1.0)
        probe.violation(
            QStringLiteral("stop progress %1 after the stop").arg(manager.stopProgress()));
    const QString errorText = final.isEmpty() ? QString() : Error(final).message();
    if (manager.errorString() != errorText)
        probe.violation(QStringLiteral("manager errorString '%1', expected '%2'")
                            .arg(manager.errorString(), errorText));
    const CycleRun &run = probe.runs()[size_t(probe.cycle())];
    for (int s = 0; s < probe.scenario().size(); ++s) {
        QService *service = probe.service(s);
        if (!service)
            continue; // deleted by a slot
        if (!settled(service->state()))
            probe.violation(QStringLiteral("s%1 %2 after the manager's stop")
                                .arg(s)
                                .arg(stateName(service->state())));
        if (run.services[size_t(s)].states.isEmpty() || probe.restarts())
            continue; // untouched: keeps the previous run's state and error; restarts.cpp
        std::optional<Failure> first;
        for (const Failure &failure : final)
            if (!first && failure.service == service->name())
                first = failure;
        const QString expectedText = first ? first->reason() : QString();
        if (service->errorString() != expectedText)
            probe.violation(QStringLiteral("s%1 errorString '%2', expected '%3'")
                                .arg(s)
                                .arg(service->errorString(), expectedText));
        if (bool(service->failure()) != bool(first))
            probe.violation(QStringLiteral("s%1 failure() does not match its errorString").arg(s));
    }
}

} // namespace QLifecycle::Property
