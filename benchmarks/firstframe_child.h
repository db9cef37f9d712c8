#pragma once

// One measurement of bench_firstframe, in a child process of its own: builds the application,
// the services (if any) and the window the way its configuration says, runs until the window's
// first frame (and until every deferred service runs), and prints its figures as one JSON line
// starting with {"child":...}, in ms since childMain() was called.

#include <chrono>

namespace firstframe {

inline constexpr int ServiceCount = 50;
inline constexpr std::chrono::milliseconds StartTime{200}; // of each service

// The child's whole program, given main()'s arguments: --child none|deferred|eager,
// --window after-start|window-first, --sync-ms <ms>. Call it first thing in main(): its clock
// starts there. Returns the exit code of the run (0 when it passed).
int childMain(int argc, char *argv[]);

} // namespace firstframe
