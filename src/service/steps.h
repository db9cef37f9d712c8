#pragma once

#include <QtCore/QString>

namespace QLifecycle {

class QService;

// Stall attribution (docs/observability.md, "Stalls"): each step of a service's code that the
// library runs (a hook called until its first suspension, a task's first steps, a hook or task
// resumed by one of the library's waits) is timed with the thread's coarse monotonic clock. A
// step whose own time (less the steps nested in it) exceeds the threshold, and during which
// the thread never waited for events (a nested event loop is not a stall), is a stall: logged
// in qlifecycle.stall, told to the manager (ServiceManager::stallDetected) and to its recorder.
namespace detail::steps {

// Whether steps are timed: the threshold is not zero.
bool enabled();
// Begins a step on this thread; steps nest. Cheap: a coarse clock read. `subject`: what runs
// (a task's record), handed back by end().
void begin(const void *subject = nullptr);
// Ends the innermost step: its own time in ns if that makes it a stall, else 0; `subject`, if
// given, receives the step's subject.
qint64 end(const void **subject = nullptr);
// The subject of a step under way on this thread is destroyed: the rest of the step is not
// its own. Returns the step's own time so far if that is a stall already, else 0.
qint64 release(const void *subject);
// Reports the stall of `what` ("start()", "task 'scan'") of `service`, `ns` long, ended now.
void report(QService *service, const QString &what, qint64 ns);

} // namespace detail::steps
} // namespace QLifecycle
