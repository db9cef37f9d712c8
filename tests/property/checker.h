#pragma once

// Runs a Scenario against the real ServiceManager and checks the invariants of docs/contract.md
// after every cycle. Shared by tst_property (scenarios from seeds) and the fuzzer (from bytes).

#include "policies.h"
#include "scenario.h"

#include <QtCore/QStringList>

namespace QLifecycle::Property {

struct Report {
    QStringList violations;
    bool hung = false;       // a cycle overran its time bound: the scenario's objects were leaked
    int cycles = 0;          // cycles run
    int faults = 0;          // failures the services caused and the manager had to report
    int restarts = 0;        // re-entrancy: runs started by a slot's requestStart()
    int deletions = 0;       // re-entrancy: services a slot deleted
    int restartRounds = 0;   // restarts: rounds of restarts the policies made
    int restartsGivenUp = 0; // restarts: restartsExhausted signals
    // Start policies: where the library departs from docs/lifecycle.md in a known way in this
    // scenario, the first case of each KnownIssue, or empty (policies.h); the scenario is then
    // checked as the library behaves, unless it is strict.
    QString knownIssues[KnownIssueCount];
    bool deferred = false; // a cycle has deferred services
    int demands = 0;       // ensureRunning() calls made
    qint64 elapsedMs = 0;
};

// Routes Qt messages: critical and fatal ones, and warnings about services left running or
// destroyed while running, become violations of the scenario being run; other warnings (every
// injected fault logs one) are dropped unless `verbose`.
void installMessageTrap(bool verbose);

Report runScenario(const Scenario &scenario);

} // namespace QLifecycle::Property
