// The child process of tst_abandonedexit: a one-service graph whose first stop abandons one
// piece of work at its 100 ms graceful shutdown timeout; the program then lets that work end at
// a chosen moment and must still exit by itself. Abandoned work is inert (docs/lifecycle.md,
// "Timeouts"; docs/tasks.md, "What happens on stop"): whenever it ends, it changes no state,
// reports no error into a later run, and never blocks, delays or crashes the exit.
//
// Usage: abandoned_exit <kind> <moment>
//   kind (the work abandoned by the first stop):
//     callable         a thread-pool callable taking QPromise<int> & that ignores cancellation,
//                      then reports a result
//     callable-throws  a thread-pool callable taking nothing that ignores cancellation, then
//                      throws
//     hook             a stop() that awaits (QCoro, not cancellable) a future that a
//                      std::thread completes late, then returns
//     hook-throws      the same stop(), then throws
//     future           an adopted QFuture (addTask(QFuture)) whose QPromise a std::thread
//                      completes late
//     worker-thread    a WorkerThread whose worker blocks in a slot, ignoring the thread's quit
//                      (docs/tasks.md, "Worker threads"); its QThread must never be destroyed
//                      while it runs
//   moment (when the work is released, and so ends):
//     later-run        during a second run() of the same graph, which then stops cleanly
//     after-stop       once the stop has ended, while the event loop still runs
//     (RunMode::UntilQuit) after-loop       after run() returned (the event loop has ended),
//     QCoreApplication alive app-destructor   while QCoreApplication is destroyed (a post routine)
//     after-main       after main() returned (a static destructor)
//     never            not at all: the process exits while the work is still blocked
//
// Exit code: what the last ServiceManager::run() returned. 1 unless later-run: the first run's
// stop times out, which is a failure. 0 for later-run: the second run must stop cleanly.
// 64: bad arguments. 65: the callable never began, so nothing was abandoned.
//
// Lines printed for the test (stdout):
//   run1: exit N, service S                    after the first run()
//   run2: service S, manager M, errors N, tasks T/P
//                                              later-run, once the work has ended
//   run2: exit N                               later-run, after the second run()
//   after-stop: service S, manager M, errors N after-stop, once the work has ended
//   released: ended | released: still running the work was released; whether it then ended
//                                              (and reported back) within a bounded wait
//   exit-test: done                            just before main() returns

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/WorkerThread>

#include <QtCore/QCoreApplication>
#include <QtCore/QMetaEnum>
#include <QtCore/QPromise>
#include <QtCore/QTimer>

#include <QCoro/QCoroFuture>

#include <chrono>
#include <cstdio>
#include <memory>
#include <semaphore>
#include <stdexcept>
#include <thread>
#include <utility>

using namespace std::chrono_literals;
using namespace Qt::StringLiterals;
using QLifecycle::QService;
using QLifecycle::ServiceManager;
using State = QService::State;

namespace {

enum class Kind { Callable, CallableThrows, Hook, HookThrows, Future, WorkerThread };
enum class Moment { LaterRun, AfterStop, AfterLoop, AppDestructor, AfterMain, Never };

constexpr auto BoundedWait = 5s; // for a worker thread, which needs nothing from the main one

void say(const QString &line)
{
    std::fputs(qPrintable(line + u'\n'), stdout);
    std::fflush(stdout);
}

QString stateName(State state)
{
    return QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(int(state)));
}

// Between the program and its abandoned work. Never destroyed: the work may end after main().
struct Gate {
    std::binary_semaphore running{0}; // the callable has begun
    std::binary_semaphore release{0}; // lets the work end
    std::binary_semaphore ended{0};   // the work has ended and reported back
};
Gate *const gate = new Gate;

// Held by the callable only: destroyed with the pool's runnable, once its run() has returned,
// that is after it queued its report back to the service's thread.
struct EndedSignal {
    EndedSignal() = default;
    EndedSignal(const EndedSignal &) = delete;
    EndedSignal &operator=(const EndedSignal &) = delete;
    ~EndedSignal() { gate->ended.release(); }
};

// Lets the work end, then waits (bounded) until it has ended.
void releaseWork()
{
    gate->release.release();
    const bool ended = gate->ended.try_acquire_for(BoundedWait);
    say(ended ? u"released: ended"_s : u"released: still running"_s);
}

// A future that a std::thread completes once the work is released.
template<typename T>
QFuture<T> lateFuture()
{
    QPromise<T> promise;
    promise.start();
    QFuture<T> future = promise.future();
    std::thread([promise = std::move(promise)]() mutable {
        gate->release.acquire();
        if constexpr (!std::is_void_v<T>)
            promise.addResult(T(7));
        promise.finish();
        gate->ended.release();
    }).detach(); // may outlive main()
    return future;
}

// Lives on the worker thread; its slot ignores the thread's quit until the work is released.
class Blocker : public QObject
{
public:
    void block()
    {
        gate->running.release();
        gate->release.acquire();
        gate->ended.release();
    }
};

class Stubborn : public QService
{
public:
    explicit Stubborn(Kind kind) : m_kind(kind) { setObjectName(u"stubborn"_s); }

protected:
    QCoro::Task<> start() override
    {
        if (++m_starts > 1)
            co_return; // only the first run has work to abandon
        if (m_kind == Kind::Callable) {
            addPoolTask(
                [ended = std::make_shared<EndedSignal>()](QPromise<int> &promise) {
                    gate->running.release();
                    gate->release.acquire(); // never looks at isCanceled()
                    promise.addResult(42);
                },
                {.name = u"crunch"_s});
        } else if (m_kind == Kind::CallableThrows) {
            addPoolTask(
                [ended = std::make_shared<EndedSignal>()]() -> int {
                    gate->running.release();
                    gate->release.acquire();
                    throw std::runtime_error("abandoned callable failed late");
                },
                {.name = u"crunch"_s});
        } else if (m_kind == Kind::Future) {
            addTask(lateFuture<int>(), {.name = u"adopted"_s});
        } else if (m_kind == Kind::WorkerThread) {
            Blocker *blocker = m_thread.adopt(new Blocker);
            m_thread.start();
            QMetaObject::invokeMethod(blocker, &Blocker::block, Qt::QueuedConnection);
        }
    }

    QCoro::Task<> stop() override
    {
        const bool hangs = ++m_stops == 1 && (m_kind == Kind::Hook || m_kind == Kind::HookThrows);
        const bool throws = m_kind == Kind::HookThrows;
        if (!hangs)
            co_return;
        QFuture<void> late = lateFuture<void>();
        co_await late; // past the graceful timeout; not a cancellable wait
        if (throws)    // no member is touched after the suspension
            throw std::runtime_error("abandoned stop() failed late");
    }

    std::chrono::milliseconds gracefulShutdownTimeout() const override { return 100ms; }

private:
    const Kind m_kind;
    QLifecycle::WorkerThread m_thread{this};
    int m_starts = 0;
    int m_stops = 0;
};

bool g_releaseAfterMain = false;

// Releases the work after main() returned, while the process runs its static destructors.
struct ReleaseAfterMain {
    ~ReleaseAfterMain()
    {
        if (g_releaseAfterMain)
            releaseWork();
    }
} releaseAfterMain;

void releaseInPostRoutine()
{
    releaseWork();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList arguments = QCoreApplication::arguments();
    const QStringList kinds{u"callable"_s,    u"callable-throws"_s, u"hook"_s,
                            u"hook-throws"_s, u"future"_s,          u"worker-thread"_s};
    const QStringList moments{u"later-run"_s,      u"after-stop"_s, u"after-loop"_s,
                              u"app-destructor"_s, u"after-main"_s, u"never"_s};
    if (arguments.size() != 3 || !kinds.contains(arguments[1]) || !moments.contains(arguments[2])) {
        std::fputs("usage: abandoned_exit <kind> <moment> (see the source)\n", stderr);
        return 64;
    }
    const auto kind = Kind(kinds.indexOf(arguments[1]));
    const auto moment = Moment(moments.indexOf(arguments[2]));
    // Work that must be under way before the stop (a callable cancelled while queued is
    // skipped; a thread asked to quit before its slot runs would not block).
    const bool callable =
        kind == Kind::Callable || kind == Kind::CallableThrows || kind == Kind::WorkerThread;

    int errors = 0; // errorOccurred of the manager, counted since the last reset
    int runs = 0;
    bool workBegan = true;
    Stubborn service(kind);
    ServiceManager manager(&service);
    QObject::connect(&manager, &ServiceManager::errorOccurred, &manager, [&] { ++errors; });

    const auto report = [&](const QString &what) -> QString {
        return what + u": service "_s + stateName(service.state()) + u", manager "_s +
               stateName(manager.state()) + u", errors "_s + QString::number(errors);
    };
    bool run2Reported = false;
    const auto reportRun2 = [&] { // once the work has ended, or when run 2 ends before that
        if (std::exchange(run2Reported, true))
            return;
        say(report(u"run2"_s) + u", tasks "_s + QString::number(service.taskCount()) + u'/' +
            QString::number(service.pendingTaskCount()));
    };
    QObject::connect(&manager, &ServiceManager::stateChanged, &manager, [&](State state) {
        if (runs == 2 && state != State::Starting && state != State::Running)
            reportRun2(); // a no-op unless the run ended by itself
        if (state == State::Running && runs == 1) {
            // Stop once the work is under way (a callable cancelled while queued is skipped).
            if (callable)
                workBegan = gate->running.try_acquire_for(BoundedWait);
            manager.requestStop();
        } else if (state == State::Running && runs == 2) {
            QTimer::singleShot(0, &manager, [&] {
                releaseWork();
                QTimer::singleShot(200ms, &manager, [&] { // for what it reported back
                    reportRun2();
                    manager.requestStop();
                });
            });
        } else if (state == State::Failed && moment == Moment::AfterStop) {
            errors = 0;
            QTimer::singleShot(0, &manager, [&] {
                releaseWork();
                QTimer::singleShot(200ms, &manager, [&] {
                    say(report(u"after-stop"_s));
                    QCoreApplication::quit();
                });
            });
        }
    });

    ++runs;
    int exitCode = manager.run(moment == Moment::AfterStop ? ServiceManager::RunMode::UntilQuit
                                                           : ServiceManager::RunMode::UntilStopped);
    say(u"run1: exit "_s + QString::number(exitCode) + u", service "_s +
        stateName(service.state()));
    if (!workBegan) {
        say(u"the callable never began"_s);
        return 65;
    }

    switch (moment) {
    case Moment::LaterRun:
        ++runs;
        errors = 0;
        exitCode = manager.run();
        say(u"run2: exit "_s + QString::number(exitCode));
        break;
    case Moment::AfterStop:
        break; // released above
    case Moment::AfterLoop:
        releaseWork();
        break;
    case Moment::AppDestructor:
        qAddPostRoutine(releaseInPostRoutine);
        break;
    case Moment::AfterMain:
        g_releaseAfterMain = true;
        break;
    case Moment::Never:
        break;
    }
    say(u"exit-test: done"_s);
    return exitCode;
}
