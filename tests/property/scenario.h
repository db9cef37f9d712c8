#pragma once

// Random lifecycle scenarios for the property test and the fuzzer: a dependency graph plus,
// for each start/stop cycle, what every service does (delays, faults, tasks) and when the
// driver asks for a stop. The generator draws every decision from a Choices source, so that
// the same code turns either a seed (std::mt19937_64) or fuzz bytes into a scenario.

#include "restarts.h"

#include <QtCore/QString>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace QLifecycle::Property {

// Where the generator's decisions come from. draw(n) is in [0, n); 0 always means the
// plainest option (no fault, no delay, small graph), so that an exhausted fuzz input still
// describes a valid, quiet scenario.
class Choices
{
public:
    virtual ~Choices() = default;
    virtual quint32 draw(quint32 bound) = 0;

    int upTo(int bound) { return bound <= 1 ? 0 : int(draw(quint32(bound))); }
    int between(int low, int high) { return low + upTo(high - low + 1); }
    // True with `percent` % probability; false when the source gives 0.
    bool chance(int percent) { return percent > 0 && upTo(100) >= 100 - percent; }
};

// Choices from a seed: deterministic, no global state.
class RandomChoices : public Choices
{
public:
    explicit RandomChoices(quint64 seed) : m_engine(seed) {}
    quint32 draw(quint32 bound) override { return bound ? quint32(m_engine() % bound) : 0; }

private:
    std::mt19937_64 m_engine;
};

// Choices from fuzz bytes: one byte per decision of up to 256 options, two above; zeros once
// the input is used up.
class ByteChoices : public Choices
{
public:
    ByteChoices(const quint8 *data, size_t size) : m_data(data), m_size(size) {}
    quint32 draw(quint32 bound) override
    {
        if (bound == 0)
            return 0;
        quint32 value = take();
        if (bound > 256)
            value = (value << 8) | take();
        return value % bound;
    }

private:
    quint32 take() { return m_offset < m_size ? m_data[m_offset++] : 0; }
    const quint8 *m_data;
    size_t m_size;
    size_t m_offset = 0;
};

enum class HookFault : quint8 {
    None,
    Throw,       // throws std::runtime_error after its delay
    ThrowNonStd, // throws an int after its delay
    Timeout,     // outlasts its (short) timeout in a wait that ignores cancellation
};

// What one service does during one cycle.
struct Behaviour {
    int startDelayMs = 0; // in the cancellable sleepFor()
    int stopDelayMs = 0;
    HookFault startFault = HookFault::None;
    HookFault stopFault = HookFault::None;
    int startTimeoutMs = 0; // only with startFault == Timeout
    int stopTimeoutMs = 0;  // only with stopFault == Timeout
    int crashAfterMs = -1;  // a task that throws after this delay (cancellable), -1: none
    bool crashNonStd = false;
    bool crashAsCallable = false; // addTask([..] { return crash(); }) instead of addTask(crash())
    int daemonReturnAfterMs = -1; // a daemon task that returns after this delay, -1: none
    int poolTaskMs = -1;          // a thread-pool task that ignores cancellation, -1: none
    int adoptedFutureMs = -1;     // an adopted QFuture finished by a timer, -1: none
};

enum class StopRequest : quint8 {
    None,      // the graph starts completely, runs for holdMs, then stops
    AtOnce,    // requestStop() right after start() was called, before any event-loop turn
    AfterDelay // requestStop() stopAfterMs after start() was called
};

// The start policies (docs/lifecycle.md, "Start policies"), in the order of
// QService::StartPolicy.
enum class Policy : quint8 { Eager, AfterFirstFrame, WhenIdle, OnDemand };

// When the driver calls ServiceManager::ensureRunning() on a service during a cycle.
enum class DemandMoment : quint8 {
    BeforeStart,   // before start(): the graph is not running, refused
    AtStart,       // right after start() was called (the manager is Starting)
    AfterDelay,    // from a timer, afterMs after start() was called: any moment
    OnRunning,     // once start() returned, the manager Running
    WhileStopping, // right after the driver asked for the stop: refused
    AfterEnd,      // once the cycle's run ended (stopped or failed): refused
};

struct Demand {
    int service = 0;
    DemandMoment when = DemandMoment::AtStart;
    int afterMs = 0; // AfterDelay only
};

struct Cycle {
    std::vector<Behaviour> behaviours; // one per service
    StopRequest stopRequest = StopRequest::None;
    int stopAfterMs = 0;
    int holdMs = 0;               // how long the graph runs before the driver stops it
    bool stopByWait = false;      // requestStop() + wait() instead of stop()
    bool joinSecondStart = false; // a second start() joins the first one
    bool quiesce = true;          // wait for abandoned operations before the next cycle
    // Start policies, set before the cycle's start(): one per service, or empty when every
    // service is Eager (most graphs).
    std::vector<Policy> policies;
    std::vector<Demand> demands;
    bool awaitDeferred = false; // once Running, wait for the deferred starts the policies make
    bool demandAll = false;     // once Running, ensureRunning() on every service, awaited
    Policy policy(int service) const
    {
        return policies.empty() ? Policy::Eager : policies[size_t(service)];
    }
};

// The re-entrancy dimension (reentrancy.cpp), drawn from a generator of its own so that the
// scenario above stays the same for a seed: slots connected to lifecycle signals that spin a
// nested event loop or call the manager, and hooks that spin a nested loop before their first
// suspension (a modal dialog in a slot or at the top of stop(), see docs/lifecycle.md).
enum class ReactionSource : quint8 {
    ServiceState, // QService::stateChanged of `service`, to `state` (-1: any)
    ServiceError, // QService::errorOccurred of `service`
    ManagerState, // ServiceManager::stateChanged, to `state` (-1: any)
    ManagerError, // ServiceManager::errorOccurred
    Progress,     // ServiceManager::progressChanged
    ModelData,    // ServiceModel::dataChanged
    ModelReset,   // ServiceModel::modelReset
    ModelRows,    // ServiceModel::rowsInserted
};

enum class ReactionAction : quint8 {
    Loop,          // a nested QEventLoop for loopMs
    LoopThenStop,  // a nested loop for loopMs, requestStop() from inside it half-way
    RequestStop,   // manager.requestStop()
    RequestStart,  // manager.requestStart()
    Delete,        // deleteLater() on service `victim` (never the root)
    EnsureRunning, // manager.ensureRunning() on service `victim`, followed and checked
};

struct Reaction {
    ReactionSource source = ReactionSource::ManagerState;
    ReactionAction action = ReactionAction::Loop;
    int service = -1; // the sender, for the service sources
    int state = -1;   // the state sources: the state that triggers it, -1: any
    int skip = 0;     // matching emissions ignored first, in each cycle
    int times = 1;    // then it acts on this many, in each cycle
    int loopMs = 0;
    int victim = -1;
};

// A nested loop spun by start() or stop() before its first suspension, -1: none. With a
// Timeout fault the hook sleeps the rest of its time afterwards.
struct HookLoops {
    int startMs = -1;
    int stopMs = -1;
    // The stop() loop is a modal dialog open well past the stop timeout, which the user closes
    // only once the graph has stopped (or after stopMs): the stop must not wait for it.
    bool stopDialog = false;
};

struct Reentrancy {
    std::vector<Reaction> reactions;
    std::vector<std::vector<HookLoops>> hooks; // per cycle, per service
};

// A dependency stage: one service, or a parallel group.
struct StageSpec {
    std::vector<int> services;
    bool group = false;
};

struct Scenario {
    quint64 seed = 0;                         // for messages only
    std::vector<std::vector<StageSpec>> deps; // per service; every index is lower than its own
    std::vector<Cycle> cycles;
    std::optional<Reentrancy> reentrancy; // see addReentrancy()
    std::optional<RestartSpec> restarts;  // see addRestarts()
    // Check start policies as docs/lifecycle.md states them even where the library reads a
    // graph differently (policies.h), rather than counting such graphs as a known issue.
    bool strictPolicies = false;
    int root() const { return int(deps.size()) - 1; }
    int size() const { return int(deps.size()); }
    // A compact description, for failure reports.
    QString describe() const;
};

struct Limits {
    int maxServices = 300;
    int maxCycles = 3;
};

Scenario generate(Choices &choices, const Limits &limits = {});

} // namespace QLifecycle::Property
