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

// Builds the services of one case, then runs `ServiceManager::start()` and `stop()` on them
// from a coroutine driven by a local event loop. ok is set only if every service was Running
// after the start and Stopped after the stop.
Timing measureLibrary(Shape shape, int n);

// The same number of QObjects and coroutine frames, each start and each stop resumed once
// through the event loop, in dependency order, with no framework bookkeeping.
Timing measureBaseline(Shape shape, int n);
