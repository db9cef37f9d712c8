#pragma once

// The restart dimension of the property test (--restarts; the rules are those of
// src/manager/graphrun_restart.cpp and tst_supervision): restart policies on some services, an
// intensity of the manager now and then, and failures that a policy restarts (crashes of
// running services, starts that fail or time out the first few times). Drawn from a generator of
// its own, like the re-entrancy dimension: a seed describes the same graph and behaviours with or
// without it (start policies aside: a graph with restarts starts every service eagerly).

#include <QLifecycle/error.h>
#include <QLifecycle/restartpolicy.h>

#include <QtCore/QString>

#include <optional>
#include <vector>

namespace QLifecycle {
class ServiceManager;
class QService;
} // namespace QLifecycle

namespace QLifecycle::Property {

struct Scenario;
struct Behaviour;
struct Report;
class Probe;

// Failures of one service in one cycle that only its first incarnations meet, so that a
// restart can succeed.
struct RestartFaults {
    int startThrowFirst = 0;   // its first k start() calls throw
    int startTimeoutFirst = 0; // its first k start() calls outlast the start timeout
    int crashFirst = 0;        // its first k incarnations crash crashAfterMs after their start
    int crashAfterMs = 0;
};

struct RestartSpec {
    std::vector<RestartPolicy> policies;   // per service; Never: none set
    std::optional<int> managerMaxRestarts; // the manager's intensity, within a long window
    quint64 jitterSeed = 0;
    std::vector<std::vector<RestartFaults>> faults; // per cycle, per service
    std::vector<int> extraHoldMs;                   // per cycle: time for restarts to happen
    int startTimeoutMs = 60;                        // of a service with startTimeoutFirst
};

// The manager's window, and every policy's: longer than any scenario, so that every restart
// of a run counts.
constexpr int RestartWindowMs = 600000;

void addRestarts(Scenario &scenario, quint64 seed);
QString describeRestarts(const Scenario &scenario);

// The behaviour of `service`'s incarnation `incarnation` (1 for its first start() of the run)
// in scenario cycle `cycle`: the cycle's behaviour with the restart faults laid over it.
Behaviour incarnationBehaviour(const Scenario &scenario, int cycle, int service, int incarnation);
// The start timeout of a service with start timeouts among its restart faults, or -1.
int restartStartTimeoutMs(const Scenario &scenario, int cycle, int service);

// Sets the policies and the manager's intensity, and records the restart signals in the probe.
void setUpRestarts(Probe &probe, ServiceManager &manager, const std::vector<QService *> &services);
// Whether a restart of `service` was scheduled in the current run and it has not begun
// starting again since.
bool restartPending(Probe &probe, int service);
// Whether a restart of the current run has a member that does not run again yet.
bool restartInProgress(Probe &probe);
// Right after a cycle's last call: what the services show (restarts.cpp).
void checkRestartCycleEnd(Probe &probe, ServiceManager &manager);
// Once everything has ended, instead of the single-incarnation checks of invariants.cpp: the
// failures, every service's incarnations, the restart rounds and the intensity of run `c`
// (restarts_checks.cpp).
void checkRestartRun(Probe &probe, int c, const QList<Failure> &final, Report &report);
// Part of it: the incarnations of service `s` (restarts_history.cpp).
void checkIncarnations(Probe &probe, int c, int s);

} // namespace QLifecycle::Property
