import QtQuick
import QtTest
import QLifecycle

// Bindings to the manager's and a service's properties through a whole start, stop and
// failure cycle.
TestCase {
    id: testCase
    name: "ManagerBindings"

    property ServiceManager manager: fixture.manager
    readonly property bool managerRunning: manager.state === Service.Running
    readonly property real progress: manager.progress
    readonly property int dbState: fixture.db.state

    SignalSpy { id: managerStates; target: testCase.manager; signalName: "stateChanged" }
    SignalSpy { id: progressSpy; target: testCase.manager; signalName: "progressChanged" }
    SignalSpy { id: startingSpy; target: testCase.manager; signalName: "startingServicesChanged" }

    // Each test begins from the same place, whichever ran before it: the manager stopped and
    // the application's, the database starting normally, the spies empty.
    function init() {
        fixture.setApplicationManager(true)
        fixture.setDatabaseFails(false)
        compare(manager.state, Service.Stopped)
        managerStates.clear()
        progressSpy.clear()
        startingSpy.clear()
    }

    // Leaves the manager Stopped: a Failed graph is run once more, cleanly, then stopped.
    function cleanup() {
        fixture.setDatabaseFails(false)
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

    function test_managerReachableWithoutBoilerplate() {
        // The singleton gives the application's manager (here the one the fixture set).
        compare(Lifecycle.manager, fixture.manager)
        compare(Lifecycle.manager.root, fixture.api)
    }

    function test_startAndStop() {
        compare(manager.state, Service.Stopped)
        compare(progress, 0)
        manager.requestStart()
        compare(manager.state, Service.Starting) // the start begins at once
        tryCompare(testCase, "managerRunning", true, 5000)
        compare(progress, 1)
        compare(dbState, Service.Running)
        compare(manager.serviceCount, 4)
        verify(progressSpy.count >= 4) // rose service by service
        manager.requestStop()
        compare(manager.state, Service.Stopping)
        tryCompare(manager, "state", Service.Stopped, 5000)
        compare(progress, 0)
        compare(dbState, Service.Stopped)
        compare(managerStates.count, 4) // Starting, Running, Stopping, Stopped
    }

    function test_failureAndRestart() {
        fixture.setDatabaseFails(true)
        manager.requestStart()
        tryCompare(manager, "state", Service.Failed, 5000)
        compare(dbState, Service.Failed)
        verify(manager.errorString.indexOf("db: start failed") === 0, manager.errorString)
        verify(fixture.db.errorString.length > 0)
        compare(progress, 0)

        fixture.setDatabaseFails(false)
        manager.requestStart() // restarting after a failure
        tryCompare(testCase, "managerRunning", true, 5000)
        compare(manager.errorString, "")
        compare(fixture.db.errorString, "")
    }

    function test_startingServicesNamesWhatIsStarting() {
        manager.requestStart()
        tryCompare(testCase, "managerRunning", true, 5000)
        tryCompare(manager, "startingServices", [], 5000)
        var seenStarting = []
        for (var i = 0; i < startingSpy.count; ++i) {
            var names = startingSpy.signalArguments[i][0]
            for (var j = 0; j < names.length; ++j)
                if (seenStarting.indexOf(names[j]) < 0) seenStarting.push(names[j])
        }
        verify(seenStarting.indexOf("config") >= 0, seenStarting)
        verify(seenStarting.indexOf("api") >= 0, seenStarting)
    }
}
