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
    // Re-entrancy, where a cycle may have several runs: the run the joined start() joined,
    // the cycle's last run (the one stop() and wait() ended), and whether these outcomes are
    // those of the last run.
    int secondStartRun = -1;
    int lastRun = -1;
    bool lastOfCycle = true;
};

inline bool settled(QService::State state)
{
    return state == QService::State::Stopped || state == QService::State::Failed;
}

// Right after the driver's last call of a cycle returned: nothing may run any more, and the
// manager's and services' errors are those of the run.
void checkCycleEnd(Probe &probe, ServiceManager &manager, const QList<Failure> &final);
// Once everything has ended: the cycle's history against the contract. `c` is a run index
// (Probe::cycle()), `out` the outcomes of the calls that ended that run (outcomesOfRun()).
void checkCycle(Probe &probe, int c, const QList<Failure> &final, const CycleOutcomes &out,
                Report &report);
// The outcomes of a cycle that belong to run `run`: start() for its first run, stop() and
// wait() for its last.
CycleOutcomes outcomesOfRun(const Probe &probe, int run, const CycleOutcomes &cycle);

QString stateName(QService::State state);

} // namespace QLifecycle::Property
