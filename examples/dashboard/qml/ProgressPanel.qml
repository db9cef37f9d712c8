import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QLifecycle

// The progress of the start and of the stop: a bar bound to manager.progress (the share of
// services running: it rises while starting and falls while stopping) and the names of the
// services starting or stopping right now.
Rectangle {
    id: panel

    required property ServiceManager manager
    // True once the window was asked to close: the stop ends the program.
    property bool closing: false

    readonly property int managerState: manager.state
    readonly property int total: manager.serviceCount
    readonly property int running: Math.round(manager.progress * total)

    implicitHeight: content.implicitHeight + 2 * Theme.margin
    radius: Theme.radius
    color: Theme.card
    border.color: Theme.border

    // "Cache, SearchIndex" for a list of names (a QStringList is a JavaScript array here).
    function names(list) {
        return list.join(", ")
    }

    function headline() {
        switch (managerState) {
        case Service.Starting:
            return "Starting services… " + running + " of " + total + " running"
        case Service.Running:
            return "All " + total + " services running"
        case Service.Stopping:
            return (closing ? "Shutting down… " : "Stopping services… ")
                    + running + " of " + total + " still running"
        case Service.Failed:
            return "Stopped after a failure"
        default:
            return total > 0 ? "All services stopped" : "Not started"
        }
    }

    function detail() {
        switch (managerState) {
        case Service.Starting:
            return "Now starting: " + names(manager.startingServices)
        case Service.Running:
            return "Press Stop or close the window to stop them, in the reverse order."
        case Service.Stopping:
            return "Now stopping: " + names(manager.stoppingServices)
        case Service.Failed:
            return "What had started was stopped again. Press Restart to try again."
        default:
            return ""
        }
    }

    ColumnLayout {
        id: content
        anchors.fill: parent
        anchors.margins: Theme.margin
        spacing: 8

        RowLayout {
            Layout.fillWidth: true
            Label {
                Layout.fillWidth: true
                text: panel.headline()
                color: Theme.text
                font.pixelSize: 18
                font.bold: true
            }
            Label {
                text: Math.round(panel.manager.progress * 100) + " %"
                color: Theme.mutedText
                font.pixelSize: 16
            }
        }

        ProgressBar {
            id: bar
            Layout.fillWidth: true
            from: 0
            to: 1
            value: panel.manager.progress
            background: Rectangle {
                implicitHeight: 12
                radius: 6
                color: Theme.track
            }
            contentItem: Item {
                implicitHeight: 12
                Rectangle {
                    width: bar.visualPosition * parent.width
                    height: parent.height
                    radius: 6
                    color: Theme.stateColor(panel.managerState)
                }
            }
        }

        Label {
            Layout.fillWidth: true
            text: panel.detail()
            color: Theme.mutedText
            elide: Text.ElideRight
        }
    }
}
