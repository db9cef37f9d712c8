import QtQuick
import QtTest
import QLifecycle

// ProgressView (docs/qml.md, "Ready-made components"): its headline, bar, activity, deferred
// count and reason as the fixture's graph (config <- {db, cache} <- api) starts, fails and stops.
TestCase {
    id: testCase
    name: "ProgressView"
    when: windowShown
    visible: true // a TestCase is not: its items are shown, and clickable

    property ServiceManager manager: fixture.manager

    ProgressView {
        id: view
        width: 600
        // no manager set: Lifecycle.manager, the fixture's
    }

    // Every value the view showed, in order, and what it showed when the manager turned
    // Stopping.
    property var headlines: []
    property var activities: []
    property var atStopping: null
    Connections {
        target: view
        function onHeadlineChanged() { testCase.headlines.push(view.headline) }
        function onActivityChanged() { testCase.activities.push(view.activity) }
    }
    Connections {
        target: testCase.manager
        function onStateChanged() {
            if (testCase.manager.state === Service.Stopping && testCase.atStopping === null)
                testCase.atStopping = { value: view.value, headline: view.headline,
                                        reason: view.reasonText }
        }
    }

    function init() {
        fixture.setApplicationManager(true)
        fixture.setDatabaseFails(false)
        compare(manager.state, Service.Stopped)
        headlines = []
        activities = []
        atStopping = null
    }

    function cleanup() {
        fixture.cache.startPolicy = Service.Eager
        fixture.setDatabaseFails(false)
        manager.requestStop()
        tryVerify(() => manager.state === Service.Stopped || manager.state === Service.Failed,
                  5000)
        if (manager.state === Service.Failed) {
            manager.requestStart()
            tryCompare(manager, "state", Service.Running, 5000)
            manager.requestStop()
            tryCompare(manager, "state", Service.Stopped, 5000)
        }
    }

    function test_defaultsToTheApplicationManager() {
        compare(view.manager, manager)
    }

    function test_startCountsUpThenRuns() {
        manager.requestStart()
        compare(view.headline, "Starting services… 0 of 4")
        compare(view.value, 0)
        tryCompare(manager, "state", Service.Running, 5000)
        verify(headlines.indexOf("Starting services… 1 of 4") >= 0, headlines)
        verify(headlines.indexOf("Starting services… 3 of 4") >= 0, headlines)
        verify(activities.indexOf("Now starting: config") >= 0, activities)
        tryCompare(view, "headline", "All 4 services running", 5000) // startingServices follows a turn later
        compare(view.value, 1)
        compare(view.percentText, "100 % started")
        compare(view.deferredText, "")
        compare(view.reasonText, "")
    }

    function test_stopBeginsAtZeroWithItsReason() {
        manager.requestStart()
        tryCompare(manager, "state", Service.Running, 5000)
        manager.requestStopFor(ServiceManager.WindowClosed)
        verify(atStopping !== null)
        compare(atStopping.value, 0) // never the 100 % of the start
        compare(atStopping.headline, "Shutting down…")
        compare(atStopping.reason, "Why: the window was closed")
        tryCompare(manager, "state", Service.Stopped, 5000)
        verify(activities.indexOf("Now stopping: api") >= 0, activities)
        compare(view.headline, "All services stopped")
        compare(view.value, 0)
        compare(view.reasonText, "Why: the window was closed")
    }

    function test_deferredServicesAreCountedApart() {
        fixture.cache.startPolicy = Service.OnDemand
        manager.requestStart()
        compare(view.deferredCount, 1)
        compare(view.headline, "Starting services… 0 of 3")
        compare(view.deferredText, "1 service starts later (deferred)")
        tryCompare(manager, "state", Service.Running, 5000)
        tryCompare(view, "headline", "3 of 4 services running", 5000) // startingServices follows a turn later
        compare(view.value, 1)
        manager.requestRunning(fixture.cache)
        tryCompare(fixture.cache, "state", Service.Running, 5000)
        tryCompare(view, "headline", "All 4 services running", 5000) // startingServices follows a turn later
        compare(view.deferredText, "")
    }

    function test_failureStopsAndSaysWhy() {
        fixture.setDatabaseFails(true)
        manager.requestStart()
        tryCompare(manager, "state", Service.Failed, 5000)
        verify(headlines.indexOf("Stopping after a failure…") >= 0, headlines)
        compare(view.headline, "Stopped after a failure")
        compare(view.reasonText, "Why: a service failed")
        compare(view.value, 0)
    }
}
