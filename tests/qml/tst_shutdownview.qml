import QtQuick
import QtTest
import QLifecycle

// ShutdownView (docs/qml.md, "Ready-made components"): shown while the graph stops for a quit
// (here requestStopFor(ServiceManager.WindowClosed) stands in for the window's close), with the
// stop's progress from 0, its reason and the services stopping; never for a plain stop.
TestCase {
    id: testCase
    name: "ShutdownView"
    when: windowShown
    visible: true // a TestCase is not: its items are shown, and clickable

    property ServiceManager manager: fixture.manager

    Item {
        width: 640
        height: 480
        ShutdownView {
            id: shutdown
            anchors.fill: parent
            manager: testCase.manager
        }
    }

    property var atStopping: null
    property bool everShown: false
    property var activities: []
    // What the view showed as it appeared.
    Connections {
        target: shutdown
        function onActiveChanged() {
            testCase.everShown = testCase.everShown || shutdown.active
            if (shutdown.active && testCase.atStopping === null)
                testCase.atStopping = { state: testCase.manager.state, value: shutdown.value,
                                        reason: shutdown.reasonText }
        }
        function onActivityChanged() { testCase.activities.push(shutdown.activity) }
    }

    function init() {
        compare(manager.state, Service.Stopped)
        atStopping = null
        everShown = false
        activities = []
        manager.requestStart()
        tryCompare(manager, "state", Service.Running, 5000)
        compare(shutdown.visible, false)
    }

    function cleanup() {
        manager.requestStop()
        tryCompare(manager, "state", Service.Stopped, 5000)
    }

    function test_shownWhileAQuitStops_data() {
        return [
            { tag: "window closed", reason: ServiceManager.WindowClosed,
              text: "Why: the window was closed" },
            { tag: "quit", reason: ServiceManager.Quit, text: "Why: the application is quitting" },
            { tag: "signal", reason: ServiceManager.Signal,
              text: "Why: a signal (SIGINT or SIGTERM)" },
            { tag: "session end", reason: ServiceManager.SessionEnd,
              text: "Why: the session is ending" },
        ]
    }

    function test_shownWhileAQuitStops(data) {
        manager.requestStopFor(data.reason)
        compare(atStopping.state, Service.Stopping)
        compare(shutdown.visible, true)
        compare(atStopping.value, 0) // the bar begins empty
        compare(atStopping.reason, data.text)
        verify(shutdown.hint.indexOf("again") > 0)
        tryCompare(manager, "state", Service.Stopped, 5000)
        compare(shutdown.visible, false) // gone once stopped
        compare(shutdown.value, 1)
        verify(activities.indexOf("Now stopping: api") >= 0, activities)
        verify(activities.indexOf("Now stopping: config") >= 0, activities)
    }

    function test_notShownForAPlainStop() {
        manager.requestStop()
        tryCompare(manager, "state", Service.Stopped, 5000)
        compare(everShown, false)
        compare(atStopping, null)
    }
}
