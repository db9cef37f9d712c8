#include "reentrancy.h"

#include "demands.h"
#include "invariants.h"
#include "probe.h"

#include <QLifecycle/ServiceManager>
#include <QLifecycle/ServiceModel>

#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QStringList>
#include <QtCore/QTimer>

#include <algorithm>

namespace QLifecycle::Property {

using std::chrono::milliseconds;
using State = QService::State;

namespace {

constexpr int MaxLoopDepth = 2;    // nested loops of the test inside one another
constexpr int LongDialogMs = 3500; // the longest a dialog at the top of stop() stays open
int s_loopDepth = 0;
qint64 s_loopsSpun = 0;

// A generator of its own, so that the scenario drawn from the seed stays the same.
quint64 mix(quint64 seed)
{
    quint64 z = seed + 0x9e3779b97f4a7c15ull; // splitmix64
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

bool hasState(ReactionSource source)
{
    return source == ReactionSource::ServiceState || source == ReactionSource::ManagerState;
}

ReactionSource source(Choices &choices)
{
    const int pick = choices.upTo(100);
    if (pick < 30)
        return ReactionSource::ServiceState;
    if (pick < 40)
        return ReactionSource::ServiceError;
    if (pick < 60)
        return ReactionSource::ManagerState;
    if (pick < 70)
        return ReactionSource::ManagerError;
    if (pick < 80)
        return ReactionSource::Progress;
    if (pick < 90)
        return ReactionSource::ModelData;
    return pick < 93 ? ReactionSource::ModelReset : ReactionSource::ModelRows;
}

ReactionAction action(Choices &choices)
{
    const int pick = choices.upTo(100);
    if (pick < 45)
        return ReactionAction::Loop;
    if (pick < 55)
        return ReactionAction::LoopThenStop;
    if (pick < 75)
        return ReactionAction::RequestStop;
    return pick < 97 ? ReactionAction::RequestStart : ReactionAction::Delete;
}

int hookLoop(Choices &choices, int rate, HookFault fault, int timeoutMs)
{
    if (!choices.chance(rate))
        return -1;
    // A hook with a Timeout fault spends part or all of its time in the loop.
    return fault == HookFault::Timeout ? choices.between(0, timeoutMs + TimeoutMarginMs)
                                       : choices.between(0, 30);
}

} // namespace

void addReentrancy(Scenario &scenario, quint64 seed)
{
    RandomChoices choices(mix(seed));
    Reentrancy re;
    const int size = scenario.size();
    const int cycles = int(scenario.cycles.size());
    const int loopRates[] = {0, 0, 3, 8, 20};
    int loopRate = loopRates[choices.upTo(5)];
    if (size > 40)
        loopRate /= 4;
    re.hooks.resize(size_t(cycles));
    for (int c = 0; c < cycles; ++c) {
        re.hooks[size_t(c)].resize(size_t(size));
        for (int s = 0; s < size; ++s) {
            const Behaviour &b = scenario.cycles[size_t(c)].behaviours[size_t(s)];
            HookLoops &h = re.hooks[size_t(c)][size_t(s)];
            h.startMs = hookLoop(choices, loopRate, b.startFault, b.startTimeoutMs);
            h.stopMs = hookLoop(choices, loopRate, b.stopFault, b.stopTimeoutMs);
        }
    }
    // Now and then a modal dialog at the top of a hook, open well past the hook's timeout.
    if (choices.chance(3)) {
        const int c = choices.upTo(cycles), s = choices.upTo(size);
        Behaviour &b = scenario.cycles[size_t(c)].behaviours[size_t(s)];
        b.startFault = HookFault::Timeout;
        b.startTimeoutMs = choices.between(20, 50);
        re.hooks[size_t(c)][size_t(s)].startMs = choices.between(100, 300);
    }
    // And a dialog at the top of stop(), closed once the graph has stopped: it costs nothing
    // when the stop goes on without it, as it must.
    if (choices.chance(2)) {
        const int c = choices.upTo(cycles), s = choices.upTo(size);
        Behaviour &b = scenario.cycles[size_t(c)].behaviours[size_t(s)];
        b.stopFault = HookFault::Timeout;
        b.stopTimeoutMs = choices.between(30, 60);
        re.hooks[size_t(c)][size_t(s)].stopMs = LongDialogMs;
        re.hooks[size_t(c)][size_t(s)].stopDialog = true;
    }

    const int tier = choices.upTo(100);
    const int count = tier < 20 ? 0 : tier < 70 ? choices.between(1, 3) : choices.between(4, 8);
    bool deletes = false;
    for (int k = 0; k < count; ++k) {
        Reaction r;
        r.source = source(choices);
        r.service = choices.upTo(size);
        r.state = hasState(r.source) && !choices.chance(30) ? choices.upTo(5) : -1;
        r.skip = choices.chance(50) ? 0 : choices.upTo(4);
        r.times = choices.between(1, 3);
        r.action = action(choices);
        r.loopMs = choices.between(0, 30);
        r.victim = choices.upTo(size - 1); // never the root, the last service
        if (r.action == ReactionAction::Delete) {
            if (deletes || size < 2)
                r.action = ReactionAction::Loop; // one deletion at most, and never the root
            deletes = true;
            r.times = 1;
        }
        re.reactions.push_back(r);
    }
    // With start policies, slots ask for services too, mostly deferred ones (drawn last: the
    // reactions above are those of the seed before policies existed).
    std::vector<int> deferred;
    for (int s = 0; s < size; ++s)
        if (std::any_of(scenario.cycles.begin(), scenario.cycles.end(),
                        [s](const Cycle &cycle) { return cycle.policy(s) != Policy::Eager; }))
            deferred.push_back(s);
    const int demands = deferred.empty() || !choices.chance(50) ? 0 : choices.between(1, 2);
    for (int k = 0; k < demands; ++k) {
        Reaction r;
        r.source = source(choices);
        r.service = choices.upTo(size);
        r.state = hasState(r.source) && !choices.chance(30) ? choices.upTo(5) : -1;
        r.skip = choices.upTo(3);
        r.times = choices.between(1, 2);
        r.action = ReactionAction::EnsureRunning;
        r.victim = choices.chance(80) ? deferred[size_t(choices.upTo(int(deferred.size())))]
                                      : choices.upTo(size);
        re.reactions.push_back(r);
    }
    scenario.reentrancy = std::move(re);
}

QString describeReentrancy(const Scenario &scenario)
{
    static const char *sources[] = {
        "stateChanged",    "errorOccurred",     "manager stateChanged", "manager errorOccurred",
        "progressChanged", "model dataChanged", "model modelReset",     "model rowsInserted"};
    static const char *states[] = {"Stopped", "Starting", "Running", "Stopping", "Failed"};
    const Reentrancy &re = *scenario.reentrancy;
    QStringList lines;
    lines.append(QStringLiteral("re-entrancy: %1 reaction(s)").arg(re.reactions.size()));
    for (size_t k = 0; k < re.reactions.size(); ++k) {
        const Reaction &r = re.reactions[k];
        QString on = QLatin1String(sources[int(r.source)]);
        if (r.source == ReactionSource::ServiceState || r.source == ReactionSource::ServiceError)
            on = QStringLiteral("s%1 ").arg(r.service) + on;
        if (r.state >= 0)
            on += QStringLiteral("(%1)").arg(QLatin1String(states[r.state]));
        QString what;
        switch (r.action) {
        case ReactionAction::Loop:
            what = QStringLiteral("nested loop %1 ms").arg(r.loopMs);
            break;
        case ReactionAction::LoopThenStop:
            what = QStringLiteral("nested loop %1 ms, requestStop() inside").arg(r.loopMs);
            break;
        case ReactionAction::RequestStop:
            what = QStringLiteral("requestStop()");
            break;
        case ReactionAction::RequestStart:
            what = QStringLiteral("requestStart()");
            break;
        case ReactionAction::Delete:
            what = QStringLiteral("s%1->deleteLater()").arg(r.victim);
            break;
        case ReactionAction::EnsureRunning:
            what = QStringLiteral("ensureRunning(s%1)").arg(r.victim);
            break;
        }
        lines.append(QStringLiteral("  r%1: on %2, skip %3, %4 time(s): %5")
                         .arg(k)
                         .arg(on)
                         .arg(r.skip)
                         .arg(r.times)
                         .arg(what));
    }
    for (size_t c = 0; c < re.hooks.size(); ++c) {
        for (size_t s = 0; s < re.hooks[c].size(); ++s) {
            const HookLoops &h = re.hooks[c][s];
            QStringList parts;
            if (h.startMs >= 0)
                parts.append(QStringLiteral("start() loop %1 ms").arg(h.startMs));
            if (h.stopDialog)
                parts.append(QStringLiteral("stop() dialog up to %1 ms, closed once the graph "
                                            "stopped")
                                 .arg(h.stopMs));
            else if (h.stopMs >= 0)
                parts.append(QStringLiteral("stop() loop %1 ms").arg(h.stopMs));
            if (!parts.isEmpty())
                lines.append(QStringLiteral("  cycle %1 s%2: %3")
                                 .arg(c)
                                 .arg(s)
                                 .arg(parts.join(QStringLiteral("; "))));
        }
    }
    return lines.join(QLatin1Char('\n'));
}

qint64 spinNestedLoop(int ms, const std::function<void()> &midway, const ServiceManager *closeOn)
{
    if (s_loopDepth >= MaxLoopDepth)
        return 0;
    QElapsedTimer clock;
    clock.start();
    ++s_loopDepth;
    ++s_loopsSpun;
    {
        QEventLoop loop;
        QTimer::singleShot(milliseconds(ms), Qt::PreciseTimer, &loop, &QEventLoop::quit);
        if (midway)
            QTimer::singleShot(milliseconds(ms / 2), Qt::PreciseTimer, &loop, midway);
        if (closeOn)
            QObject::connect(closeOn, &ServiceManager::stateChanged, &loop, [&loop](State state) {
                if (settled(state))
                    loop.quit();
            });
        loop.exec();
    }
    --s_loopDepth;
    return clock.elapsed();
}

qint64 nestedLoopsSpun()
{
    return s_loopsSpun;
}

int nestedLoopDepth()
{
    return s_loopDepth;
}

// ---- the slots ----------------------------------------------------------------------------

ReentrancyRig::ReentrancyRig(Probe &probe, ServiceManager &manager)
    : m_probe(probe), m_manager(manager), m_model(std::make_unique<ServiceModel>())
{
    m_model->setManager(&manager);
    const size_t count = probe.scenario().reentrancy->reactions.size();
    m_seen.assign(count, 0);
    m_acted.assign(count, 0);
    for (size_t r = 0; r < count; ++r)
        connectReaction(int(r));
}

ReentrancyRig::~ReentrancyRig() = default;

void ReentrancyRig::beginCycle()
{
    std::fill(m_seen.begin(), m_seen.end(), 0);
    std::fill(m_acted.begin(), m_acted.end(), 0);
    m_probe.reactionsArmed = true;
    m_probe.restartsOpen = !m_probe.deletionRequested;
}

void ReentrancyRig::endCycle()
{
    m_probe.reactionsArmed = false;
    m_probe.restartsOpen = false;
}

void ReentrancyRig::connectReaction(int r)
{
    const Reaction &x = m_probe.scenario().reentrancy->reactions[size_t(r)];
    QService *service = m_probe.service(x.service);
    ServiceModel *model = m_model.get();
    const int want = x.state;
    auto onState = [this, r, want](State state) {
        if (want < 0 || int(state) == want)
            react(r);
    };
    auto plain = [this, r] { react(r); };
    switch (x.source) {
    case ReactionSource::ServiceState:
        QObject::connect(service, &QService::stateChanged, &m_context, onState);
        break;
    case ReactionSource::ServiceError:
        QObject::connect(service, &QService::errorOccurred, &m_context, plain);
        break;
    case ReactionSource::ManagerState:
        QObject::connect(&m_manager, &ServiceManager::stateChanged, &m_context, onState);
        break;
    case ReactionSource::ManagerError:
        QObject::connect(&m_manager, &ServiceManager::errorOccurred, &m_context, plain);
        break;
    case ReactionSource::Progress:
        QObject::connect(&m_manager, &ServiceManager::progressChanged, &m_context, plain);
        break;
    case ReactionSource::ModelData:
        QObject::connect(model, &QAbstractItemModel::dataChanged, &m_context, plain);
        break;
    case ReactionSource::ModelReset:
        QObject::connect(model, &QAbstractItemModel::modelReset, &m_context, plain);
        break;
    case ReactionSource::ModelRows:
        QObject::connect(model, &QAbstractItemModel::rowsInserted, &m_context, plain);
        break;
    }
}

void ReentrancyRig::requestStop()
{
    m_probe.noteStopRequest();
    m_manager.requestStop();
}

void ReentrancyRig::react(int r)
{
    if (!m_probe.reactionsArmed || m_probe.tearingDown)
        return;
    const Reaction &x = m_probe.scenario().reentrancy->reactions[size_t(r)];
    if (m_seen[size_t(r)]++ < x.skip || m_acted[size_t(r)] >= x.times)
        return;
    ++m_acted[size_t(r)];
    switch (x.action) {
    case ReactionAction::Loop:
        spinNestedLoop(x.loopMs);
        break;
    case ReactionAction::LoopThenStop:
        spinNestedLoop(x.loopMs, [this] { requestStop(); });
        break;
    case ReactionAction::RequestStop:
        requestStop();
        break;
    case ReactionAction::RequestStart: {
        // Restarting a stopped graph is a new run of the cycle, allowed until the driver
        // stops the graph for good, and never with a deleted service in the graph.
        const State state = m_manager.state();
        if (settled(state) && (!m_probe.restartsOpen || m_probe.deletionRequested))
            break;
        m_manager.requestStart();
        break;
    }
    case ReactionAction::Delete:
        if (QService *victim = m_probe.service(x.victim); victim && !m_probe.deletionRequested) {
            m_probe.deletionRequested = true; // the graph can no longer be read
            m_probe.restartsOpen = false;
            victim->deleteLater();
        }
        break;
    case ReactionAction::EnsureRunning:
        demand(m_probe, m_manager, x.victim, true);
        break;
    }
}

} // namespace QLifecycle::Property
