#pragma once

// The measured cases of bench_lifecycle: graph shapes, the library run and the raw baseline.

#include <QtCore/QString>

enum class Shape { Wide, Tree, Chain };
inline constexpr Shape allShapes[] = {Shape::Wide, Shape::Tree, Shape::Chain};

const char *shapeName(Shape shape);

// One measured start + stop. Object construction and destruction are never included.
struct Timing {
    double startMs = 0;
    double stopMs = 0;
    bool ok = false;
    QString error; // why the run is not valid, when !ok
};

// Warm: each timed section starts with whatever the construction of the objects (or the
// start, for the stop) left in the CPU caches, which holds a graph of 10 000 entirely and
// one of 100 000 only in part. Cold: the caches are evicted before each timed section, as
// for an application that starts after loading other things and stops after running a
// while; every size then pays its memory traffic in full.
enum class Caches { Warm, Cold };

// The trace recorder beside the manager (docs/observability.md): none, one constructed but
// attached to no manager, or one attached to the manager before its start.
enum class Recorder { Absent, Off, On };

// Builds the services of one case, then runs `ServiceManager::start()` and `stop()` on them
// from a coroutine driven by a local event loop. ok is set only if every service was Running
// after the start and Stopped after the stop.
Timing measureLibrary(Shape shape, int n, Caches caches, Recorder recorder = Recorder::Absent);

// The same number of QObjects and coroutine frames, each start and each stop resumed once
// through the event loop, in dependency order, with no framework bookkeeping.
Timing measureBaseline(Shape shape, int n, Caches caches);

// A lower bound: the same number of QObjects, each with a trivial service's two hooks (empty
// QCoro::Task<> coroutines, virtual), called by plain code in a precomputed dependency order
// (every node after what it depends on when starting, the reverse when stopping) and each
// task awaited at once: no event loop, no queued call, no bookkeeping.
Timing measureLowerBound(Shape shape, int n, Caches caches);
