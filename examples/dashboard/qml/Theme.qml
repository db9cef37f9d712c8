pragma Singleton
import QtQuick
import QLifecycle

// The colours, sizes and state names the dashboard's components share.
QtObject {
    readonly property color background: "#eef1f5"
    readonly property color card: "#ffffff"
    readonly property color border: "#d8dde4"
    readonly property color text: "#1d232b"
    readonly property color mutedText: "#667180"
    readonly property color track: "#e3e7ec"
    readonly property color error: "#b3261e"
    readonly property color errorBackground: "#fdeceb"

    readonly property int margin: 16
    readonly property int radius: 8

    // The columns of the service list (the error column takes the rest).
    readonly property int nameColumn: 230
    readonly property int stateColumn: 116
    readonly property int timeColumn: 82
    readonly property int tasksColumn: 124

    // The colour of a lifecycle state, as a Service.State value.
    function stateColor(state) {
        switch (state) {
        case Service.Starting: return "#d08b00"
        case Service.Running: return "#2a9d5c"
        case Service.Stopping: return "#6a55d0"
        case Service.Failed: return "#d23f3f"
        default: return "#8a939f"
        }
    }

    // The name of a Service.State value (the manager's state comes as a number).
    function stateName(state) {
        switch (state) {
        case Service.Starting: return "Starting"
        case Service.Running: return "Running"
        case Service.Stopping: return "Stopping"
        case Service.Failed: return "Failed"
        default: return "Stopped"
        }
    }

    // Why the services stop, as a ServiceManager.StopReason value; empty for None.
    function stopReasonText(reason) {
        switch (reason) {
        case ServiceManager.Requested: return "a stop was requested"
        case ServiceManager.Quit: return "the application quit"
        case ServiceManager.WindowClosed: return "the window was closed"
        case ServiceManager.SessionEnd: return "the session is ending"
        case ServiceManager.Signal: return "a signal (SIGINT or SIGTERM)"
        case ServiceManager.Failure: return "a service failed"
        default: return ""
        }
    }

    // When a service starts, as a Service.StartPolicy value; empty for the default (Eager).
    function startPolicyText(policy) {
        switch (policy) {
        case Service.AfterFirstFrame: return "after the first frame"
        case Service.WhenIdle: return "when idle"
        case Service.OnDemand: return "on demand"
        default: return ""
        }
    }

    // "702 ms" for a duration in milliseconds, a dash for none yet (-1).
    function duration(ms) {
        return ms < 0 ? "–" : ms + " ms"
    }
}
