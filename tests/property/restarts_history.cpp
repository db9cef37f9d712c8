#include "invariants.h"
#include "restarts.h"

// Restarts: the incarnations of one service in one run (restarts.h), from its marks.

namespace QLifecycle::Property {

using State = QService::State;
using Reported = CycleRun::Reported;

namespace {

QString nameOf(int s)
{
    return QStringLiteral("s%1").arg(s);
}

struct Segment {
    qint64 begin = 0, end = -1;
    QList<State> states;
    int failures = 0;
    bool stopTimeout = false;
};

// Each incarnation of a service on the state diagram: started once, stopped exactly once if
// its start succeeded, never if it failed; Failed exactly when it had a failure; each start
// after the first explained by a restartScheduled of the service.
} // namespace

void checkIncarnations(Probe &probe, int c, int s)
{
    const CycleRun &cycleRun = probe.runs()[size_t(c)];
    const ServiceRun &run = cycleRun.services[size_t(s)];
    if (run.destroyed)
        return; // deleted by a slot: its failure is checked with the run's, its history ends
    const QString name = nameOf(s);
    std::vector<Segment> segments;
    for (const Mark &m : run.marks) {
        if (m.kind != MarkKind::State)
            continue;
        if (State(m.value) == State::Starting || segments.empty())
            segments.push_back({m.seq, -1, {}, 0, false});
        segments.back().states.append(State(m.value));
        segments.back().end = m.seq;
    }
    for (const Reported &r : cycleRun.reported) {
        if (r.service != s)
            continue;
        Segment *owner = nullptr; // the incarnation it happened in, or the last before it
        for (Segment &segment : segments)
            if (segment.begin < r.seq)
                owner = &segment;
        if (!owner) {
            probe.violation(name + QStringLiteral(": a failure before it started: ") + r.message);
            continue;
        }
        ++owner->failures;
        owner->stopTimeout |=
            r.phase == Phase::Stop && r.message.startsWith(QLatin1String("timed out"));
    }
    int calls = 0;
    for (const Mark &m : run.marks)
        calls += m.kind == MarkKind::StartCall ? 1 : 0;
    const bool mapped = calls == int(segments.size());
    if (!mapped && !probe.reentrant())
        probe.violation(QStringLiteral("%1: %2 Starting transition(s) for %3 start() call(s)")
                            .arg(name)
                            .arg(segments.size())
                            .arg(calls));
    const QList<State> up = {State::Starting, State::Running, State::Stopping};
    for (size_t k = 0; k < segments.size(); ++k) {
        const Segment &segment = segments[k];
        const int incarnation = int(k) + 1;
        const QList<State> &seq = segment.states;
        auto bad = [&](const QString &why) {
            QStringList names;
            for (State state : seq)
                names.append(stateName(state));
            probe.violation(QStringLiteral("%1, incarnation %2: %3 (states [%4])")
                                .arg(name)
                                .arg(incarnation)
                                .arg(why, names.join(QLatin1Char(' '))));
        };
        const bool running = seq.size() == 4 && seq.mid(0, 3) == up && settled(seq.last());
        const bool shapeOk = running || seq == QList{State::Starting, State::Failed} ||
                             seq == QList{State::Starting, State::Stopped};
        if (!shapeOk) {
            bad(QStringLiteral("state sequence outside the state diagram"));
            continue;
        }
        if ((seq.last() == State::Failed) != (segment.failures > 0))
            bad(segment.failures ? QStringLiteral("had a failure but did not end Failed")
                                 : QStringLiteral("ended Failed without a failure"));
        if (k > 0) {
            bool scheduled = false;
            for (const Mark &m : run.marks)
                scheduled |= m.kind == MarkKind::Scheduled && m.seq > segments[k - 1].begin &&
                             m.seq < segment.begin;
            if (!scheduled)
                bad(QStringLiteral("started again without a restartScheduled"));
            // An abandoned stop may leave the instance alive: never restarted over.
            if (segments[k - 1].stopTimeout)
                bad(QStringLiteral("started again over an abandoned stop"));
        }
        if (cycleRun.stopRequestSeq >= 0 && segment.begin > cycleRun.stopRequestSeq &&
            !probe.reentrant())
            bad(QStringLiteral("began starting after the stop request"));
        if (!mapped)
            continue;
        bool accepted = false, cancelled = false;
        int stops = 0;
        for (const Mark &m : run.marks) {
            if (m.incarnation != incarnation)
                continue;
            accepted |= m.kind == MarkKind::StartReturn && m.value == 1;
            cancelled |= m.kind == MarkKind::StartCancel;
            stops += m.kind == MarkKind::StopCall ? 1 : 0;
        }
        if (running) {
            if (!accepted)
                bad(QStringLiteral("Running although its start() did not return in time"));
            if (stops != 1 && !(segment.stopTimeout && stops == 0))
                bad(QStringLiteral("a started incarnation stopped %1 time(s)").arg(stops));
            continue;
        }
        if (accepted)
            bad(QStringLiteral("its start() returned in time but it never ran"));
        if (stops != 0)
            bad(QStringLiteral("stop() called after a start that did not succeed"));
        if (seq.last() == State::Stopped) {
            bool member = false;
            for (const Mark &m : run.marks)
                member |=
                    m.kind == MarkKind::Scheduled && m.seq > segment.begin && m.seq < segment.end;
            if (!cancelled || !(cycleRun.stopRequested || member || probe.reentrant()))
                bad(QStringLiteral("Starting -> Stopped without a cancelled start"));
        }
    }
}

} // namespace QLifecycle::Property
