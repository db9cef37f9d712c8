#pragma once

// The invariants of docs/contract.md checked after each cycle of a scenario (see checker.cpp).

#include "checker.h"
#include "probe.h"

namespace QLifecycle::Property {

// What one call of the manager (start(), wait(), stop()) ended with.
struct Outcome {
    bool threw = false;
    QList<Failure> failures;
};

struct CycleOutcomes {
    Outcome start, secondStart, wait, stop;
    bool joined = false; // a second start() joined the first one
    bool waited = false;
    QStringList others;
};

inline bool settled(QService::State state)
{
    return state == QService::State::Stopped || state == QService::State::Failed;
}

// Right after the driver's last call of a cycle returned: nothing may run any more, and the
// manager's and services' errors are those of the run.
void checkCycleEnd(Probe &probe, ServiceManager &manager, const QList<Failure> &final);
// Once everything has ended: the cycle's history against the contract.
void checkCycle(Probe &probe, int c, const QList<Failure> &final, const CycleOutcomes &out,
                Report &report);

QString stateName(QService::State state);

} // namespace QLifecycle::Property
