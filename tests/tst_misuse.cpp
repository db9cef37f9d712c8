// Misuse of the API, one test per item of the list in docs/lifecycle.md ("Misuse"): each ends
// either in an error that names the services involved, or in a documented harmless no-op, and
// never in a crash or a hang. Some items are also covered, in other contexts, by
// tst_failures (validation, non-std exceptions), tst_ordering (two managers, requestStop from
// another thread) and tst_dependencygraph (deep graphs).

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>

#include <QCoro/QCoroTimer>

#include <memory>
#include <thread>
#include <vector>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace Qt::StringLiterals;

namespace {

// A service whose hooks run a given coroutine function (never a capturing lambda: QT-NOTES 2.2).
class HookService : public QService
{
    Q_OBJECT
public:
    using Hook = QCoro::Task<> (*)(HookService *);
    explicit HookService(const QString &name) { setObjectName(name); }

    Hook onStart = nullptr;
    Hook onStop = nullptr;
    Dependencies deps;
    bool throwFromDependencies = false;
    std::optional<std::chrono::milliseconds> startLimit, stopLimit;

protected:
    QCoro::Task<> start() override { return onStart ? onStart(this) : QService::start(); }
    QCoro::Task<> stop() override { return onStop ? onStop(this) : QService::stop(); }
    Dependencies dependencies() const override
    {
        if (throwFromDependencies)
            throw 42; // not a std::exception
        return deps;
    }
    std::optional<std::chrono::milliseconds> startTimeout() const override { return startLimit; }
    std::chrono::milliseconds gracefulShutdownTimeout() const override
    {
        return stopLimit.value_or(QService::gracefulShutdownTimeout());
    }
};

QCoro::Task<> awaitStart(HookService *s)
{
    co_await s->manager()->start();
}
QCoro::Task<> awaitStop(HookService *s)
{
    co_await s->manager()->stop();
}
QCoro::Task<> awaitWait(HookService *s)
{
    co_await s->manager()->wait();
}
// How many of the hooks below have ended, however they ended.
int s_hooksEnded = 0;
struct CountsItsEnd {
    ~CountsItsEnd() { ++s_hooksEnded; }
};

QCoro::Task<> suspendThenAwaitStart(HookService *s)
{
    const CountsItsEnd counter;
    ServiceManager *manager = s->manager();
    co_await QCoro::sleepFor(1ms);
    co_await manager->start();
}
QCoro::Task<> suspendThenAwaitWait(HookService *s)
{
    const CountsItsEnd counter;
    ServiceManager *manager = s->manager();
    co_await QCoro::sleepFor(1ms);
    co_await manager->wait();
}
QCoro::Task<> requestStopAtOnce(HookService *s)
{
    s->manager()->requestStop();
    co_return;
}
QCoro::Task<> suspendThenRequestStop(HookService *s)
{
    ServiceManager *manager = s->manager();
    co_await QCoro::sleepFor(1ms);
    manager->requestStop();
}
QCoro::Task<> taskRequestsStop(HookService *s)
{
    s->addTask(suspendThenRequestStop(s), {.name = u"stopper"_s});
    co_return;
}
QCoro::Task<> throwNonStdLater()
{
    co_await QCoro::sleepFor(1ms);
    throw 42;
}
QCoro::Task<> taskThrowsNonStd(HookService *s)
{
    s->addTask(throwNonStdLater(), {.name = u"odd task"_s});
    co_return;
}
// Holds a hook until the test releases it; the hook then ends without touching its service.
Sleeper *s_gate = nullptr;
QCoro::Task<> hangUntilReleased(HookService *)
{
    co_await s_gate->sleep(-1ms);
}
QCoro::Task<> callableThrowsNonStd(HookService *s)
{
    s->addTask([] { throw 42; }, {.name = u"odd callable"_s});
    co_return;
}

// The message of the LifecycleError that a (ready) task throws; empty if it throws nothing.
QCoro::Task<> captureMisuse(QCoro::Task<> task, QString *message)
{
    try {
        co_await task;
    } catch (const LifecycleError &error) {
        *message = error.message();
    }
}

} // namespace

class tst_Misuse : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(u"left running"_s)); }

    void invalidGraphsAreRefusedNamingTheServices_data();
    void invalidGraphsAreRefusedNamingTheServices();
    void serviceInTwoRunningManagersIsRefused();
    void serviceDestroyedWhileNeededFailsTheRun_data();
    void serviceDestroyedWhileNeededFailsTheRun();
    void serviceDestroyedAfterItsRunIsHarmless();
    void managerDestroyedWhileRunningStopsTheGraph();
    void managerThenServicesDestroyedLeaveNothingBehind();
    void callsFromAnotherThread();
    void hookAwaitingItsOwnManagerIsRefused_data();
    void hookAwaitingItsOwnManagerIsRefused();
    void hookAwaitingItsManagerAfterSuspendingIsBounded_data();
    void hookAwaitingItsManagerAfterSuspendingIsBounded();
    void requestStopFromTaskOrHook_data();
    void requestStopFromTaskOrHook();
    void hugeGraphsNeedNoRecursion_data();
    void hugeGraphsNeedNoRecursion();
    void exceptionsThatAreNotStdExceptions_data();
    void exceptionsThatAreNotStdExceptions();
};

// Null dependency, cycle, self-dependency (tst_failures checks the same through other graphs).
void tst_Misuse::invalidGraphsAreRefusedNamingTheServices_data()
{
    QTest::addColumn<QString>("problem");
    QTest::addColumn<QString>("expected"); // Error::message()
    QTest::newRow("null") << u"null"_s << u"b: invalid dependencies: null dependency in stage 2"_s;
    QTest::newRow("cycle") << u"cycle"_s << u"a: invalid dependencies: cycle: a -> b -> c -> a"_s;
    QTest::newRow("self") << u"self"_s << u"c: invalid dependencies: depends on itself"_s;
}

void tst_Misuse::invalidGraphsAreRefusedNamingTheServices()
{
    QFETCH(QString, problem);
    QFETCH(QString, expected);
    ScriptedService a(u"a"_s), b(u"b"_s), c(u"c"_s), root(u"root"_s);
    root.deps = {&a};
    a.deps = {&b};
    b.deps = {&c};
    if (problem == u"null"_s)
        b.deps = {&c, nullptr};
    else if (problem == u"cycle"_s)
        c.deps = {&a};
    else
        c.deps = {&c};
    ServiceManager manager(&root);
    const std::optional<Error> error = expectError(manager.start());
    QVERIFY(error);
    QCOMPARE(error->message(), expected);
    QCOMPARE(error->primary().phase, Phase::Validate);
    for (const ScriptedService *service : {&a, &b, &c, &root}) // refused before anything starts
        QCOMPARE(service->startCalls, 0);
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(manager.errorString(), expected);
}

void tst_Misuse::serviceInTwoRunningManagersIsRefused()
{
    ScriptedService shared(u"shared"_s), first(u"first"_s), second(u"second"_s);
    first.deps = {&shared};
    second.deps = {&shared};
    ServiceManager one(&first), two(&second);
    runBlocking(one.start());
    const std::optional<Error> error = expectError(two.start());
    QVERIFY(error);
    QCOMPARE(error->message(),
             u"shared: invalid dependencies: already run by another ServiceManager"_s);
    QCOMPARE(shared.state(), State::Running); // the first run is untouched
    QCOMPARE(second.startCalls, 0);
    runBlocking(one.stop());
    runBlocking(two.start()); // free again once the first run is over
    QCOMPARE(shared.state(), State::Running);
    runBlocking(two.stop());
}

void tst_Misuse::serviceDestroyedWhileNeededFailsTheRun_data()
{
    QTest::addColumn<bool>("starting"); // else running
    QTest::newRow("while starting") << true;
    QTest::newRow("while running") << false;
}

void tst_Misuse::serviceDestroyedWhileNeededFailsTheRun()
{
    QFETCH(bool, starting);
    Sleeper gate;
    s_gate = &gate;
    auto *leaf = new HookService(u"leaf"_s);
    ScriptedService root(u"root"_s);
    root.deps = {leaf};
    if (starting)
        leaf->onStart = hangUntilReleased;
    ServiceManager manager(&root);
    QCoro::Task<> start = manager.start();
    if (!starting)
        runBlocking(std::move(start));
    const QString when = starting ? u"Starting"_s : u"Running"_s;
    QTest::ignoreMessage(QtWarningMsg, qPrintable(u"leaf destroyed while "_s + when +
                                                  u" - stop the ServiceManager before "
                                                  u"destroying its services"_s));
    QTest::ignoreMessage(QtWarningMsg, qPrintable(u"leaf: crashed: destroyed while "_s + when +
                                                  u"; the graph is stopped"_s));
    delete leaf;
    root.deps = {}; // ScriptedService reads its dependencies' states when it stops
    const std::optional<Error> error = expectError(starting ? std::move(start) : manager.wait());
    gate.wakeAll(); // the abandoned start() of the destroyed service ends: ignored
    QVERIFY(error);
    QCOMPARE(error->primary().service, u"leaf"_s);
    QCOMPARE(error->primary().phase, Phase::Run);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(manager.state(), State::Failed);
    QCOMPARE(manager.services(), (QList<QService *>{&root})); // no dangling pointer
    // Its dependent was stopped as usual (running), or never started (starting).
    QCOMPARE(root.startCalls, starting ? 0 : 1);
    QCOMPARE(root.stopCalls, starting ? 0 : 1);
    QCOMPARE(root.state(), State::Stopped);
}

void tst_Misuse::serviceDestroyedAfterItsRunIsHarmless()
{
    auto leaf = std::make_unique<ScriptedService>(u"leaf"_s);
    ScriptedService root(u"root"_s);
    root.deps = {leaf.get()};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    runBlocking(manager.stop());
    leaf.reset(); // no warning, no error
    QCOMPARE(manager.state(), State::Stopped);
    QVERIFY(!manager.error());
    root.deps = {};
    runBlocking(manager.start());
    runBlocking(manager.stop());
}

void tst_Misuse::managerDestroyedWhileRunningStopsTheGraph()
{
    ScriptedService a(u"a"_s), root(u"root"_s);
    root.deps = {&a};
    auto *manager = new ServiceManager(&root);
    runBlocking(manager->start());
    QCoro::Task<> waiting = manager->wait();
    QTest::ignoreMessage(QtWarningMsg, "ServiceManager of root destroyed before its graph "
                                       "stopped; the graph is stopped in the background");
    delete manager;

    // Until the background stop is over, the services still belong to it.
    ServiceManager other(&root);
    const std::optional<Error> refused = expectError(other.start());
    QVERIFY(refused);
    QCOMPARE(refused->message(), u"root: invalid dependencies: still being stopped after its "
                                 u"ServiceManager was destroyed"_s);

    const std::optional<Error> destroyed = expectError(std::move(waiting));
    QVERIFY(destroyed);
    QCOMPARE(destroyed->message(), u"stop failed: the ServiceManager was destroyed"_s);
    for (const ScriptedService *service : {&a, &root}) {
        QCOMPARE(service->state(), State::Stopped);
        QCOMPARE(service->stopCalls, 1);
    }
    runBlocking(other.start()); // then they are free
    runBlocking(other.stop());
}

// The same without an event loop in between: nothing is left to stop, nothing leaks
// (LeakSanitizer checks that in the ASan build) and the waiting caller still gets its error.
void tst_Misuse::managerThenServicesDestroyedLeaveNothingBehind()
{
    auto a = std::make_unique<ScriptedService>(u"a"_s);
    auto root = std::make_unique<ScriptedService>(u"root"_s);
    root->deps = {a.get()};
    auto manager = std::make_unique<ServiceManager>(root.get());
    runBlocking(manager->start());
    QCoro::Task<> waiting = manager->wait();
    manager.reset();
    root.reset();
    a.reset();
    const std::optional<Error> destroyed = expectError(std::move(waiting));
    QVERIFY(destroyed);
    QCOMPARE(destroyed->message(), u"stop failed: the ServiceManager was destroyed"_s);
}

void tst_Misuse::callsFromAnotherThread()
{
    ScriptedService root(u"root"_s);
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QString start, stop, wait;
    QFuture<int> task;
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(u"^root : not running .* added from another thread"_s));
    std::thread([&] {
        captureMisuse(manager.start(), &start); // ready at once: they throw before suspending
        captureMisuse(manager.stop(), &stop);
        captureMisuse(manager.wait(), &wait);
        task = root.addTask([] { return 1; });
        manager.requestStop(); // these two are queued to the manager's thread
        manager.requestStart();
    }).join();
    for (const auto &[call, message] :
         {std::pair{u"start"_s, start}, {u"stop"_s, stop}, {u"wait"_s, wait}})
        QCOMPARE(message, u"ServiceManager::%1() of the graph of root called from another "
                          u"thread than the manager's; use requestStart() or requestStop() "
                          u"there"_s.arg(call));
    QVERIFY(task.isCanceled());
    QSignalSpy managerStates(&manager, &ServiceManager::stateChanged);
    QTRY_COMPARE(states(managerStates),
                 (QList{State::Stopping, State::Stopped, State::Starting, State::Running}));
    runBlocking(manager.stop());
}

void tst_Misuse::hookAwaitingItsOwnManagerIsRefused_data()
{
    QTest::addColumn<bool>("inStart"); // else in stop()
    QTest::addColumn<QString>("call");
    for (const bool inStart : {true, false}) {
        for (const QString &call : {u"start"_s, u"stop"_s, u"wait"_s})
            QTest::addRow("%s awaits %s", inStart ? "start" : "stop", qPrintable(call))
                << inStart << call;
    }
}

// Detected while the hook's own code runs, up to its first suspension: the call throws.
void tst_Misuse::hookAwaitingItsOwnManagerIsRefused()
{
    QFETCH(bool, inStart);
    QFETCH(QString, call);
    const HookService::Hook hook = call == u"start"_s  ? awaitStart
                                   : call == u"stop"_s ? awaitStop
                                                       : awaitWait;
    HookService svc(u"svc"_s), root(u"root"_s);
    root.deps = {&svc};
    (inStart ? svc.onStart : svc.onStop) = hook;
    ServiceManager manager(&root);
    if (!inStart)
        runBlocking(manager.start());
    const std::optional<Error> error = expectError(inStart ? manager.start() : manager.stop());
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().service, u"svc"_s);
    QCOMPARE(error->primary().phase, inStart ? Phase::Start : Phase::Stop);
    QCOMPARE(error->primary().message,
             u"%1() called ServiceManager::%2() of its own graph (root root), which "
             u"would wait for svc itself; use requestStop() instead"_s.arg(
                 inStart ? u"start"_s : u"stop"_s, call));
    QCOMPARE(manager.state(), State::Failed);
    QCOMPARE(svc.state(), State::Failed);
    QCOMPARE(root.state(), State::Stopped);
}

// After a suspension a hook cannot be told from any other caller: it waits, but the start
// timeout and the graceful shutdown timeout bound it, as any hook that waits too long.
void tst_Misuse::hookAwaitingItsManagerAfterSuspendingIsBounded_data()
{
    QTest::addColumn<bool>("inStart");
    QTest::newRow("start() awaits start()") << true;
    QTest::newRow("stop() awaits wait()") << false;
}

void tst_Misuse::hookAwaitingItsManagerAfterSuspendingIsBounded()
{
    QFETCH(bool, inStart);
    HookService svc(u"svc"_s);
    svc.startLimit = 100ms;
    svc.stopLimit = 100ms;
    (inStart ? svc.onStart : svc.onStop) = inStart ? suspendThenAwaitStart : suspendThenAwaitWait;
    ServiceManager manager(&svc);
    if (!inStart)
        runBlocking(manager.start());
    const int ended = s_hooksEnded;
    const std::optional<Error> error = expectError(inStart ? manager.start() : manager.stop());
    QVERIFY(error);
    QCOMPARE(error->primary().service, u"svc"_s);
    QVERIFY2(error->primary().message.startsWith(u"timed out after 100 ms"_s),
             qPrintable(error->message()));
    QCOMPARE(manager.state(), State::Failed);
    // The abandoned hook is released once the run is over: its wait returns, and it ends.
    QTRY_COMPARE(s_hooksEnded, ended + 1);
}

void tst_Misuse::requestStopFromTaskOrHook_data()
{
    QTest::addColumn<int>("where");
    QTest::newRow("start(), at once") << 0;
    QTest::newRow("start(), after a suspension") << 1;
    QTest::newRow("a task") << 2;
    QTest::newRow("stop(): a no-op") << 3;
}

void tst_Misuse::requestStopFromTaskOrHook()
{
    QFETCH(int, where);
    HookService svc(u"svc"_s), root(u"root"_s);
    root.deps = {&svc};
    if (where == 0)
        svc.onStart = requestStopAtOnce;
    else if (where == 1)
        svc.onStart = suspendThenRequestStop;
    else if (where == 2)
        svc.onStart = taskRequestsStop;
    else
        svc.onStop = requestStopAtOnce;
    ServiceManager manager(&root);
    QSignalSpy svcStates(&svc, &QService::stateChanged);
    runBlocking(manager.start()); // completes once the graph has stopped when start() asked
    if (where == 3)
        runBlocking(manager.stop());
    runBlocking(manager.wait()); // returns normally: a stop request is not an error
    QCOMPARE(manager.state(), State::Stopped);
    QVERIFY(!manager.error());
    QCOMPARE(states(svcStates),
             (QList{State::Starting, State::Running, State::Stopping, State::Stopped}));
    QCOMPARE(root.state(), State::Stopped);
}

void tst_Misuse::hugeGraphsNeedNoRecursion_data()
{
    QTest::addColumn<bool>("chain"); // else a fan-out: one group of every service
    QTest::addColumn<bool>("valid"); // else the deepest service lists a null dependency
    QTest::newRow("chain") << true << true;
    QTest::newRow("fan-out") << false << true;
    QTest::newRow("chain, refused at the bottom") << true << false;
}

// 100 000 services, read and run without recursion (a recursive walk would overflow the stack,
// under AddressSanitizer sooner). benchmarks/ measures the time (well under a second to
// validate in a release build); this only checks that it completes.
void tst_Misuse::hugeGraphsNeedNoRecursion()
{
    QFETCH(bool, chain);
    QFETCH(bool, valid);
    constexpr int Count = 100000;
    std::vector<std::unique_ptr<HookService>> services;
    services.reserve(Count);
    QList<QService *> all;
    for (int i = 0; i < Count; ++i) {
        services.push_back(std::make_unique<HookService>(u"s%1"_s.arg(i)));
        if (chain && i > 0)
            services.back()->deps = {services[size_t(i) - 1].get()};
        all.append(services.back().get());
    }
    if (!valid)
        services.front()->deps = {nullptr};
    HookService root(u"root"_s);
    root.deps = chain ? Dependencies{all.last()} : Dependencies{Stage(all)};
    ServiceManager manager(&root);
    if (!valid) {
        const std::optional<Error> error = expectError(manager.start(), 120s);
        QVERIFY(error);
        QCOMPARE(error->message(), u"s0: invalid dependencies: null dependency in stage 1"_s);
        return;
    }
    runBlocking(manager.start(), 120s);
    QCOMPARE(manager.serviceCount(), Count + 1);
    QCOMPARE(services.front()->state(), State::Running);
    QCOMPARE(services.back()->state(), State::Running);
    runBlocking(manager.stop(), 120s);
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(services.front()->state(), State::Stopped);
}

void tst_Misuse::exceptionsThatAreNotStdExceptions_data()
{
    QTest::addColumn<QString>("where");
    QTest::addColumn<Phase>("phase");
    QTest::addColumn<QString>("message");
    const QString unknown = u"unknown exception (not a std::exception)"_s;
    QTest::newRow("start()") << u"start"_s << Phase::Start << unknown;
    QTest::newRow("stop()") << u"stop"_s << Phase::Stop << unknown;
    QTest::newRow("a coroutine task") << u"task"_s << Phase::Run << unknown;
    QTest::newRow("a callable") << u"callable"_s << Phase::Run << unknown;
    QTest::newRow("dependencies()")
        << u"dependencies"_s << Phase::Validate << u"dependencies() threw: "_s + unknown;
}

void tst_Misuse::exceptionsThatAreNotStdExceptions()
{
    QFETCH(QString, where);
    QFETCH(Phase, phase);
    QFETCH(QString, message);
    ScriptedService odd(u"odd"_s);
    HookService oddHooks(u"odd"_s);
    QService *service = &odd;
    if (where == u"start"_s) {
        odd.onStart.throwNonStd = true;
    } else if (where == u"stop"_s) {
        odd.onStop.throwNonStd = true;
    } else {
        service = &oddHooks;
        oddHooks.onStart = where == u"task"_s ? taskThrowsNonStd : callableThrowsNonStd;
        oddHooks.throwFromDependencies = where == u"dependencies"_s;
    }
    ServiceManager manager(service);
    std::optional<Error> error;
    if (phase == Phase::Start || phase == Phase::Validate) {
        error = expectError(manager.start());
    } else {
        runBlocking(manager.start());
        error = expectError(phase == Phase::Stop ? manager.stop() : manager.wait());
    }
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().service, u"odd"_s);
    QCOMPARE(error->primary().phase, phase);
    QVERIFY2(error->primary().message.endsWith(message), qPrintable(error->message()));
}

QTEST_GUILESS_MAIN(tst_Misuse)
#include "tst_misuse.moc"
