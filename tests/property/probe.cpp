#include "probe.h"

#include "reentrancy.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QMetaEnum>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <algorithm>
#include <coroutine>
#include <stdexcept>

namespace QLifecycle::Property {

using std::chrono::milliseconds;

const QString &nonStdText()
{
    static const QString text = QStringLiteral("unknown exception (not a std::exception)");
    return text;
}

namespace {

QString stateName(QService::State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<QService::State>().valueToKey(int(state)));
}

// Re-entrancy: while a nested loop runs (a slot's, or a hook's), the library may have taken a
// decision (a timeout) that the states show only once the code it notified returns. The
// aggregate error is checked for it in any case.
bool stateMayLag(const Probe *probe)
{
    return probe->reentrant() && nestedLoopDepth() > 0;
}

// Restarts: marks the end of a stop() however it ends.
class StopMark
{
public:
    StopMark(Probe *probe, int cycle, int index, int incarnation)
        : m_probe(probe), m_cycle(cycle), m_index(index), m_incarnation(incarnation)
    {
    }
    ~StopMark() { m_probe->mark(m_cycle, m_index, MarkKind::StopEnd, m_incarnation); }
    StopMark(const StopMark &) = delete;
    StopMark &operator=(const StopMark &) = delete;

private:
    Probe *m_probe;
    int m_cycle, m_index, m_incarnation;
};

} // namespace

Probe::Probe(const Scenario &scenario)
    : m_scenario(scenario), m_runs(scenario.cycles.size()), m_before(size_t(scenario.size())),
      m_after(size_t(scenario.size()))
{
    for (size_t c = 0; c < m_runs.size(); ++c) {
        m_runs[c].services.resize(size_t(scenario.size()));
        m_runs[c].cycle = int(c);
    }
    for (int d = 0; d < scenario.size(); ++d) {
        std::vector<int> earlierStages;
        for (const StageSpec &stage : scenario.deps[size_t(d)]) {
            for (int s : stage.services) {
                m_before[size_t(d)].push_back(s);
                m_before[size_t(s)].insert(m_before[size_t(s)].end(), earlierStages.begin(),
                                           earlierStages.end());
            }
            earlierStages.insert(earlierStages.end(), stage.services.begin(), stage.services.end());
        }
    }
    for (int s = 0; s < scenario.size(); ++s) {
        std::vector<int> &list = m_before[size_t(s)];
        std::sort(list.begin(), list.end());
        list.erase(std::unique(list.begin(), list.end()), list.end());
        for (int b : list)
            m_after[size_t(b)].push_back(s);
    }
    m_models = buildPolicyModels(scenario, m_before, scenario.strictPolicies);
}

void Probe::markDemanded(int service)
{
    std::vector<char> &marks = m_runs[size_t(m_cycle)].demanded;
    const std::vector<char> added = model(m_cycle).closure({service}, m_scenario.size());
    if (marks.empty())
        marks.assign(added.size(), 0);
    for (size_t s = 0; s < added.size(); ++s)
        marks[s] = char(marks[s] | added[s]);
}

int Probe::newRun()
{
    CycleRun run;
    run.services.resize(size_t(m_scenario.size()));
    run.cycle = m_runs[size_t(m_cycle)].cycle;
    for (const CycleRun &other : m_runs)
        run.restart += other.cycle == run.cycle ? 1 : 0;
    m_runs.push_back(std::move(run));
    m_cycle = int(m_runs.size()) - 1;
    return m_cycle;
}

HookLoops Probe::hookLoops(int cycle, int service) const
{
    if (!m_scenario.reentrancy)
        return {};
    return m_scenario.reentrancy->hooks[size_t(m_runs[size_t(cycle)].cycle)][size_t(service)];
}

void Probe::setServices(std::vector<QService *> services)
{
    m_services = std::move(services);
    m_destroyed.assign(m_services.size(), false);
    m_destroyedByTest.assign(m_services.size(), false);
}

void Probe::serviceDestroyed(int index)
{
    if (m_destroyed.empty())
        return;
    m_destroyed[size_t(index)] = true;
    if (!reentrant() || tearingDown)
        return;
    m_destroyedByTest[size_t(index)] = true;
    ServiceRun &run = record(m_cycle, index);
    run.destroyed = true;
    // What the run does with it (docs/lifecycle.md, Misuse): a failure if the graph needed it,
    // nothing otherwise. Read before ~QService tells the run.
    const QService::State state = m_services[size_t(index)]->state();
    const Need need = runNeeds(index, state);
    if (need == Need::No)
        return;
    const QString when = run.states.isEmpty() ? QStringLiteral("before it started")
                                              : QStringLiteral("while ") + stateName(state);
    run.fired.push_back({Phase::Run,
                         {},
                         QStringLiteral("destroyed %1; the graph is stopped").arg(when),
                         false,
                         need == Need::Maybe});
}

// The graph needs a service while its start() runs, while it runs and until its stop() has
// ended; and one that has not started yet while the start goes on, that is until a failure
// or a stop request gives the start up: services that never started are then not touched
// (docs/lifecycle.md, Failures, and "A stop requested at any moment counts").
//
// The run decides this the moment something happens, and only then shows the event, one
// signal after the other (docs/lifecycle.md, "A slot may do anything"): errorOccurred first,
// at the moment of the failure, while the failing service still shows its old state
// (docs/contract.md, "A crash goes Running, Stopping, Failed", and
// tst_failures::errorOccurredEmittedAtTheMomentOfFailure), then the progress, then the
// states. A slot on one of the first signals may spin a nested loop in which the service is
// deleted, and the states shown then are one step behind: the manager still Starting although
// a failure has given the start up, a service still Starting although its start() failed or
// was cancelled, or still Stopping although its stop() has ended. The manager's error() and
// what the hooks recorded are up to date, so they decide.
Probe::Need Probe::runNeeds(int index, QService::State state) const
{
    const CycleRun &cycleRun = m_runs[size_t(m_cycle)];
    const ServiceRun &run = cycleRun.services[size_t(index)];
    const std::optional<Error> error = manager ? manager->error() : std::nullopt;
    const QString name = QStringLiteral("s%1").arg(index);
    auto failedIn = [&](Phase phase) {
        return error &&
               std::any_of(error->failures().begin(), error->failures().end(),
                           [&](const Failure &f) { return f.service == name && f.phase == phase; });
    };
    const auto needIf = [](bool needed) { return needed ? Need::Yes : Need::No; };
    if (run.states.isEmpty()) { // not started in this run
        const QService::State shown = manager ? manager->state() : QService::State::Stopped;
        if ((shown != QService::State::Starting && shown != QService::State::Running) || error ||
            cycleRun.stopRequested)
            return Need::No;
        // With start policies (docs/lifecycle.md, "Start policies"): a service the start waits
        // for, or one asked for, is needed; one the policies start later is needed once its
        // moment came, which a nested loop may have let happen unseen.
        const PolicyModel &m = model(m_cycle);
        if (m.isEarly(index))
            return needIf(shown == QService::State::Starting);
        if (demanded(m_cycle, index))
            return Need::Yes;
        return m.frame[size_t(index)] || m.idle[size_t(index)] ? Need::Maybe : Need::No;
    }
    switch (state) {
    case QService::State::Starting:
        return needIf(!failedIn(Phase::Start) && run.startCancels == 0);
    case QService::State::Running:
        return Need::Yes;
    case QService::State::Stopping:
        return needIf(!failedIn(Phase::Stop) && run.stopReturns == 0);
    default:
        return Need::No;
    }
}

void Probe::violation(const QString &what)
{
    const CycleRun &run = m_runs[size_t(m_cycle)];
    if (run.restart == 0)
        m_violations.append(QStringLiteral("cycle %1: %2").arg(run.cycle).arg(what));
    else
        m_violations.append(
            QStringLiteral("cycle %1 (restart %2): %3").arg(run.cycle).arg(run.restart).arg(what));
}

void Probe::knownIssue(KnownIssue issue, const QString &what)
{
    if (m_scenario.strictPolicies)
        violation(what);
    else if (m_knownIssues[issue].isEmpty())
        m_knownIssues[issue] = what;
}

// With start policies (docs/lifecycle.md, "Start policies") an early service need not wait
// for a deferred prerequisite; once that one ran, it still stops after the service.
void Probe::checkBeforeRunning(int index, const char *when, bool stopping)
{
    const PolicyModel &model = this->model(m_cycle);
    const std::vector<int> &list = before(index);
    for (size_t k = 0; k < list.size(); ++k) {
        const int b = list[k];
        if (!service(b))
            continue; // destroyed by the test
        const quint8 rule = model.rule(index, k);
        const bool required =
            (rule & WaitAtStart) || (stopping && (rule & OutliveAtStop) &&
                                     record(m_cycle, b).states.contains(QService::State::Running));
        const QService::State state = service(b)->state();
        if (required && state != QService::State::Running)
            violation(QStringLiteral("s%1 %2 while s%3, which it needs, was %4")
                          .arg(index)
                          .arg(QLatin1String(when))
                          .arg(b)
                          .arg(stateName(state)));
    }
}

void Probe::checkAfterStopped(int index, const char *when)
{
    const PolicyModel &model = this->model(m_cycle);
    for (int a : after(index)) {
        if (!service(a))
            continue;
        const std::vector<int> &list = before(a);
        const size_t k = size_t(std::lower_bound(list.begin(), list.end(), index) - list.begin());
        if (!(model.rule(a, k) & OutliveAtStop))
            continue; // the library's reading of this graph: a known issue (policies.h)
        const QService::State state = service(a)->state();
        if (state != QService::State::Stopped && state != QService::State::Failed)
            violation(QStringLiteral("s%1 %2 while s%3, which needs it, was %4")
                          .arg(index)
                          .arg(QLatin1String(when))
                          .arg(a)
                          .arg(stateName(state)));
    }
}

ProbeService::ProbeService(Probe *probe, int index) : m_probe(probe), m_index(index)
{
    setObjectName(QStringLiteral("s%1").arg(index));
}

ProbeService::~ProbeService()
{
    m_probe->serviceDestroyed(m_index);
}

QString ProbeService::token(int cycle, const char *what) const
{
    return QStringLiteral("%1-s%2-c%3").arg(QLatin1String(what)).arg(m_index).arg(cycle);
}

QCoro::Task<> ProbeService::start()
{
    Probe *probe = m_probe;
    const int cycle = probe->cycle();
    const int index = m_index;
    const int incarnation = ++probe->record(cycle, index).startCalls;
    const Behaviour b =
        incarnationBehaviour(probe->scenario(), probe->cycleRun(cycle).cycle, index, incarnation);
    const int loopMs = probe->hookLoops(cycle, index).startMs;
    const QPointer<QService> self(this); // re-entrancy: a slot may delete it
    LiveCoroutine live(probe);
    probe->mark(cycle, index, MarkKind::StartCall, incarnation,
                b.startFault == HookFault::Timeout ? 1 : 0);
    probe->checkBeforeRunning(index, "start() began", false);
    addTasks(cycle, b);
    // Re-entrancy: a nested loop before the first suspension, counted in the hook's time.
    const qint64 spun = loopMs >= 0 ? spinNestedLoop(loopMs) : 0;
    if (!self)
        throw Cancelled(); // destroyed inside the loop: the run ignores this hook now

    if (b.startFault == HookFault::Timeout) {
        co_await PreciseSleep{milliseconds(b.startTimeoutMs + TimeoutMarginMs - spun)};
        co_await AfterPostedEvents{};
        ++probe->record(cycle, index).startReturns;
        probe->mark(cycle, index, MarkKind::StartReturn, incarnation);
        if (self && probe->cycle() == cycle && state() == State::Starting && !stateMayLag(probe) &&
            probe->record(cycle, index).startCalls == incarnation) // not restarted meanwhile
            probe->violation(QStringLiteral("s%1: start() outlived its %2 ms timeout unnoticed")
                                 .arg(index)
                                 .arg(b.startTimeoutMs));
        co_return;
    }
    if (b.startDelayMs > 0) {
        bool cancelled = false;
        try {
            co_await sleepFor(milliseconds(b.startDelayMs));
        } catch (const Cancelled &) {
            cancelled = true;
        }
        if (cancelled) {
            ++probe->record(cycle, index).startCancels;
            probe->mark(cycle, index, MarkKind::StartCancel, incarnation);
            throw Cancelled();
        }
        if (!self)
            throw Cancelled();
    }
    ServiceRun &run = probe->record(cycle, index);
    if (b.startFault == HookFault::Throw) {
        const QString what = token(cycle, "start");
        run.fired.push_back({Phase::Start, {}, what});
        probe->mark(cycle, index, MarkKind::StartThrow, incarnation);
        throw std::runtime_error(what.toStdString());
    }
    if (b.startFault == HookFault::ThrowNonStd) {
        run.fired.push_back({Phase::Start, {}, nonStdText()});
        probe->mark(cycle, index, MarkKind::StartThrow, incarnation);
        throw 42;
    }
    ++run.startReturns;
    run.startAccepted = self && probe->cycle() == cycle && state() == State::Starting;
    probe->mark(cycle, index, MarkKind::StartReturn, incarnation, run.startAccepted ? 1 : 0);
}

QCoro::Task<> ProbeService::stop()
{
    Probe *probe = m_probe;
    const int cycle = probe->cycle();
    const int index = m_index;
    const Behaviour b = probe->behaviour(cycle, index);
    const HookLoops loops = probe->hookLoops(cycle, index);
    const QPointer<QService> self(this);
    LiveCoroutine live(probe);
    ++probe->record(cycle, index).stopCalls;
    const int of = probe->record(cycle, index).startCalls;
    probe->mark(cycle, index, MarkKind::StopCall, of);
    const StopMark ended(probe, cycle, index, of);
    if (probe->reentrant())
        checkStopAllowed(*probe, cycle, index);
    probe->checkBeforeRunning(index, "stop() began", true);
    probe->checkAfterStopped(index, "stop() began");
    const qint64 spun =
        loops.stopMs >= 0
            ? spinNestedLoop(loops.stopMs, {}, loops.stopDialog ? probe->manager : nullptr)
            : 0;
    if (!self)
        co_return;

    if (b.stopFault == HookFault::Timeout) {
        co_await PreciseSleep{milliseconds(b.stopTimeoutMs + TimeoutMarginMs - spun)};
        co_await AfterPostedEvents{};
        ++probe->record(cycle, index).stopReturns;
        if (self && probe->cycle() == cycle && state() == State::Stopping && !stateMayLag(probe))
            probe->violation(QStringLiteral("s%1: stop() outlived its %2 ms timeout unnoticed")
                                 .arg(index)
                                 .arg(b.stopTimeoutMs));
        co_return;
    }
    if (b.stopDelayMs > 0)
        co_await sleepFor(milliseconds(b.stopDelayMs)); // not cancelled: the stop is on
    if (!self)
        co_return;
    ServiceRun &run = probe->record(cycle, index);
    if (b.stopFault == HookFault::Throw) {
        const QString what = token(cycle, "stop");
        run.fired.push_back({Phase::Stop, {}, what});
        throw std::runtime_error(what.toStdString());
    }
    if (b.stopFault == HookFault::ThrowNonStd) {
        run.fired.push_back({Phase::Stop, {}, nonStdText()});
        throw 42;
    }
    ++run.stopReturns;
    if (state() == State::Stopping) // not abandoned: what it needs still runs
        probe->checkBeforeRunning(index, "stop() returned", true);
}

std::chrono::milliseconds ProbeService::gracefulShutdownTimeout() const
{
    const Behaviour &b = m_probe->behaviour(m_probe->cycle(), m_index);
    if (b.stopFault == HookFault::Timeout)
        return milliseconds(b.stopTimeoutMs);
    return QService::gracefulShutdownTimeout();
}

std::optional<std::chrono::milliseconds> ProbeService::startTimeout() const
{
    const int cycle = m_probe->cycle();
    const Behaviour &b = m_probe->behaviour(cycle, m_index);
    if (b.startFault == HookFault::Timeout)
        return milliseconds(b.startTimeoutMs);
    const int ms =
        restartStartTimeoutMs(m_probe->scenario(), m_probe->cycleRun(cycle).cycle, m_index);
    if (ms >= 0)
        return milliseconds(ms);
    return std::nullopt;
}

} // namespace QLifecycle::Property
