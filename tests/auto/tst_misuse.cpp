// Misuse of the API, one test per item of the list in docs/lifecycle.md ("Misuse"): each ends
// either in an error that names the services involved, or in a documented harmless no-op, and
// never in a crash or a hang. Some items are also covered, in other contexts, by
// tst_failures (validation, non-std exceptions), tst_ordering (two managers, requestStop from
// another thread) and tst_dependencygraph (deep graphs).
//
// This file: invalid graphs, ownership, destroyed services and managers, threads, run(). The
// hooks, requestStop(), huge graphs and exceptions are in tst_misuse_hooks.cpp.

#include "tst_misuse.h"

#include <QCoro/QCoroTimer>

#include <QtConcurrent/QtConcurrentRun>
#include <QtCore/QEventLoop>
#include <QtCore/QPointer>
#include <QtCore/QScopeGuard>
#include <QtCore/QTimer>

#include <memory>
#include <thread>
#include <vector>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace MisuseTest;
using namespace Qt::StringLiterals;

namespace {

// Holds a hook until the test releases it; the hook then ends without touching its service.
Sleeper *s_gate = nullptr;
QCoro::Task<> hangUntilReleased(HookService *)
{
    co_await s_gate->sleep(-1ms);
}

// A daemon task that sleeps in a cancellable wait of its service, again and again.
QCoro::Task<> sleepForever(HookService *s)
{
    for (;;)
        co_await s->sleepFor(5ms);
}
QFuture<void> s_daemon;
QCoro::Task<> startSleeper(HookService *s)
{
    s_daemon = s->addTask(sleepForever(s), {.name = u"sleeper"_s, .daemon = true});
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

// root -> {bad, waiting}, waiting -> slow. bad's start() fails while slow still starts: the
// start is given up and rolled back. A slot on the manager's errorOccurred deletes a service
// the run no longer needs (waiting, which never started, or bad, whose start already failed
// although it still shows Starting to that slot), then spins a nested loop as a dialog would.
// The aggregate error holds the start failure alone: no "destroyed" failure is added.
void tst_Misuse::serviceDestroyedOnceAFailedStartGaveItUpIsNoFailure_data()
{
    QTest::addColumn<bool>("deleteFailed"); // else the service not started yet
    QTest::newRow("a service not started yet") << false;
    QTest::newRow("the service whose start failed") << true;
}

void tst_Misuse::serviceDestroyedOnceAFailedStartGaveItUpIsNoFailure()
{
    QFETCH(bool, deleteFailed);
    auto *bad = new ScriptedService(u"bad"_s);
    auto *waiting = new ScriptedService(u"waiting"_s);
    const QPointer<QService> deleted(deleteFailed ? static_cast<QService *>(bad) : waiting);
    const QPointer<QService> kept(deleteFailed ? static_cast<QService *>(waiting) : bad);
    const auto cleanup = qScopeGuard([&] { delete kept.data(); });
    ScriptedService slow(u"slow"_s), root(u"root"_s);
    bad->onStart.yield = bad->onStart.fail = true;
    slow.onStart.delay = 100ms;
    waiting->deps = {&slow};
    root.deps = {{bad, waiting}};
    ServiceManager manager(&root);
    std::optional<State> slowWhenDeleted;
    connect(deleted, &QObject::destroyed, this, [&] { slowWhenDeleted = slow.state(); });
    bool waitingStarted = false; // read after `waiting` may be gone: through a signal
    connect(waiting, &QService::stateChanged, this,
            [&](State state) { waitingStarted = waitingStarted || state == State::Starting; });
    connect(&manager, &ServiceManager::errorOccurred, this, [&] {
        delete deleted.data(); // a slot may do anything
        QEventLoop dialog;
        QTimer::singleShot(20ms, &dialog, &QEventLoop::quit);
        dialog.exec();
    });
    if (deleteFailed) // it still shows Starting: the warning of any service destroyed so
        QTest::ignoreMessage(QtWarningMsg, "bad destroyed while Starting - stop the "
                                           "ServiceManager before destroying its services");
    QTest::failOnWarning(QRegularExpression(u"crashed: destroyed"_s));
    const std::optional<Error> error = expectError(manager.start(), 5s);
    QVERIFY(error);
    QVERIFY(!deleted);
    QCOMPARE(slowWhenDeleted, State::Starting); // during the rollback
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().service, u"bad"_s);
    QCOMPARE(error->primary().phase, Phase::Start);
    QCOMPARE(manager.state(), State::Failed);
    QVERIFY(!manager.services().contains(deleted.data()));
    QCOMPARE(slow.stopCalls, 1); // rolled back
    QCOMPARE(root.startCalls, 0);
    QVERIFY(!waitingStarted);
}

// Its tasks are cancelled at once: none resumes later with the service gone.
void tst_Misuse::serviceDestroyedWhileRunningCancelsItsTasks()
{
    auto *leaf = new HookService(u"leaf"_s);
    leaf->onStart = startSleeper;
    HookService root(u"root"_s);
    root.deps = {leaf};
    ServiceManager manager(&root);
    runBlocking(manager.start());
    QVERIFY(s_daemon.isRunning());
    delete leaf;
    QVERIFY(s_daemon.isCanceled());
    const std::optional<Error> error = expectError(manager.wait());
    QVERIFY(error);
    QCOMPARE(error->message(), u"leaf: crashed: destroyed while Running; the graph is stopped"_s);
    QCOMPARE(root.state(), State::Stopped);
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
        task = root.addPoolTask([] { return 1; });
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

void tst_Misuse::runFromAnotherThreadReturnsOne()
{
    ScriptedService root(u"root"_s);
    ServiceManager manager(&root);
    QTest::ignoreMessage(QtCriticalMsg, "ServiceManager::run() needs a QCoreApplication and must "
                                        "be called on its thread, by a manager living there");
    int code = -1;
    std::thread([&] { code = manager.run(); }).join();
    QCOMPARE(code, 1);
    QCOMPARE(root.startCalls, 0); // nothing was started
}

// QCoreApplication::exit() ends the event loop without the quit event that run() turns into a
// stop: run() still stops the graph before it returns, and returns the loop's code.
void tst_Misuse::eventLoopExitedBehindRunsBackStillStops()
{
    ScriptedService a(u"a"_s), root(u"root"_s);
    root.deps = {&a};
    ServiceManager manager(&root);
    connect(&manager, &ServiceManager::stateChanged, this, [](State state) {
        if (state == State::Running)
            QCoreApplication::exit(7);
    });
    QCOMPARE(manager.run(), 7);
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(root.stopCalls, 1);
    QCOMPARE(a.stopCalls, 1);
    // Nothing queued is left behind to end the application's next event loop.
    QEventLoop loop;
    QTimer::singleShot(0, &loop, [&loop] { loop.exit(5); });
    QCOMPARE(loop.exec(), 5);
}

QTEST_GUILESS_MAIN(tst_Misuse)
