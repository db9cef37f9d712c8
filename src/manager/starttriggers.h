#pragma once

#include <QtCore/QObject>

#include <functional>

namespace QLifecycle::detail {

// The moments deferred starts wait for (docs/lifecycle.md, "Start policies"). Both call `then`
// from the event loop of `context`'s thread, never from inside the call, and not at all once
// `context` is destroyed.

// Once the application's first window has presented its first frame: the first frame a Qt Quick
// window swapped, or the first exposure of another window (a widget's is painted when it is
// exposed). In an application without a GUI, or on a thread other than the application's:
// once the event loop runs. A frame presented once counts for the rest of the process.
void afterFirstFrame(QObject *context, std::function<void()> then);

// Once the event loop of `context`'s thread has processed what is pending now.
void whenIdle(QObject *context, std::function<void()> then);

} // namespace QLifecycle::detail
