import QtQuick
import QtTest
import QLifecycle

// The desktop path from QML (docs/qml.md): stop reasons, start and stop progress, deferred
// services, and the enums that go with them, readable and bindable.
TestCase {
    id: testCase
    name: "DesktopPath"

    property ServiceManager manager: fixture.manager
    readonly property real startProgress: manager.startProgress
    readonly property real stopProgress: manager.stopProgress
    readonly property int stopReason: manager.stopReason
    readonly property int deferredCount: manager.deferredCount

    SignalSpy { id: startProgressSpy; target: testCase.manager; signalName: "startProgressChanged" }
    SignalSpy { id: stopProgressSpy; target: testCase.manager; signalName: "stopProgressChanged" }
    SignalSpy { id: reasonSpy; target: testCase.manager; signalName: "stopReasonChanged" }

    // What a slot (or a shutdown view) reads when the manager turns Stopping.
    property var atStopping: null
    Connections {
        target: testCase.manager
        function onStateChanged() {
            if (testCase.manager.state === Service.Stopping && testCase.atStopping === null)
                testCase.atStopping = { progress: testCase.manager.progress,
                                        stopProgress: testCase.manager.stopProgress,
                                        stopReason: testCase.manager.stopReason }
        }
    }

    function init() {
        fixture.setApplicationManager(true)
        fixture.setDatabaseFails(false)
        compare(manager.state, Service.Stopped)
        atStopping = null
        startProgressSpy.clear()
        stopProgressSpy.clear()
        reasonSpy.clear()
    }

    // Leaves the manager Stopped, every service eager again.
    function cleanup() {
        fixture.api.startPolicy = Service.Eager
        manager.requestStop()
        tryVerify(function() { return manager.state === Service.Stopped
                                      || manager.state === Service.Failed }, 5000)
        if (manager.state === Service.Failed) {
            manager.requestStart()
            tryCompare(manager, "state", Service.Running, 5000)
            manager.requestStop()
            tryCompare(manager, "state", Service.Stopped, 5000)
        }
    }

    function startGraph() {
        manager.requestStart()
        tryCompare(manager, "state", Service.Running, 5000)
    }

    function test_enumsAreReachable() {
        compare(ServiceManager.None, 0)
        compare(ServiceManager.Requested, 1)
        compare(ServiceManager.Quit, 2)
        compare(ServiceManager.WindowClosed, 3)
        compare(ServiceManager.SessionEnd, 4)
        compare(ServiceManager.Signal, 5)
        compare(ServiceManager.Failure, 6)
        compare(ServiceManager.StopReason.WindowClosed, ServiceManager.WindowClosed)
        compare(Service.Eager, 0)
        compare(Service.AfterFirstFrame, 1)
        compare(Service.WhenIdle, 2)
        compare(Service.OnDemand, 3)
        compare(Service.StartPolicy.OnDemand, Service.OnDemand)
    }

    function test_stopReasonAfterRequestStop() {
        startGraph()
        compare(stopReason, ServiceManager.None) // reset when a start begins
        reasonSpy.clear()
        manager.requestStop()
        compare(manager.stopReason, ServiceManager.Requested) // known as soon as it is asked
        tryCompare(manager, "state", Service.Stopped, 5000)
        compare(stopReason, ServiceManager.Requested) // kept once stopped
        compare(atStopping.stopReason, ServiceManager.Requested)
        compare(reasonSpy.count, 1)
        compare(reasonSpy.signalArguments[0][0], ServiceManager.Requested)

        manager.requestStart() // a new start clears it
        compare(stopReason, ServiceManager.None)
        tryCompare(manager, "state", Service.Running, 5000)
    }

    function test_requestStopForAReason() {
        startGraph()
        manager.requestStopFor(ServiceManager.WindowClosed)
        tryCompare(manager, "state", Service.Stopped, 5000)
        compare(stopReason, ServiceManager.WindowClosed)
    }

    function test_failureIsAStopReason() {
        fixture.setDatabaseFails(true)
        manager.requestStart()
        tryCompare(manager, "state", Service.Failed, 5000)
        compare(stopReason, ServiceManager.Failure)
        fixture.setDatabaseFails(false)
    }

    function test_startProgressRisesToOne() {
        compare(manager.progress, 0)
        startGraph()
        compare(startProgress, 1)
        compare(manager.progress, 1)
        compare(stopProgress, 0)
        verify(startProgressSpy.count >= 4, startProgressSpy.count) // one service at a time
        let previous = -1
        for (let i = 0; i < startProgressSpy.count; ++i) {
            const value = startProgressSpy.signalArguments[i][0]
            verify(value > previous || (i === 0 && value === 0), value)
            previous = value
        }
    }

    function test_stopProgressRisesFromZero() {
        startGraph()
        stopProgressSpy.clear()
        manager.requestStop()
        tryCompare(manager, "state", Service.Stopped, 5000)
        verify(atStopping !== null)
        compare(atStopping.stopProgress, 0) // no bar bound to it shows 100 % as the stop begins
        // The stop's progress rises service by service, and ends at 1.
        compare(stopProgressSpy.count, 4)
        let previous = 0
        for (let i = 0; i < stopProgressSpy.count; ++i) {
            const value = stopProgressSpy.signalArguments[i][0]
            verify(value > previous, value)
            previous = value
        }
        compare(previous, 1)
        compare(stopProgress, 1)
        compare(manager.progress, 0) // the run is over: no operation under way
        compare(startProgress, 1) // the start's progress is kept until the next start
    }

    function test_progressFollowsTheStopOnceStopping() {
        startGraph()
        manager.requestStop()
        tryCompare(manager, "state", Service.Stopped, 5000)
        // progress is the stop's as soon as the manager is Stopping: a slot (or a binding) on
        // stateChanged(Stopping) reads 0, not the start's 1.
        compare(atStopping.progress, 0)
    }

    function test_deferredCountAndStartPolicyFromQml() {
        compare(deferredCount, 0)
        compare(fixture.api.startPolicy, Service.Eager)
        fixture.api.startPolicy = Service.OnDemand // writable from QML, read at the next start
        compare(fixture.api.startPolicy, Service.OnDemand)
        fixture.api.startPolicy = Service.Eager
        startGraph()
        compare(deferredCount, 0) // every service is eager: none waits
    }
}
