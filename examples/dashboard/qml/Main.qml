import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QLifecycle
import Dashboard

// The dashboard window, built on the components of `import QLifecycle` (docs/qml.md,
// "Ready-made components"): the start and stop (ProgressView), every service (ServiceTable),
// the errors, and the shutdown (ShutdownView) when the window is closed. main.cpp passes the
// manager that run() runs and makes this window its main window: closing it asks the services
// to stop, it stays open while they do, then run() returns. Its Controls follow the style and
// palette main.cpp chose (Fusion unless -style says otherwise; --palette dark|light).
ApplicationWindow {
    id: window

    required property ServiceManager manager
    // The quit guard's side (unsavedchanges.h): the switch and the question.
    required property UnsavedChanges unsaved
    // "Save trace" (tracesaver.h): the recording of the manager, for Perfetto.
    required property TraceSaver trace

    // The application's palette, role by role (appearance.h): the style's own palette may not
    // follow it (Fusion's is always light in Qt 6.4).
    required property var appPalette
    Component.onCompleted: {
        for (const role in appPalette)
            palette[role] = appPalette[role]
    }

    readonly property int managerState: manager.state
    readonly property bool active: managerState === Service.Starting
                                   || managerState === Service.Running
    readonly property bool stopping: managerState === Service.Stopping
    // A stop that ends the program: the window was closed, the application quit, a signal.
    readonly property bool quitting: stopping && LifecycleUi.isQuitReason(manager.stopReason)
    // What closing the window does now: true in every state.
    readonly property string closingText: active
        ? qsTr("Closing the window stops the services gracefully first.")
        : quitting ? qsTr("The window closes once every service has stopped (close it again to "
                          + "quit at once).")
        : stopping ? qsTr("Closing the window quits once the services have stopped.")
        : qsTr("No service runs: closing the window quits at once.")

    width: 960
    height: 680
    minimumWidth: 520
    minimumHeight: 480
    visible: true
    title: qsTr("QLifecycle dashboard")

    // A Pane, not a ToolBar: its text and background come from the same palette in any style.
    header: Pane {
        leftPadding: 12
        rightPadding: 12
        topPadding: 8
        bottomPadding: 8

        RowLayout {
            anchors.fill: parent
            spacing: 12

            Label {
                Layout.fillWidth: true
                text: qsTr("QLifecycle dashboard") + "  ·  "
                      + qsTr("%1 services, root %2").arg(window.manager.serviceCount)
                                                    .arg(window.manager.root.name)
                      + (window.manager.restartCount > 0
                         ? "  ·  " + qsTr("restarts: %1").arg(window.manager.restartCount) : "")
                elide: Text.ElideRight
                font.bold: true
            }
            StateBadge {
                objectName: "managerBadge"
                lifecycleState: window.managerState
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 12

        ProgressView {
            Layout.fillWidth: true
            manager: window.manager
        }
        ErrorBanner {
            Layout.fillWidth: true
            title: window.managerState === Service.Failed
                   ? qsTr("The services stopped after a failure: press Start to try again")
                   : qsTr("A service failed: stopping the others")
            text: window.manager.errorString
        }
        ServiceTable {
            Layout.fillWidth: true
            Layout.fillHeight: true
            manager: window.manager
        }
    }

    footer: Pane {
        ColumnLayout {
            anchors.fill: parent
            spacing: 6

            Label {
                objectName: "traceSaved"
                Layout.fillWidth: true
                visible: text !== ""
                text: window.trace.error !== "" ? window.trace.error
                      : window.trace.lastSaved !== "" ? qsTr("Trace saved to %1").arg(window.trace.lastSaved)
                      : ""
                elide: Text.ElideMiddle
                opacity: 0.8
            }
            Label {
                objectName: "closingText"
                Layout.fillWidth: true
                text: window.closingText
                wrapMode: Text.Wrap
                opacity: 0.8
            }
            RowLayout {
                Layout.fillWidth: true
                spacing: 8
                Switch {
                    objectName: "unsavedSwitch"
                    Layout.fillWidth: true
                    text: qsTr("Pretend unsaved changes")
                    checked: window.unsaved.pretend
                    onToggled: window.unsaved.pretend = checked
                }
                Button {
                    objectName: "saveTrace"
                    text: qsTr("Save trace")
                    ToolTip.visible: hovered
                    ToolTip.text: qsTr("Save where the time went as a Chrome trace, for Perfetto "
                                       + "(ui.perfetto.dev) or chrome://tracing")
                    onClicked: window.trace.save()
                }
                Button {
                    objectName: "start"
                    // A stop is no dead end: start the services again.
                    text: window.managerState === Service.Failed ? qsTr("Restart") : qsTr("Start")
                    enabled: window.managerState === Service.Stopped
                             || window.managerState === Service.Failed
                    onClicked: window.manager.requestStart()
                }
                Button {
                    objectName: "stop"
                    text: qsTr("Stop")
                    enabled: window.active
                    onClicked: window.manager.requestStop()
                }
            }
        }
    }

    ShutdownView {
        anchors.fill: parent
        manager: window.manager
    }

    // The quit guard's question (docs/qml.md, "Asking before quitting").
    Dialog {
        id: unsavedChanges
        objectName: "unsavedChanges"
        anchors.centerIn: parent
        title: qsTr("Unsaved changes")
        modal: true
        closePolicy: Popup.NoAutoClose
        standardButtons: Dialog.Save | Dialog.Discard | Dialog.Cancel
        onAccepted: window.unsaved.save()
        onDiscarded: window.unsaved.discard()
        onRejected: window.unsaved.cancel()

        Label {
            width: Math.min(window.width - 96, 360)
            text: qsTr("Save your changes before quitting? Cancel keeps the application running.")
            wrapMode: Text.Wrap
        }
    }
    Connections {
        target: window.unsaved
        function onAskingChanged() {
            if (window.unsaved.asking)
                unsavedChanges.open()
            else
                unsavedChanges.close() // answered, or the quit went on without the answer
        }
    }
}
