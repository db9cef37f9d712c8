#pragma once

// ServiceManager::ensureRunning() in the property test (docs/lifecycle.md, "Starting on
// demand"): the driver (and, with re-entrancy, slots) ask for services at any moment, and every
// call is followed until it ends and checked against the documented outcome:
//
//  * refused at once with an Error naming the service when the graph is not Starting or
//    Running (before the start, while stopping, after a run ended or failed);
//  * at once when the service already runs;
//  * otherwise it completes once the service runs (it runs then), or throws an Error naming
//    the service once the run gives the start up (a failure or a stop: the manager is stopping
//    by then);
//  * it ends, whatever happens: no call is left pending once the graph has stopped.
//
// A service asked for while the graph starts is part of the start: the manager is Running only
// once it runs (policies.h checks that).

#include "scenario.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QCoro/QCoroTask>

#include <QtCore/QObject>

#include <chrono>
#include <memory>

namespace QLifecycle::Property {

class Probe;

// One ensureRunning() call and how it ended.
struct DemandRecord {
    int service = 0;
    int run = 0; // Probe::cycle() when called
    bool fromSlot = false;
    // At the call.
    QService::State managerAtCall = QService::State::Stopped;
    ServiceManager::StopReason reasonAtCall = ServiceManager::StopReason::None;
    QService::State serviceAtCall = QService::State::Stopped;
    bool lagAtCall = false; // what the states show may be behind (re-entrancy)
    bool readyAtOnce = false;
    bool following = false; // the call has returned: an end from now on is seen from the loop
    // At the end.
    bool done = false, ok = false, threw = false;
    QList<Failure> failures;
    QString
        refusal;   // the LifecycleError of a call refused (docs/lifecycle.md, "Starting on demand")
    QString other; // an exception that is neither
};

// Calls ensureRunning(service) now and follows it (checked when it ends).
void demand(Probe &probe, ServiceManager &manager, int service, bool fromSlot = false);
// The cycle's demands at `moment`.
void demandsAt(Probe &probe, ServiceManager &manager, const Cycle &cycle, DemandMoment moment);
// Arms the timers of the cycle's AfterDelay demands, children of `context`.
void armDelayedDemands(Probe &probe, ServiceManager &manager, const Cycle &cycle, QObject *context);
// ensureRunning() on every service, awaited together; then, if each succeeded and the graph
// still runs, every service runs and deferredCount is 0.
QCoro::Task<> demandEverything(Probe &probe, ServiceManager &manager);
// Waits until the services the policies start after the manager is Running run (or the graph
// stops), then checks deferredCount; a violation if they never do.
QCoro::Task<> awaitDeferredStarts(Probe &probe, ServiceManager &manager);
// Waits until every ensureRunning() call has ended, up to `limit`: false if one never did.
QCoro::Task<bool> settleDemands(Probe &probe, std::chrono::milliseconds limit);

} // namespace QLifecycle::Property
