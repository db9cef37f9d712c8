import QtQuick
import QtQuick.Controls
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
            required property ServiceManager manager
            ProgressBar { value: manager.progress; visible: manager.state === Service.Starting }
            Label { text: manager.state === Service.Running ? "Ready" : manager.startingServices.join(", ") }
            Label { text: manager.errorString; visible: manager.state === Service.Failed }
            Button { text: "Stop"; onClicked: manager.requestStop() }
            Button { text: "Restart"; enabled: manager.state === Service.Failed; onClicked: manager.requestStart() }
        }
        // [/snippet:qml-manager-window]
    }

    Item {
        id: root
        property ServiceManager manager: fixture.manager
        // [snippet:qml-service-model]
        ListView {
            model: ServiceModel { manager: root.manager }
            delegate: Text { text: model.name + ": " + model.stateName + " (" + model.startMs + " ms)" }
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

    function test_serviceModelList() {
        const list = root.children[0]
        fixture.manager.requestStart()
        tryCompare(fixture.manager, "state", Service.Running, 5000)
        compare(list.count, fixture.manager.serviceCount)
        verify(list.count > 0)
    }
}
