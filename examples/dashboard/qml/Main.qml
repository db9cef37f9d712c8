import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QLifecycle

// The dashboard window: the manager's state and progress, its errors, and every service live.
// main.cpp passes the manager that run() runs (Lifecycle.manager would give the same one), and
// makes this window the manager's main window: closing it asks the services to stop, and it
// stays open, showing the stop's progress and reason, until they have; then run() returns.
ApplicationWindow {
    id: window

    required property ServiceManager manager

    readonly property int managerState: manager.state
    readonly property bool active: managerState === Service.Starting
                                   || managerState === Service.Running
    // The program ends once the services have stopped: the window was closed, the application
    // quit, a signal came, or the session ends.
    readonly property bool quitting: managerState === Service.Stopping
                                     && manager.stopReason !== ServiceManager.Requested
                                     && manager.stopReason !== ServiceManager.Failure

    width: 960
    height: 660
    minimumWidth: 800
    minimumHeight: 480
    visible: true
    title: "QLifecycle dashboard"
    color: Theme.background

    header: Rectangle {
        implicitHeight: 64
        color: "#1f2a37"

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: Theme.margin + 4
            anchors.rightMargin: Theme.margin + 4
            spacing: 12

            ColumnLayout {
                spacing: 0
                Label {
                    text: "QLifecycle dashboard"
                    color: "white"
                    font.pixelSize: 20
                    font.bold: true
                }
                Label {
                    text: window.manager.serviceCount + " services, root "
                          + window.manager.root.name
                    color: "#aab4c0"
                    font.pixelSize: 12
                }
            }
            Item { Layout.fillWidth: true }
            Badge {
                lifecycleState: window.managerState
                fontSize: 15
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: Theme.margin
        spacing: 12

        ProgressPanel {
            Layout.fillWidth: true
            manager: window.manager
        }
        ErrorBanner {
            Layout.fillWidth: true
            title: window.managerState === Service.Failed ? "The services stopped after a failure"
                                                          : "A service failed: stopping the others"
            text: window.manager.errorString
        }
        ServiceList {
            Layout.fillWidth: true
            Layout.fillHeight: true
            manager: window.manager
        }
    }

    footer: Rectangle {
        implicitHeight: 56
        color: Theme.card
        border.color: Theme.border

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: Theme.margin
            anchors.rightMargin: Theme.margin
            spacing: 8

            Label {
                Layout.fillWidth: true
                text: window.quitting
                      ? "The window closes once every service has stopped (close it again to "
                        + "quit at once)."
                      : "Closing the window stops the services gracefully first."
                color: Theme.mutedText
                elide: Text.ElideRight
            }
            Button {
                text: "Restart"
                visible: window.managerState === Service.Failed
                onClicked: window.manager.requestStart()
            }
            Button {
                text: "Stop"
                enabled: window.active
                onClicked: window.manager.requestStop()
            }
        }
    }
}
