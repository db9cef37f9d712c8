#pragma once

#include <QtCore/QString>

#include <atomic>
#include <functional>

namespace QLifecycle {

class QService;
class ServiceManager;

namespace detail {

// What a trace recorder learns from inside the library, where no public signal tells
// (docs/observability.md): each call of a hook and its end, each background task, each stall.
// Called on the service's thread. While no recorder is attached anywhere, reaching one costs a
// single relaxed load (`attached`).
class Tracer
{
public:
    virtual ~Tracer() = default;

    virtual void hookCalled(QService *service, bool starting) = 0;
    virtual void hookEnded(QService *service, bool starting, bool failed) = 0;
    virtual void taskStarted(QService *service, quint64 id, const QString &name) = 0;
    // `outcome`: 0 finished, 1 cancelled, 2 failed.
    virtual void taskEnded(QService *service, quint64 id, int outcome) = 0;
    // A step of `what` ("start()", a task's name) blocked the thread for `ns` until now.
    virtual void stalled(QService *service, const QString &what, qint64 ns) = 0;

    static void attach(const ServiceManager *manager, Tracer *tracer);
    static void detach(const ServiceManager *manager, Tracer *tracer);
    // Calls `call` with the tracer of `manager`, if it has one; detach() waits for it to
    // return. Call only while any() is true.
    static void with(const ServiceManager *manager, const std::function<void(Tracer &)> &call);
    // The same, with the tracer of the manager of the service's current or last run.
    static void withService(const QService *service, const std::function<void(Tracer &)> &call);
    static bool any() { return attached.load(std::memory_order_relaxed) != 0; }

private:
    static std::atomic<int> attached;
};

} // namespace detail
} // namespace QLifecycle
