pragma Singleton
import QtQml
import QtQuick
import QLifecycle

/*!
    \qmltype LifecycleUi
    \inqmlmodule QLifecycle
    \brief The words and colours the ready-made components share (docs/qml.md, "Ready-made
    components").

    A singleton: `LifecycleUi.stateName(Service.Running)` gives "Running",
    `LifecycleUi.stopReasonText(ServiceManager.WindowClosed)` "the window was closed",
    `LifecycleUi.restartText(400)` "restart in 0.4 s". The state
    colours are mid-tones that carry white text and stand out on light and dark backgrounds
    alike; `errorColor(palette)` is a red readable on the palette's window colour.
*/
QtObject {
    /*! The name of a Service.State value ("Starting"...). */
    function stateName(state: int): string {
        switch (state) {
        case Service.Starting: return qsTr("Starting")
        case Service.Running: return qsTr("Running")
        case Service.Stopping: return qsTr("Stopping")
        case Service.Failed: return qsTr("Failed")
        default: return qsTr("Stopped")
        }
    }

    /*! The fill of a state badge: white text is readable on it. */
    function stateColor(state: int): color {
        switch (state) {
        case Service.Starting: return "#a15c00"
        case Service.Running: return "#23804a"
        case Service.Stopping: return "#5e4bc4"
        case Service.Failed: return "#c0392b"
        default: return "#5f6b7a"
        }
    }

    /*! The name of a Service.Health value ("Healthy", "Degraded", "Unhealthy"). */
    function healthName(health: int): string {
        switch (health) {
        case Service.Degraded: return qsTr("Degraded")
        case Service.Unhealthy: return qsTr("Unhealthy")
        default: return qsTr("Healthy")
        }
    }

    /*! The dot beside a health's name: a mid-tone, visible on light and dark backgrounds. */
    function healthColor(health: int): color {
        switch (health) {
        case Service.Degraded: return "#d08a00"
        case Service.Unhealthy: return "#c0392b"
        default: return "#2e9e5a"
        }
    }

    /*! "restart in 0.4 s" for a pending restart's delay; empty for -1 (none pending). */
    function restartText(delayMs: double): string {
        return delayMs < 0 ? "" : qsTr("restart in %1 s").arg((delayMs / 1000).toFixed(1))
    }

    /*! Why the services stop, for a ServiceManager.StopReason; empty for None. */
    function stopReasonText(reason: int): string {
        switch (reason) {
        case ServiceManager.Requested: return qsTr("a stop was requested")
        case ServiceManager.Quit: return qsTr("the application is quitting")
        case ServiceManager.WindowClosed: return qsTr("the window was closed")
        case ServiceManager.SessionEnd: return qsTr("the session is ending")
        case ServiceManager.Signal: return qsTr("a signal (SIGINT or SIGTERM)")
        case ServiceManager.Failure: return qsTr("a service failed")
        default: return ""
        }
    }

    /*! Whether a stop for \a reason ends the application (a quit, docs/lifecycle.md). */
    function isQuitReason(reason: int): bool {
        return reason === ServiceManager.WindowClosed || reason === ServiceManager.Quit
                || reason === ServiceManager.Signal || reason === ServiceManager.SessionEnd
    }

    /*! "702 ms" for a duration; a dash for -1 (not measured in this run). */
    function duration(ms: double): string {
        return ms < 0 ? "—" : qsTr("%1 ms").arg(ms)
    }

    /*! \a base scaled by \a factor, bold if \a bold: for a headline (1.5) or a detail line
        (0.85) in the style's font, whether the style sets its size in points or in pixels. */
    function scaledFont(base: font, factor: real, bold: bool): font {
        const spec = { family: base.family, bold: bold }
        if (base.pixelSize > 0)
            spec.pixelSize = Math.round(base.pixelSize * factor)
        else
            spec.pointSize = base.pointSize * factor
        return Qt.font(spec)
    }

    /*! Whether \a windowColor (a palette's window) is dark. */
    function isDark(windowColor: color): bool {
        return windowColor.hslLightness < 0.5
    }

    /*! A red for error text, readable on \a windowColor. */
    function errorColor(windowColor: color): color {
        return isDark(windowColor) ? "#ff8a80" : "#b3261e"
    }

    /*! An amber for text about something about to happen (a pending restart), readable on
        \a windowColor. */
    function pendingColor(windowColor: color): color {
        return isDark(windowColor) ? "#ffb74d" : "#8a4b00"
    }
}
