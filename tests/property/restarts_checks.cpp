#include "invariants.h"
#include "restarts.h"

#include <algorithm>
#include <limits>
#include <map>

// The invariants of a run with restart policies (src/manager/graphrun_restart.cpp,
// tst_supervision), from the services' marks and the manager's signals (restarts.cpp): every
// fault reported once, as a restart or in the run's error; every incarnation of a service on the
// state diagram, stopped exactly once if it started; each restart round stops all its members
// before any starts again; no restart past the intensity or for a policy that does not ask for it.

namespace QLifecycle::Property {

using State = QService::State;
using Mode = RestartPolicy::Mode;
using Reported = CycleRun::Reported;

namespace {

QString nameOf(int s)
{
    return QStringLiteral("s%1").arg(s);
}

// The state of a service just before `seq`, Stopped when it had none.
State stateAt(const ServiceRun &run, qint64 seq)
{
    State state = State::Stopped;
    for (const Mark &m : run.marks)
        if (m.seq < seq && m.kind == MarkKind::State)
            state = State(m.value);
    return state;
}

bool stopInFlightAt(const ServiceRun &run, qint64 seq)
{
    int open = 0;
    for (const Mark &m : run.marks)
        if (m.seq < seq)
            open += m.kind == MarkKind::StopCall ? 1 : m.kind == MarkKind::StopEnd ? -1 : 0;
    return open > 0;
}

// Whether `service` waited for a restart already scheduled for it when `seq` happened.
bool joiningAt(const ServiceRun &run, qint64 seq)
{
    bool pending = false;
    for (const Mark &m : run.marks) {
        if (m.seq >= seq)
            break;
        if (m.kind == MarkKind::Scheduled)
            pending = true;
        else if (m.kind == MarkKind::State && m.value == int(State::Starting))
            pending = false;
    }
    return pending;
}

bool isDaemonExit(const QString &message)
{
    return message.startsWith(QLatin1String("daemon task ")) &&
           message.contains(QLatin1String("exited while the service was running"));
}

// Every failure reported once, each one a fault that fired; the run's error a part of them.
// Returns, per reported failure, whether the run's error lists it.
std::vector<char> checkReported(Probe &probe, int c, const QList<Failure> &final, Report &report)
{
    const CycleRun &run = probe.runs()[size_t(c)];
    const Scenario &scenario = probe.scenario();
    std::vector<std::pair<int, Expected>> expected;
    for (int s = 0; s < scenario.size(); ++s) {
        const ServiceRun &service = run.services[size_t(s)];
        for (const Expected &e : service.fired)
            expected.emplace_back(s, e);
        const Behaviour &base = probe.behaviour(c, s);
        for (const Mark &m : service.marks) {
            if (m.kind == MarkKind::StartCall && m.value == 1) {
                const int ms =
                    incarnationBehaviour(scenario, run.cycle, s, m.incarnation).startTimeoutMs;
                expected.emplace_back(
                    s, Expected{Phase::Start, {}, QStringLiteral("timed out after %1 ms").arg(ms)});
            }
            if (m.kind == MarkKind::State && m.value == int(State::Stopping) &&
                base.stopFault == HookFault::Timeout)
                expected.emplace_back(
                    s,
                    Expected{
                        Phase::Stop,
                        {},
                        QStringLiteral("timed out after %1 ms; abandoned").arg(base.stopTimeoutMs),
                        true});
        }
        if (service.destroyed)
            for (auto &[index, e] : expected)
                if (index == s)
                    e.optional = true;
    }
    report.faults += int(expected.size());
    std::vector<char> used(expected.size(), 0);
    for (Reported r : run.reported) {
        // A service a slot deleted is reported as gone: its name is in the run's error.
        for (const Failure &f : final)
            if (r.service < 0 && f.phase == r.phase && f.message == r.message)
                r.service = f.service.mid(1).toInt();
        bool found = false;
        for (size_t k = 0; k < expected.size() && !found; ++k) {
            const auto &[s, e] = expected[k];
            if (used[k] || s != r.service || e.phase != r.phase)
                continue;
            const bool matches =
                e.prefix
                    ? r.message.startsWith(e.message)
                    : r.message == e.message ||
                          r.message.startsWith(e.message + QStringLiteral("; not restarted: "));
            if (matches)
                used[k] = found = true;
        }
        if (!found)
            probe.violation(QStringLiteral("%1 reported a failure no fault caused: %2: %3")
                                .arg(nameOf(r.service), phaseName(r.phase), r.message));
    }
    for (size_t k = 0; k < expected.size(); ++k)
        if (!used[k] && !expected[k].second.optional)
            probe.violation(QStringLiteral("%1: fault '%2' (%3) fired but was never reported")
                                .arg(nameOf(expected[k].first), expected[k].second.message,
                                     phaseName(expected[k].second.phase)));
    // Identical failures (a crash of every incarnation): the error lists the last ones, those
    // after which nothing is restarted.
    std::vector<char> inFinal(run.reported.size(), 0);
    for (auto it = final.rbegin(); it != final.rend(); ++it) {
        const Failure &f = *it;
        bool found = false;
        for (size_t k = run.reported.size(); k-- > 0 && !found;) {
            const Reported &r = run.reported[k];
            if (!inFinal[k] && (r.service < 0 || nameOf(r.service) == f.service) &&
                r.phase == f.phase && r.message == f.message)
                inFinal[k] = found = true;
        }
        if (!found)
            probe.violation(QStringLiteral("the run's error lists a failure never reported: ") +
                            f.toString());
    }
    return inFinal;
}

// A failure the run answered with a restart: one the service's policy asks for, or one of a
// service already waiting for a restart; never after a stop request. A failure of a service
// whose policy asks for a restart, while the run went on, is restarted or given up with a
// reason (restartsExhausted).
void checkRestarted(Probe &probe, int c, const std::vector<char> &inFinal)
{
    const CycleRun &run = probe.runs()[size_t(c)];
    const RestartSpec &spec = *probe.scenario().restarts;
    qint64 firstFinal = -1;
    for (size_t k = 0; k < run.reported.size(); ++k) {
        const Reported &r = run.reported[k];
        if (r.service < 0)
            continue;
        const RestartPolicy &policy = spec.policies[size_t(r.service)];
        const ServiceRun &service = run.services[size_t(r.service)];
        const bool asks = policy.mode == Mode::Always ||
                          (policy.mode == Mode::OnFailure && !isDaemonExit(r.message));
        const QString what =
            QStringLiteral("%1 (%2): %3").arg(nameOf(r.service), phaseName(r.phase), r.message);
        if (!inFinal[k]) {
            if (!asks && !joiningAt(service, r.seq))
                probe.violation(
                    QStringLiteral("restarted a failure its policy does not restart: ") + what);
            // Re-entrancy: a slot on an earlier signal of the same event (the model's, the
            // progress) may ask for the stop after the run decided: not checked then.
            if (run.stopRequestSeq >= 0 && r.decided > run.stopRequestSeq && !probe.reentrant())
                probe.violation(QStringLiteral("restarted a failure after the stop request: ") +
                                what);
            if (firstFinal >= 0)
                probe.violation(QStringLiteral("restarted a failure after a final one: ") + what);
            continue;
        }
        const bool going = firstFinal < 0 &&
                           (run.stopRequestSeq < 0 || r.decided < run.stopRequestSeq) &&
                           r.phase != Phase::Stop && !probe.reentrant();
        if (firstFinal < 0)
            firstFinal = r.seq;
        const State shown = stateAt(service, r.seq);
        State manager = State::Stopped;
        for (const auto &[seq, state] : run.managerMarks)
            if (seq < r.seq)
                manager = state;
        if (going && asks && (shown == State::Starting || shown == State::Running) &&
            (manager == State::Starting || manager == State::Running) &&
            !r.message.contains(QLatin1String("; not restarted: ")))
            probe.violation(QStringLiteral("neither restarted nor given up: ") + what);
    }
    // Every refusal has its reason in the run's error, and is the one the intensity gives.
    for (const CycleRun::Exhausted &x : run.exhausted) {
        const QString suffix = QStringLiteral("; not restarted: ") + x.reason;
        bool listed = false;
        int restarted = 0;
        for (size_t k = 0; k < run.reported.size(); ++k) {
            const Reported &r = run.reported[k];
            listed |= inFinal[k] && r.service == x.service && r.message.contains(suffix);
            restarted += !inFinal[k] && r.service == x.service && r.seq < x.seq ? 1 : 0;
        }
        const QString who = nameOf(x.service);
        if (!listed)
            probe.violation(QStringLiteral("restartsExhausted(%1, '%2') but the run's error does "
                                           "not say so")
                                .arg(who, x.reason));
        if (x.service < 0)
            continue;
        const RestartPolicy &policy = spec.policies[size_t(x.service)];
        const int graphMax = spec.managerMaxRestarts.value_or(1000);
        if (x.reason.startsWith(
                QStringLiteral("more than %1 restart(s) of the graph").arg(graphMax))) {
            if (x.round != graphMax)
                probe.violation(QStringLiteral("%1 given up at the manager's intensity %2 after "
                                               "%3 restart round(s)")
                                    .arg(who)
                                    .arg(graphMax)
                                    .arg(x.round));
        } else if (x.reason.startsWith(
                       QStringLiteral("more than %1 restart(s) within").arg(policy.maxRestarts))) {
            if (restarted < policy.maxRestarts)
                probe.violation(QStringLiteral("%1 given up at its intensity %2 after %3 "
                                               "restarted failure(s)")
                                    .arg(who)
                                    .arg(policy.maxRestarts)
                                    .arg(restarted));
        } else if (x.reason != QLatin1String("its stop was abandoned")) {
            probe.violation(
                QStringLiteral("%1 given up for an unknown reason: %2").arg(who, x.reason));
        }
    }
}

// Each restartScheduled: the failed service first, then only services that need it, and
// every service that needs it and was starting or running; the rounds of the manager's
// restartCount within the intensity; in each round, every member has stopped (its stop()
// ended) before any member starts again.
void checkRounds(Probe &probe, int c)
{
    const CycleRun &run = probe.runs()[size_t(c)];
    const Scenario &scenario = probe.scenario();
    const RestartSpec &spec = *scenario.restarts;
    const int size = scenario.size();
    // Transitive dependents by the declared edges.
    std::vector<std::vector<int>> dependents(static_cast<size_t>(size));
    for (int d = 0; d < size; ++d)
        for (const StageSpec &stage : scenario.deps[size_t(d)])
            for (int s : stage.services)
                dependents[size_t(s)].push_back(d);
    const auto closure = [&](int from) {
        std::vector<char> in(size_t(size), 0);
        std::vector<int> pending{from};
        while (!pending.empty()) {
            const int next = pending.back();
            pending.pop_back();
            if (std::exchange(in[size_t(next)], 1))
                continue;
            for (int d : dependents[size_t(next)])
                pending.push_back(d);
            for (int d : probe.after(next)) // stage order: a later stage of a dependent
                pending.push_back(d);
        }
        return in;
    };
    // A failure while the members of a restart stop or wait joins it; one after a member began
    // starting again begins a new round (graphrun_restart.cpp).
    std::map<int, std::map<int, qint64>> members; // per round, each member and when it joined
    std::map<int, qint64> joined;                 // when each round began
    // A start of a new incarnation: its Starting, or a start() call of an incarnation after
    // those begun before `since` (re-entrancy: a slot's nested loop may delay the call of the
    // start() that began before).
    const auto startsAgain = [&](int m, qint64 since, qint64 before) {
        int begun = 0;
        for (const Mark &mark : run.services[size_t(m)].marks) {
            const bool starting =
                mark.kind == MarkKind::State && mark.value == int(State::Starting);
            if (mark.seq < since) {
                begun += starting ? 1 : 0;
            } else if (mark.seq < before && (starting || (mark.kind == MarkKind::StartCall &&
                                                          mark.incarnation > begun))) {
                return mark.seq;
            }
        }
        return qint64(-1);
    };
    int round = 0;
    for (const CycleRun::Scheduled &x : run.scheduled) {
        bool started = round == 0;
        for (const auto &[m, since] : members[round])
            started |= startsAgain(m, since, x.seq) >= 0;
        if (started)
            ++round;
        if (x.service < 0)
            continue;
        const QString who = nameOf(x.service);
        if (x.members.isEmpty() || x.members.first() != who)
            probe.violation(QStringLiteral("restartScheduled(%1) lists [%2]")
                                .arg(who, x.members.join(QLatin1Char(' '))));
        const std::vector<char> needs = closure(x.service);
        if (!joined.count(round))
            joined[round] = x.seq;
        std::map<int, qint64> &set = members[round];
        for (const QString &name : x.members) {
            const int m = name.mid(1).toInt();
            if (m < 0 || m >= size || !needs[size_t(m)])
                probe.violation(QStringLiteral("the restart of %1 takes %2, which does not need it")
                                    .arg(who, name));
            else
                set.emplace(m, x.seq);
        }
        for (int d = 0; d < size; ++d) {
            if (d == x.service || set.count(d) || !needs[size_t(d)])
                continue;
            bool direct = false; // by the declared edges only: what the library calls needs
            for (const auto &[s, since] : set)
                direct |= std::find(dependents[size_t(s)].begin(), dependents[size_t(s)].end(),
                                    d) != dependents[size_t(s)].end();
            const State state = stateAt(run.services[size_t(d)], x.seq);
            if (direct && (state == State::Starting || state == State::Running))
                probe.violation(QStringLiteral("the restart of %1 leaves out %2, which needs it "
                                               "and was %3")
                                    .arg(who, nameOf(d), stateName(state)));
        }
    }
    // Each restartScheduled of a failed service is a round that counts towards its own
    // intensity (a failure that joins a restart it is in already adds no member, no signal).
    for (int s = 0; s < size; ++s) {
        const int own = int(std::count_if(run.scheduled.begin(), run.scheduled.end(),
                                          [s](const auto &x) { return x.service == s; }));
        const RestartPolicy &policy = spec.policies[size_t(s)];
        const int most = policy.mode == Mode::Never ? 0 : policy.maxRestarts;
        if (own > most)
            probe.violation(QStringLiteral("%1 restarted %2 time(s) for its own failures, its "
                                           "policy allows %3")
                                .arg(nameOf(s))
                                .arg(own)
                                .arg(most));
    }
    if (round != run.restartCount)
        probe.violation(QStringLiteral("restartCount %1 for %2 round(s) of restartScheduled")
                            .arg(run.restartCount)
                            .arg(round));
    if (spec.managerMaxRestarts && run.restartCount > *spec.managerMaxRestarts)
        probe.violation(QStringLiteral("%1 restart round(s), above the manager's intensity %2")
                            .arg(run.restartCount)
                            .arg(*spec.managerMaxRestarts));
    for (const auto &[r, set] : members) {
        qint64 first = -1; // the first start of a member after it joined
        for (const auto &[m, since] : set)
            if (const qint64 seq = startsAgain(m, since, std::numeric_limits<qint64>::max());
                seq >= 0 && (first < 0 || seq < first))
                first = seq;
        if (first < 0)
            continue;
        for (const auto &[m, since] : set) {
            const ServiceRun &service = run.services[size_t(m)];
            const State state = stateAt(service, first);
            if ((state != State::Stopped && state != State::Failed) ||
                stopInFlightAt(service, first))
                probe.violation(QStringLiteral("restart round %1: a member started again while "
                                               "%2 was %3%4")
                                    .arg(r)
                                    .arg(nameOf(m), stateName(state),
                                         stopInFlightAt(service, first)
                                             ? QStringLiteral(" with its stop() running")
                                             : QString()));
        }
    }
}

} // namespace

void checkRestartRun(Probe &probe, int c, const QList<Failure> &final, Report &report)
{
    const std::vector<char> inFinal = checkReported(probe, c, final, report);
    checkRestarted(probe, c, inFinal);
    checkRounds(probe, c);
    const CycleRun &run = probe.runs()[size_t(c)];
    for (int s = 0; s < probe.scenario().size(); ++s) {
        checkIncarnations(probe, c, s);
        const ServiceRun &service = run.services[size_t(s)];
        const int reported = int(std::count_if(run.reported.begin(), run.reported.end(),
                                               [s](const Reported &r) { return r.service == s; }));
        if (service.errorSignals != reported && !service.destroyed)
            probe.violation(QStringLiteral("s%1: %2 errorOccurred signal(s), the manager's %3")
                                .arg(s)
                                .arg(service.errorSignals)
                                .arg(reported));
    }
    if (run.managerErrorSignals != int(run.reported.size()))
        probe.violation(QStringLiteral("the manager emitted errorOccurred %1 time(s), recorded %2")
                            .arg(run.managerErrorSignals)
                            .arg(run.reported.size()));
    report.restartRounds += run.restartCount;
    report.restartsGivenUp += int(run.exhausted.size());
}

} // namespace QLifecycle::Property
