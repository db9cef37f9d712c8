#pragma once

// Shared by tst_misuse.cpp and tst_misuse_hooks.cpp: one QtTest class, tst_Misuse, whose
// functions are split between the two files.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>

#include <optional>

namespace MisuseTest {

using namespace QLifecycle;
using namespace std::chrono_literals;

// A service whose hooks run a given coroutine function (never a capturing lambda: docs/faq.md).
class HookService : public QService
{
    Q_OBJECT
public:
    using Hook = QCoro::Task<> (*)(HookService *);
    explicit HookService(const QString &name) { setObjectName(name); }

    // The service's own API, open to the hook functions that act as its code.
    using QService::addPoolTask;
    using QService::addTask;
    using QService::sleepFor;

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

} // namespace MisuseTest

class tst_Misuse : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral("left running"))); }

    void invalidGraphsAreRefusedNamingTheServices_data();
    void invalidGraphsAreRefusedNamingTheServices();
    void serviceInTwoRunningManagersIsRefused();
    void serviceDestroyedWhileNeededFailsTheRun_data();
    void serviceDestroyedWhileNeededFailsTheRun();
    void serviceDestroyedAfterItsRunIsHarmless();
    void serviceDestroyedOnceAFailedStartGaveItUpIsNoFailure_data();
    void serviceDestroyedOnceAFailedStartGaveItUpIsNoFailure();
    void serviceDestroyedWhileRunningCancelsItsTasks();
    void managerDestroyedWhileRunningStopsTheGraph();
    void managerThenServicesDestroyedLeaveNothingBehind();
    void callsFromAnotherThread();
    void runFromAnotherThreadReturnsOne();
    void eventLoopExitedBehindRunsBackStillStops();
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
