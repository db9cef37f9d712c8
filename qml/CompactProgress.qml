import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QLifecycle

/*!
    \qmltype CompactProgress
    \inqmlmodule QLifecycle
    \brief The start or stop in one line, a small bar and a short text, for a status bar or a
    header (docs/qml.md, "Ready-made components").

    \code
    footer: ToolBar { CompactProgress { anchors.fill: parent } }
    \endcode

    The bar follows `startProgress` while the graph starts and `stopProgress` while it stops
    (0 when a stop begins); it is hidden once the graph runs, has stopped or failed. The text
    says "Starting 3/6", "6 services running", "Stopping 40 %", "Stopped", or "Failed: " and the
    first error. `manager` defaults to `Lifecycle.manager`.
*/
Control {
    id: compact

    /*! The manager shown; the application's (Lifecycle.manager) unless set. */
    property ServiceManager manager: Lifecycle.manager

    /*! The manager's state (Service.Stopped without a manager). */
    readonly property int managerState: manager ? manager.state : Service.Stopped
    /*! True while a start or a stop is under way: the bar shows. */
    readonly property bool busy: managerState === Service.Starting
                                 || managerState === Service.Stopping
    /*! The bar's value: startProgress while starting, stopProgress while stopping. */
    readonly property real value: !manager ? 0
                                  : managerState === Service.Stopping ? manager.stopProgress
                                  : managerState === Service.Starting ? manager.startProgress
                                  : 0
    /*! The short text. */
    readonly property string text: {
        if (!manager)
            return qsTr("No manager")
        const eager = Math.max(0, manager.serviceCount - manager.deferredCount)
        switch (managerState) {
        case Service.Starting:
            return qsTr("Starting %1/%2").arg(Math.round(manager.startProgress * eager)).arg(eager)
        case Service.Running:
        {
            const running = manager.serviceCount - manager.deferredCount
                    - manager.startingServices.length
            return running === 1 ? qsTr("1 service running")
                                 : qsTr("%1 services running").arg(running)
        }
        case Service.Stopping:
            return qsTr("Stopping %1 %").arg(Math.round(manager.stopProgress * 100))
        case Service.Failed:
            return qsTr("Failed: %1").arg(manager.errorString.split("\n")[0])
        default:
            return qsTr("Stopped")
        }
    }

    contentItem: RowLayout {
        spacing: 8
        StateBadge {
            lifecycleState: compact.managerState
            font: LifecycleUi.scaledFont(compact.font, 0.85, true)
        }
        ProgressBar {
            objectName: "bar"
            Layout.preferredWidth: 120
            Layout.maximumWidth: 120
            visible: compact.busy
            from: 0
            to: 1
            value: compact.value
        }
        Label {
            Layout.fillWidth: true
            text: compact.text
            elide: Text.ElideRight
            color: compact.managerState === Service.Failed
                   ? LifecycleUi.errorColor(compact.palette.window) : compact.palette.windowText
        }
    }
}
