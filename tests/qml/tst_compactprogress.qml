import QtQuick
import QtTest
import QLifecycle

// CompactProgress (docs/qml.md, "Ready-made components"): one line, a bar while starting or
// stopping and a short text, as the fixture's graph starts, fails and stops.
TestCase {
    id: testCase
    name: "CompactProgress"
    when: windowShown
    visible: true // a TestCase is not: its items are shown, and clickable

    property ServiceManager manager: fixture.manager

    CompactProgress {
        id: compact
        width: 360
        manager: testCase.manager
    }

    property var texts: []
    property var atStopping: null
    Connections {
        target: compact
        function onTextChanged() { testCase.texts.push(compact.text) }
    }
    Connections {
        target: testCase.manager
        function onStateChanged() {
            if (testCase.manager.state === Service.Stopping && testCase.atStopping === null)
                testCase.atStopping = { value: compact.value, busy: compact.busy,
                                        text: compact.text }
        }
    }

    function init() {
        fixture.setDatabaseFails(false)
        compare(manager.state, Service.Stopped)
        texts = []
        atStopping = null
    }

    function cleanup() {
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

    function test_startShowsTheBarThenHidesIt() {
        compare(compact.text, "Stopped")
        compare(compact.busy, false)
        manager.requestStart()
        compare(compact.busy, true)
        compare(compact.text, "Starting 0/4")
        tryCompare(manager, "state", Service.Running, 5000)
        verify(texts.indexOf("Starting 1/4") >= 0, texts)
        tryCompare(compact, "text", "4 services running", 5000) // startingServices follows a turn later
        compare(compact.busy, false)
        compare(compact.implicitHeight > 0, true)
    }

    function test_stopBeginsAtZero() {
        manager.requestStart()
        tryCompare(manager, "state", Service.Running, 5000)
        manager.requestStop()
        compare(atStopping.busy, true)
        compare(atStopping.value, 0)
        compare(atStopping.text, "Stopping 0 %")
        tryCompare(manager, "state", Service.Stopped, 5000)
        compare(compact.text, "Stopped")
        compare(compact.value, 0)
    }

    function test_failureShowsTheFirstError() {
        fixture.setDatabaseFails(true)
        manager.requestStart()
        tryCompare(manager, "state", Service.Failed, 5000)
        verify(compact.text.startsWith("Failed: "), compact.text)
        verify(compact.text.indexOf("db") > 0, compact.text)
        compare(compact.text.indexOf("\n"), -1) // one line
    }
}
