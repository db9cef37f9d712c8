import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QLifecycle

// The progress of the start and of the stop: while starting, a bar bound to startProgress (the
// share of the services the start waits for that run; deferred ones are counted apart); while
// stopping, a bar bound to stopProgress (the share of the services that have stopped: it starts
// at 0 when a shutdown begins), with the reason of the stop; and the names of the services
// starting or stopping right now.
Rectangle {
    id: panel

    required property ServiceManager manager

    readonly property int managerState: manager.state
    readonly property int stopReason: manager.stopReason
    readonly property bool stopping: managerState === Service.Stopping
    // The program ends once the services have stopped (run() returns): the window was closed,
    // the application quit, a signal came, the session ends.
    readonly property bool quitting: stopReason === ServiceManager.WindowClosed
                                     || stopReason === ServiceManager.Quit
                                     || stopReason === ServiceManager.Signal
                                     || stopReason === ServiceManager.SessionEnd
    readonly property int total: manager.serviceCount
    // Services waiting for a deferred start, and those the start waits for.
    readonly property int deferred: manager.deferredCount
    readonly property int eager: total - deferred
    readonly property int started: Math.round(manager.startProgress * eager)
    // The bar: the start's progress while starting or running, the stop's while stopping.
    readonly property real value: stopping ? manager.stopProgress
                                           : managerState === Service.Starting
                                             || managerState === Service.Running
                                             ? manager.startProgress : 0

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
            return "Starting services… " + started + " of " + eager + " running"
        case Service.Running: {
            // Deferred services start after the manager runs: waiting, or starting now.
            const later = deferred + manager.startingServices.length
            return later > 0 ? (total - later) + " of " + total + " services running"
                             : "All " + total + " services running"
        }
        case Service.Stopping:
            return stopReason === ServiceManager.Failure ? "Stopping after a failure…"
                 : quitting ? "Shutting down…" : "Stopping services…"
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
                    + (deferred === 1 ? " · 1 more service starts later (deferred)"
                       : deferred > 1 ? " · " + deferred + " more services start later (deferred)"
                       : "")
        case Service.Running:
            if (manager.startingServices.length > 0)
                return "Now starting (deferred): " + names(manager.startingServices)
            if (deferred > 0)
                return deferred === 1 ? "1 deferred service waits for its moment"
                                      : deferred + " deferred services wait for their moment"
            return "Press Stop or close the window to stop them, in the reverse order."
        case Service.Stopping:
            return "Why: " + Theme.stopReasonText(stopReason) + " · now stopping: "
                    + names(manager.stoppingServices)
        case Service.Failed:
            return "What had started was stopped again. Press Restart to try again."
        default:
            return stopReason !== ServiceManager.None
                    ? "Why: " + Theme.stopReasonText(stopReason) : ""
        }
    }

    function percentage() {
        if (stopping)
            return Math.round(manager.stopProgress * 100) + " % stopped"
        if (managerState === Service.Starting || managerState === Service.Running)
            return Math.round(manager.startProgress * 100) + " % started"
        return ""
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
                text: panel.percentage()
                color: Theme.mutedText
                font.pixelSize: 16
            }
        }

        ProgressBar {
            id: bar
            Layout.fillWidth: true
            from: 0
            to: 1
            value: panel.value
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
