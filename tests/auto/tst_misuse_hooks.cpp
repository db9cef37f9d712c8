// Misuse, the second half of tst_Misuse (see tst_misuse.cpp): hooks that await their own
// manager, requestStop() from tasks and hooks, huge graphs, exceptions that are not
// std::exception.

#include "tst_misuse.h"

#include <QCoro/QCoroTimer>

#include <QtConcurrent/QtConcurrentRun>
#include <QtCore/QHash>
#include <QtCore/QTimer>

#include <memory>
#include <thread>
#include <vector>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace MisuseTest;
using namespace Qt::StringLiterals;

namespace {

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

QCoro::Task<> throwQString(HookService *)
{
    throw u"odd text"_s;
    co_return;
}
QCoro::Task<> throwCString(HookService *)
{
    throw "odd text";
    co_return;
}
QCoro::Task<> adoptedFutureThrowsNonStd(HookService *s)
{
    // QtConcurrent hands the exception on wrapped in a QUnhandledException.
    s->addTask(QtConcurrent::run([] { throw 42; }), {.name = u"odd future"_s});
    co_return;
}
QCoro::Task<> callableThrowsNonStd(HookService *s)
{
    s->addPoolTask([] { throw 42; }, {.name = u"odd callable"_s});
    co_return;
}

} // namespace

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
    QTest::newRow("an adopted QtConcurrent future") << u"future"_s << Phase::Run << unknown;
    // Not std::exceptions either, but quoted as their text.
    QTest::newRow("start() throws a QString") << u"QString"_s << Phase::Start << u"odd text"_s;
    QTest::newRow("stop() throws a const char *") << u"char"_s << Phase::Stop << u"odd text"_s;
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
        const QHash<QString, HookService::Hook> starts{{u"task"_s, taskThrowsNonStd},
                                                       {u"callable"_s, callableThrowsNonStd},
                                                       {u"future"_s, adoptedFutureThrowsNonStd},
                                                       {u"QString"_s, throwQString}};
        oddHooks.onStart = starts.value(where, nullptr);
        oddHooks.onStop = where == u"char"_s ? throwCString : nullptr;
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
