#pragma once

// Start policies in the property test (docs/lifecycle.md, "Start policies"): what a cycle's
// policies say about each service and each ordering rule, and the invariants checked on the
// spot and once a run has ended.
//
//  * Early services (the root and what it needs, except deferred services and what only they
//    need) start with the graph; the manager is Running once they run, and nothing else starts
//    before that unless ensureRunning() asked for it (with what it needs).
//  * An early service need not wait for a deferred prerequisite (a soft edge); every other
//    prerequisite is hard: Running when the start() begins. Leases hold across soft edges: a
//    deferred service that ran stops after its early dependents.
//  * After the manager is Running the AfterFirstFrame services start, the WhenIdle ones once
//    those run; OnDemand ones only when asked for, or needed by a deferred service that starts.
//  * deferredCount, the progress figures and stopReason tell the same story.

#include "scenario.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QtCore/QString>

#include <vector>

namespace QLifecycle::Property {

class Probe;
struct CycleRun;

// Where the library departs from docs/lifecycle.md ("Start policies", "Starting on demand") in
// a known way: such scenarios are counted apart (tst_property prints how many, with seeds), and
// checked as the library behaves unless strict.
enum KnownIssue : quint8 {
    // A stage order through a deferred service: the library reads "stage k + 1 after stage k"
    // as the later members needing the earlier stage, so a deferred member of a single-service
    // stage cuts the earlier stages off from the service that declared them. Those are then not
    // started with the graph, nor waited for, nor held by a lease, although it needs them.
    StageOrderIssue,
    // ensureRunning() called by code that runs inside a start() or stop() before its first
    // suspension is refused with a LifecycleError ("would wait for <the hook's service>
    // itself; use requestStop() instead"), as start(), stop() and wait() are, although it
    // waits for one service only and is documented to throw Error naming that service.
    HookRefusalIssue,
    // A start in flight when a stop began (asked for, or after a failure while starting) that
    // ends afterwards sets progress to startProgress while the manager is Stopping, until the
    // services begin stopping ("Progress": stopProgress while it stops).
    ProgressIssue,
    KnownIssueCount
};
const char *knownIssueName(KnownIssue issue);

// What a pair (service, one of Probe::before(service)) requires.
enum PairRule : quint8 {
    WaitAtStart = 1,   // the prerequisite runs when the service's start() begins
    OutliveAtStop = 2, // once both ran, the prerequisite stops after the service
};

// The policies of one cycle, read as docs/lifecycle.md states them, or as the library reads
// them when the two differ (see divergence).
struct PolicyModel {
    bool deferred = false;         // a service is not Eager
    std::vector<char> early;       // starts with the graph
    std::vector<char> frame, idle; // the AfterFirstFrame, WhenIdle services and their needs
    std::vector<std::vector<quint8>> rules; // per service, per Probe::before() entry: PairRule bits
    // Non-empty when this cycle is a graph of the StageOrderIssue: its first difference. Unless
    // the test is strict, the checks then follow the library's reading.
    QString divergence;

    // The graph the model reads (Probe::before() lists, or the library's nodes: services,
    // then barriers) and which of its nodes start with the graph.
    std::vector<std::vector<int>> needs;
    std::vector<char> nodeEarly;

    // What wanting `services` wants (docs/lifecycle.md, "Start policies": what they need that
    // does not run yet starts with them): them, and what they need through services that do
    // not start with the graph (one that does needs no deferred service). Per service.
    std::vector<char> closure(const std::vector<int> &services, int size) const;
    quint8 rule(int service, size_t entry) const
    {
        return rules.empty() ? quint8(WaitAtStart | OutliveAtStop) : rules[size_t(service)][entry];
    }
    bool isEarly(int service) const { return early.empty() || early[size_t(service)]; }
};

// The model of every cycle of a scenario; `strict`: docs/lifecycle.md's reading only.
std::vector<PolicyModel> buildPolicyModels(const Scenario &scenario,
                                           const std::vector<std::vector<int>> &before,
                                           bool strict);

QService::StartPolicy startPolicy(Policy policy);
QString policyName(Policy policy);

// ---- checked on the spot -----------------------------------------------------------------

// When service `index` shows Starting: something wanted it.
void checkStartWanted(Probe &probe, int index);
// When service `index` shows Stopping: the starts in flight when the stop was asked for
// (deferred ones included) have ended first (docs/lifecycle.md, "Start policies").
void checkNoStartInFlight(Probe &probe, int index);
// When the manager shows a new state (after the recorder appended it).
void checkManagerState(Probe &probe, const ServiceManager &manager, QService::State state);
// Around the driver's requestStop() or stop(): `before` is read before the call. The run asked
// to stop is the one recorded then: a run that stops inside the call may be followed, still
// inside it, by a run a slot started (requestStart() on the manager's Stopped), which the
// request does not concern.
struct StopNote {
    ServiceManager::StopReason reason = ServiceManager::StopReason::None;
    QService::State state = QService::State::Stopped;
    int run = 0; // Probe::cycle()
};
StopNote beforeDriverStop(const Probe &probe, const ServiceManager &manager);
void afterDriverStop(Probe &probe, const ServiceManager &manager, const StopNote &before);
// When the manager's progress figures change (docs/lifecycle.md, "Progress"): startProgress
// rises (unless a service asked for while starting joins the start), stopProgress rises,
// progress is stopProgress while stopping.
enum class ProgressFigure : quint8 { Start, Stop, Current };
void checkProgressChange(Probe &probe, const ServiceManager &manager, ProgressFigure figure,
                         double value);
// At a calm moment of the driver (not inside a slot): progress follows the current operation.
void checkProgressNow(Probe &probe, const ServiceManager &manager, const char *where);
// Once the deferred starts the policies make have run (the driver waited for them), or every
// service was asked for: deferredCount counts the services nothing wanted.
void checkDeferredCount(Probe &probe, const ServiceManager &manager, const char *where);

// ---- checked once the run has ended ------------------------------------------------------

// Right after the driver's last call of the cycle: stopReason and deferredCount.
void checkPoliciesAtEnd(Probe &probe, const ServiceManager &manager);

} // namespace QLifecycle::Property
