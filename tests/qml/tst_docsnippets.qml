import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.Window
import QtTest
import QLifecycle

// The QML blocks of docs/qml.md, loaded and run against the fixture's graph: they compile,
// and their bindings show what the page says.
TestCase {
    id: testCase
    name: "DocSnippets"

    Component {
        id: managerWindow
        // [snippet:qml-manager-window]
        Window {
            id: root
            required property ServiceManager manager
            ProgressBar { value: root.manager.progress; visible: root.manager.state === Service.Starting }
            Label { text: root.manager.state === Service.Running ? "Ready" : Array.from(root.manager.startingServices).join(", ") }
            Label { text: root.manager.errorString; visible: root.manager.state === Service.Failed }
            Button { text: "Stop"; onClicked: root.manager.requestStop() }
            Button { text: "Restart"; enabled: root.manager.state === Service.Failed; onClicked: root.manager.requestStart() }
        }
        // [/snippet:qml-manager-window]
    }

    Component {
        id: shutdownWindow
        Window {
            id: window
            required property ServiceManager manager
            width: 300
            height: 200
            // [snippet:qml-shutdown-view]
            // Above the window's content: shown while the services stop (the main window stays
            // open until they have stopped).
            Rectangle {
                anchors.fill: parent
                visible: window.manager.state === Service.Stopping
                color: Qt.rgba(0, 0, 0, 0.6)
                Column {
                    anchors.centerIn: parent
                    Label { text: qsTr("Closing…"); color: "white" }
                    ProgressBar { value: window.manager.stopProgress }
                    Label { text: Array.from(window.manager.stoppingServices).join(", "); color: "white" }
                }
            }
            // [/snippet:qml-shutdown-view]
        }
    }

    Component {
        id: shutdownComponentWindow
        Window {
            id: window
            required property ServiceManager manager
            property alias view: shutdownView
            width: 400
            height: 300
            Label { text: qsTr("The window's content") }
            // [snippet:qml-shutdown-component]
            ShutdownView { // last, so that it is above the content
                id: shutdownView
                anchors.fill: parent
                manager: window.manager
            }
            // [/snippet:qml-shutdown-component]
        }
    }

    // Stands in for the Documents service of docs/lifecycle.md ("The quit guard").
    QtObject {
        id: documents
        signal unsavedChangesOnQuit()
        property var answers: []
        function saveAndQuit() { answers.push("save") }
        function discardAndQuit() { answers.push("discard") }
        function cancelQuit() { answers.push("cancel") }
    }

    Component {
        id: dialogWindow
        Window {
            id: window
            required property ServiceManager manager
            property alias dialog: unsavedChanges
            width: 300
            height: 200
            visible: true
            Dialog {
                id: unsavedChanges
                title: qsTr("Unsaved changes")
                modal: true
                standardButtons: Dialog.Save | Dialog.Discard | Dialog.Cancel
                onAccepted: documents.saveAndQuit()
                onDiscarded: {
                    documents.discardAndQuit()
                    close() // Discard does not close a dialog by itself
                }
                onRejected: documents.cancelQuit() // Cancel, Escape
            }
            Connections {
                target: documents
                function onUnsavedChangesOnQuit() { unsavedChanges.open() }
            }
            Connections { // the quit went on without the answer (the window was closed again)
                target: window.manager
                function onStateChanged() {
                    if (window.manager.state === Service.Stopping)
                        unsavedChanges.close()
                }
            }
        }
    }

    Component {
        id: readyMadeWindow
        // [snippet:qml-ready-made]
        ApplicationWindow {
            id: window
            required property ServiceManager manager
            width: 960
            height: 600
            header: CompactProgress { manager: window.manager } // one line: bar and text
            ColumnLayout {
                anchors.fill: parent
                ProgressView { manager: window.manager; Layout.fillWidth: true }
                ServiceTable {
                    manager: window.manager
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                }
            }
            ShutdownView { anchors.fill: parent; manager: window.manager } // over the content
        }
        // [/snippet:qml-ready-made]
    }

    Item {
        id: root
        property ServiceManager manager: fixture.manager
        width: 300
        height: 200
        // [snippet:qml-service-model]
        ListView {
            anchors.fill: parent
            model: ServiceModel { manager: root.manager }
            delegate: Label {
                required property string name
                required property string stateName
                required property int startMs
                text: name + ": " + stateName + (startMs < 0 ? "" : " (" + startMs + " ms)")
            }
        }
        // [/snippet:qml-service-model]
    }

    // Leaves the manager Stopped: a Failed graph is run once more, cleanly, then stopped.
    function cleanup() {
        fixture.setDatabaseFails(false)
        fixture.manager.requestStop()
        tryVerify(function() { return fixture.manager.state === Service.Stopped
                                      || fixture.manager.state === Service.Failed }, 5000)
        if (fixture.manager.state === Service.Failed) {
            fixture.manager.requestStart()
            tryCompare(fixture.manager, "state", Service.Running, 5000)
            fixture.manager.requestStop()
            tryCompare(fixture.manager, "state", Service.Stopped, 5000)
        }
    }

    function test_managerWindow() {
        const window = createTemporaryObject(managerWindow, testCase, { manager: fixture.manager })
        verify(window)
        const ready = window.contentItem.children[1]
        const restart = window.contentItem.children[4]
        compare(ready.text, "")
        compare(restart.enabled, false)
        fixture.manager.requestStart()
        tryCompare(ready, "text", "Ready", 5000)
        compare(window.contentItem.children[2].visible, false) // no error to show
        fixture.manager.requestStop()
        tryCompare(fixture.manager, "state", Service.Stopped, 5000)

        fixture.setDatabaseFails(true)
        fixture.manager.requestStart()
        tryCompare(restart, "enabled", true, 5000) // Failed: the page's Restart button is live
        verify(window.contentItem.children[2].text.length > 0)
    }

    function test_shutdownView() {
        const window = createTemporaryObject(shutdownWindow, testCase, { manager: fixture.manager })
        verify(window)
        const view = window.contentItem.children[0]
        const bar = view.children[0].children[1]
        let values = []
        bar.valueChanged.connect(function() { values.push(bar.value) })
        fixture.manager.requestStart()
        tryCompare(fixture.manager, "state", Service.Running, 5000)
        compare(view.visible, false)
        values = []
        let shownAt = -1
        const stopping = function() {
            if (fixture.manager.state === Service.Stopping && shownAt < 0)
                shownAt = bar.value
        }
        fixture.manager.stateChanged.connect(stopping)
        fixture.manager.requestStop()
        verify(view.visible)
        compare(shownAt, 0) // an empty bar as the stop begins
        tryCompare(fixture.manager, "state", Service.Stopped, 5000)
        fixture.manager.stateChanged.disconnect(stopping)
        compare(view.visible, false)
        compare(values[values.length - 1], 1) // full once every service has stopped
    }

    function test_quitGuardDialog_data() {
        return [
            { tag: "Save", button: Dialog.Save, answer: "save" },
            { tag: "Discard", button: Dialog.Discard, answer: "discard" },
            { tag: "Cancel", button: Dialog.Cancel, answer: "cancel" },
        ]
    }

    function test_quitGuardDialog(data) {
        const window = createTemporaryObject(dialogWindow, testCase, { manager: fixture.manager })
        verify(window)
        documents.answers = []
        documents.unsavedChangesOnQuit()
        tryCompare(window.dialog, "opened", true, 5000)
        window.dialog.standardButton(data.button).clicked()
        tryCompare(window.dialog, "visible", false, 5000)
        compare(documents.answers, [data.answer]) // one answer
    }

    function test_quitGuardDialogClosesWhenTheStopBegins() {
        const window = createTemporaryObject(dialogWindow, testCase, { manager: fixture.manager })
        verify(window)
        fixture.manager.requestStart()
        tryCompare(fixture.manager, "state", Service.Running, 5000)
        documents.answers = []
        documents.unsavedChangesOnQuit()
        tryCompare(window.dialog, "opened", true, 5000)
        fixture.manager.requestStop() // as a second quit does while the guard waits
        tryCompare(window.dialog, "visible", false, 5000)
        compare(documents.answers, []) // closed, not answered
    }

    function test_readyMadeComponents() {
        const window = createTemporaryObject(readyMadeWindow, testCase,
                                             { manager: fixture.manager })
        verify(window)
        // The components, found by what they have.
        const find = function(item, property) {
            if (item[property] !== undefined)
                return item
            for (let i = 0; i < item.children.length; ++i) {
                const found = find(item.children[i], property)
                if (found)
                    return found
            }
            return null
        }
        const progress = find(window.contentItem, "headline")
        const table = find(window.contentItem, "columns")
        const shutdown = find(window.contentItem, "hint")
        fixture.manager.requestStart()
        tryCompare(fixture.manager, "state", Service.Running, 5000)
        tryCompare(progress, "headline", "All 4 services running", 5000) // startingServices follows a turn later
        tryCompare(window.header, "text", "4 services running", 5000) // startingServices follows a turn later
        compare(table.model.count, 4)
        compare(shutdown.active, false)
        fixture.manager.requestStopFor(ServiceManager.WindowClosed) // as closing the window does
        compare(shutdown.active, true)
        tryCompare(fixture.manager, "state", Service.Stopped, 5000)
        compare(shutdown.active, false)
    }

    function test_serviceModelList() {
        const list = root.children[0]
        fixture.manager.requestStart()
        tryCompare(fixture.manager, "state", Service.Running, 5000)
        compare(list.count, fixture.manager.serviceCount)
        verify(list.count > 0)
        // "config: Running (12 ms)": a start's duration once it has one, never "-1 ms".
        list.forceLayout() // the test case is not shown: lay the delegates out now
        verify(list.itemAtIndex(0) !== null)
        verify(/^config: Running \(\d+ ms\)$/.test(list.itemAtIndex(0).text),
               list.itemAtIndex(0).text)
    }

    // The ready-made view shows itself for a quit only, and follows the stop from 0.
    function test_shutdownComponent() {
        const window = createTemporaryObject(shutdownComponentWindow, testCase,
                                             { manager: fixture.manager })
        verify(window)
        fixture.manager.requestStart()
        tryCompare(fixture.manager, "state", Service.Running, 5000)
        compare(window.view.visible, false)
        fixture.manager.requestStop() // a stop, not a quit: not shown
        tryCompare(fixture.manager, "state", Service.Stopped, 5000)
        compare(window.view.visible, false)

        fixture.manager.requestStart()
        tryCompare(fixture.manager, "state", Service.Running, 5000)
        let firstValue = -1
        const shown = function() {
            if (window.view.visible && firstValue < 0)
                firstValue = window.view.value
        }
        window.view.visibleChanged.connect(shown)
        fixture.manager.requestStopFor(ServiceManager.WindowClosed)
        tryCompare(window.view, "visible", true, 5000)
        compare(firstValue, 0) // never the 100 % of the start
        tryCompare(fixture.manager, "state", Service.Stopped, 5000)
        compare(window.view.visible, false)
        window.view.visibleChanged.disconnect(shown)
    }
}
