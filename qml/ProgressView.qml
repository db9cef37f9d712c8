import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QLifecycle

/*!
    \qmltype ProgressView
    \inqmlmodule QLifecycle
    \brief The start and the stop of a graph, large enough for a splash screen (docs/qml.md,
    "Ready-made components").

    \code
    ProgressView { manager: window.manager; Layout.fillWidth: true }
    \endcode

    While the graph starts: "Starting services… 3 of 6", a bar bound to `startProgress`, the
    services starting now, and the deferred services counted apart (they start later and the
    start does not wait for them). While it stops: a bar bound to `stopProgress`, which is 0
    when a stop begins (the bar never shows the 100 % of the start), the reason of the stop and
    the services stopping now. A Pane: its background, fonts and colours are the style's.

    `manager` defaults to `Lifecycle.manager`, the application's manager.
*/
Pane {
    id: view

    /*! The manager shown; the application's (Lifecycle.manager) unless set. */
    property ServiceManager manager: Lifecycle.manager

    /*! The manager's state (Service.Stopped without a manager). */
    readonly property int managerState: manager ? manager.state : Service.Stopped
    /*! True while the graph stops. */
    readonly property bool stopping: managerState === Service.Stopping
    /*! How many services the graph has, and of those, how many wait for a deferred start. */
    readonly property int serviceCount: manager ? manager.serviceCount : 0
    readonly property int deferredCount: manager ? manager.deferredCount : 0
    /*! The services the start waits for, and how many of them run. */
    readonly property int eagerCount: Math.max(0, serviceCount - deferredCount)
    readonly property int startedCount: manager ? Math.round(manager.startProgress * eagerCount)
                                                : 0
    // The names as JavaScript arrays (a QStringList property is one in QML).
    readonly property var startingNames: manager ? manager.startingServices : []
    readonly property var stoppingNames: manager ? manager.stoppingServices : []
    /*! The bar: startProgress while starting or running, stopProgress while stopping. */
    readonly property real value: !manager ? 0
                                  : stopping ? manager.stopProgress
                                  : managerState === Service.Starting
                                    || managerState === Service.Running ? manager.startProgress
                                  : 0
    /*! The first line, e.g. "Starting services… 3 of 6". */
    readonly property string headline: {
        switch (managerState) {
        case Service.Starting:
            return qsTr("Starting services… %1 of %2").arg(startedCount).arg(eagerCount)
        case Service.Running: {
            const later = deferredCount + (manager ? manager.startingServices.length : 0)
            return later > 0 ? qsTr("%1 of %2 services running").arg(serviceCount - later)
                                   .arg(serviceCount)
                             : qsTr("All %1 services running").arg(serviceCount)
        }
        case Service.Stopping:
            return manager.stopReason === ServiceManager.Failure ? qsTr("Stopping after a failure…")
                 : LifecycleUi.isQuitReason(manager.stopReason) ? qsTr("Shutting down…")
                 : qsTr("Stopping services…")
        case Service.Failed:
            return qsTr("Stopped after a failure")
        default:
            return serviceCount > 0 ? qsTr("All services stopped") : qsTr("Not started")
        }
    }
    /*! The services starting or stopping now, e.g. "Now starting: Cache, Network"; empty when
        none. */
    readonly property string activity: {
        if (!manager)
            return ""
        if (stopping && stoppingNames.length > 0)
            return qsTr("Now stopping: %1").arg(view.stoppingNames.join(", "))
        if (!stopping && startingNames.length > 0)
            return (managerState === Service.Running ? qsTr("Now starting (deferred): %1")
                                                     : qsTr("Now starting: %1"))
                    .arg(view.startingNames.join(", "))
        return ""
    }
    /*! The deferred services, counted apart; empty when none waits. */
    readonly property string deferredText: !stopping && deferredCount > 0
                                           ? deferredCount === 1 ? qsTr("1 service starts later (deferred)")
                                             : qsTr("%1 services start later (deferred)")
                                               .arg(deferredCount)
                                           : ""
    /*! Why the graph stops or stopped, e.g. "Why: the window was closed"; empty otherwise. */
    readonly property string reasonText: manager && (stopping || managerState === Service.Stopped
                                                    || managerState === Service.Failed)
                                         && manager.stopReason !== ServiceManager.None
                                         ? qsTr("Why: %1").arg(
                                               LifecycleUi.stopReasonText(manager.stopReason))
                                         : ""
    /*! "40 % stopped", "75 % started", or empty. */
    readonly property string percentText: stopping ? qsTr("%1 % stopped").arg(Math.round(value * 100))
                                          : managerState === Service.Starting
                                            || managerState === Service.Running
                                            ? qsTr("%1 % started").arg(Math.round(value * 100))
                                            : ""

    padding: 16

    contentItem: ColumnLayout {
        spacing: 8

        RowLayout {
            Layout.fillWidth: true
            spacing: 12
            Label {
                objectName: "headline"
                Layout.fillWidth: true
                text: view.headline
                font: LifecycleUi.scaledFont(view.font, 1.5, true)
                wrapMode: Text.Wrap
            }
            Label {
                text: view.percentText
                opacity: 0.75
            }
        }
        ProgressBar {
            objectName: "bar"
            Layout.fillWidth: true
            from: 0
            to: 1
            value: view.value
        }
        Label {
            Layout.fillWidth: true
            visible: text !== ""
            text: view.activity
            wrapMode: Text.Wrap
        }
        Label {
            Layout.fillWidth: true
            visible: text !== ""
            text: view.reasonText + (view.reasonText !== "" && view.deferredText !== "" ? " · " : "")
                  + view.deferredText
            opacity: 0.75
            wrapMode: Text.Wrap
        }
    }
}
