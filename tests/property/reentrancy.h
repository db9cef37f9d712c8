#pragma once

// The re-entrancy dimension of the property test (tst_property --reentrancy): slots connected
// to the lifecycle signals of the services, the manager and a ServiceModel spin nested event
// loops, request a stop or a start, or delete a service; hooks spin a nested loop before their
// first suspension. docs/lifecycle.md and docs/guarantees.md say that none of this may break
// the lifecycle rules; this file adds the invariants that such code breaks first:
//
//  * nothing runs once the manager's stop() or wait() returned, nor when it reports a final
//    state;
//  * stop() is called only on a service whose start() returned in time in the same run, and
//    no service becomes Stopping without having been Running in that run;
//  * ensureRunning() called from a slot ends as documented (demands.h);
//  * deadlines count from the call of a hook (a hook still in its nested loop at its timeout
//    fails with a timeout), and the manager's stop() takes no longer than the delays and
//    timeouts along the longest stop chain, plus the nested loops, plus a tolerance of
//    seconds.

#include "scenario.h"

#include <QLifecycle/QService>

#include <QtCore/QObject>

#include <functional>
#include <memory>
#include <vector>

namespace QLifecycle {
class ServiceManager;
class ServiceModel;
} // namespace QLifecycle

namespace QLifecycle::Property {

class Probe;

// Adds the re-entrancy dimension to a generated scenario, from a generator derived from `seed`
// (the scenario's own choices are untouched). It may turn a few hooks into modal dialogs that
// outlast their timeout (a Timeout fault).
void addReentrancy(Scenario &scenario, quint64 seed);
QString describeReentrancy(const Scenario &scenario);

// Spins a nested QEventLoop for `ms` (calling `midway` half-way, ending early once `closeOn`
// reaches a final state) and returns the time it took; does nothing and returns 0 once two
// such loops are nested already.
qint64 spinNestedLoop(int ms, const std::function<void()> &midway = {},
                      const ServiceManager *closeOn = nullptr);
// How many nested loops spinNestedLoop() has spun in all, and how many are spinning now.
qint64 nestedLoopsSpun();
int nestedLoopDepth();

// ---- invariants, checked on the spot ----------------------------------------------------

// When service `index` of run `cycle` is asked to stop.
void checkStopAllowed(Probe &probe, int cycle, int index);
// After the recorder appended a service's transition.
void checkServiceTransition(Probe &probe, int index, QService::State state);
// Before the recorder appends a manager transition: a start of a stopped graph within a cycle
// is a new run.
void beforeManagerState(Probe &probe, QService::State state);
// After: a final state keeps the run's failures and must find nothing running.
void afterManagerState(Probe &probe, const ServiceManager &manager, QService::State state);
// When the driver's stop() or wait() returned (`elapsedMs` since it asked for the stop, or -1).
void checkStoppedNow(Probe &probe, const ServiceManager &manager, const char *call,
                     qint64 elapsedMs);
// True for the warnings a service the test deleted causes.
bool expectedDestructionMessage(const Probe &probe, const QString &message);
// What the manager's stop may take in the current run, tolerance included.
qint64 stopBoundMs(const Probe &probe);
// The nested loops a cycle may spin in all, for the cycle's time bound.
qint64 nestedLoopBudgetMs(const Scenario &scenario, int cycle);

// The slots of a scenario's reactions, connected for the whole scenario and armed while the
// driver runs a cycle.
class ReentrancyRig
{
public:
    ReentrancyRig(Probe &probe, ServiceManager &manager);
    ~ReentrancyRig();
    ReentrancyRig(const ReentrancyRig &) = delete;
    ReentrancyRig &operator=(const ReentrancyRig &) = delete;

    void beginCycle();
    void endCycle();

private:
    void connectReaction(int r);
    void react(int r);
    void requestStop();

    Probe &m_probe;
    ServiceManager &m_manager;
    std::unique_ptr<ServiceModel> m_model;
    QObject m_context;
    std::vector<int> m_seen, m_acted; // per reaction, in the current cycle
};

} // namespace QLifecycle::Property
