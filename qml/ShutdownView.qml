import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QLifecycle

/*!
    \qmltype ShutdownView
    \inqmlmodule QLifecycle
    \brief What the main window shows while the application shuts down (docs/qml.md,
    "Ready-made components"; docs/lifecycle.md, "The main window").

    \code
    ShutdownView { anchors.fill: parent; z: 1; manager: window.manager }
    \endcode

    Put it over the window's content. It shows itself while the manager stops for a quit
    (ServiceManager.WindowClosed, Quit, Signal or SessionEnd): the window stays open until the
    services have stopped. It dims the content below and blocks its input, and shows the stop's
    progress (bound to `stopProgress`: 0 when the stop begins), its reason, the services
    stopping now, and that closing the window again quits at once. A stop that is not a quit
    (requestStop(), a failure) does not show it. `manager` defaults to `Lifecycle.manager`.
*/
Control {
    id: shutdown

    /*! The manager watched; the application's (Lifecycle.manager) unless set. */
    property ServiceManager manager: Lifecycle.manager

    /*! True while the manager stops for a quit: the view shows. */
    readonly property bool active: manager !== null && manager.state === Service.Stopping
                                   && LifecycleUi.isQuitReason(manager.stopReason)
    /*! The stop's progress, from 0 to 1. */
    readonly property real value: manager ? manager.stopProgress : 0
    /*! "Why: the window was closed". */
    readonly property string reasonText: manager ? qsTr("Why: %1").arg(
                                                       LifecycleUi.stopReasonText(
                                                           manager.stopReason))
                                                 : ""
    // The names as a JavaScript array (a QStringList property is one in QML).
    readonly property var stoppingNames: manager ? manager.stoppingServices : []
    /*! "Now stopping: Cache, Network", or empty. */
    readonly property string activity: stoppingNames.length > 0
                                       ? qsTr("Now stopping: %1").arg(
                                             shutdown.stoppingNames.join(", "))
                                       : ""
    /*! The hint under the bar. */
    readonly property string hint: qsTr("Close the window again to quit at once, without "
                                         + "waiting for the services.")

    visible: active
    padding: 16

    background: Rectangle {
        color: Qt.rgba(0, 0, 0, 0.55)
        MouseArea { // the content below is not usable while it shuts down
            anchors.fill: parent
            hoverEnabled: true
            onWheel: wheel => wheel.accepted = true
        }
    }

    contentItem: Item {
        Pane {
            anchors.centerIn: parent
            width: Math.min(parent.width, 520)
            padding: 20

            contentItem: ColumnLayout {
                spacing: 10
                Label {
                    objectName: "headline"
                    Layout.fillWidth: true
                    text: qsTr("Shutting down…")
                    font: LifecycleUi.scaledFont(shutdown.font, 1.5, true)
                    wrapMode: Text.Wrap
                }
                Label {
                    Layout.fillWidth: true
                    text: shutdown.reasonText
                    wrapMode: Text.Wrap
                }
                RowLayout {
                    Layout.fillWidth: true
                    spacing: 12
                    ProgressBar {
                        objectName: "bar"
                        Layout.fillWidth: true
                        from: 0
                        to: 1
                        value: shutdown.value
                    }
                    Label { text: qsTr("%1 %").arg(Math.round(shutdown.value * 100)) }
                }
                Label {
                    Layout.fillWidth: true
                    visible: text !== ""
                    text: shutdown.activity
                    wrapMode: Text.Wrap
                }
                Label {
                    Layout.fillWidth: true
                    text: shutdown.hint
                    opacity: 0.75
                    wrapMode: Text.Wrap
                }
            }
        }
    }
}
