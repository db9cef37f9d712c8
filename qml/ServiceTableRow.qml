import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QLifecycle

/*!
    \qmltype ServiceTableRow
    \inqmlmodule QLifecycle
    \brief One row of a ServiceTable, the delegate of its ListView: a service's name and
    dependencies, state, start and stop time ("—" when not measured in this run), tasks,
    restarts ("restart in 0.4 s" while one is pending), health (the reason under it, and in a
    tooltip), error and Retry, laid out by ServiceTableColumns for the row's width.

    It takes the roles of a ServiceModel row as required properties, and its manager from the
    view's model.
*/
Control {
    id: row
    width: ListView.view ? ListView.view.width : implicitWidth

    /*! The row's number, and its roles (docs/qml.md, "ServiceModel"). */
    required property int index
    required property string name
    required property var dependencies
    required property Service service
    required property string stateName
    required property string errorString
    required property double startMs
    required property double stopMs
    required property int taskCount
    required property int pendingTaskCount
    required property int restartCount
    required property double restartDelayMs
    required property int health
    required property string healthReason
    required property var model // `state` is an Item's own property: read it as model.state

    /*! The service's state, a Service.State value. */
    readonly property int serviceState: model.state
    /*! "needs Database, Settings", and when a deferred service starts. */
    readonly property string detail: {
        const policy = service ? service.startPolicy : Service.Eager
        const when = policy === Service.AfterFirstFrame ? qsTr("after the first frame")
                   : policy === Service.WhenIdle ? qsTr("when idle")
                   : policy === Service.OnDemand ? qsTr("on demand") : ""
        const needs = dependencies.length > 0 ? qsTr("needs %1").arg(dependencies.join(", "))
                                              : qsTr("no dependencies")
        return when !== "" ? needs + " · " + when : needs
    }
    /*! "Degraded" (the health's name), or "—" for a healthy service that does not run: a
        health is shown while the service runs, and after it as long as it was not healthy. */
    readonly property string healthText: health !== Service.Healthy
                                         || serviceState === Service.Running
                                         || serviceState === Service.Stopping
                                         ? LifecycleUi.healthName(health) : "—"
    /*! "restart in 0.4 s" while a restart is pending, else empty. */
    readonly property string restartText: LifecycleUi.restartText(restartDelayMs)
    /*! What the restart and health columns would say when they are hidden (a narrow table),
        for the line under the row: "Degraded: slow disk · restarts: 2 · restart in 0.4 s". */
    readonly property string supervisionLine: {
        const parts = []
        if (!columns.showHealth && health !== Service.Healthy)
            parts.push(healthReason !== "" ? healthText + ": " + healthReason : healthText)
        if (!columns.showRestarts && restartCount > 0)
            parts.push(qsTr("restarts: %1").arg(restartCount))
        if (!columns.showRestarts && restartText !== "")
            parts.push(restartText)
        return parts.join(" · ")
    }
    /*! Whether Retry shows (the service failed, and no restart of it is pending), and whether
        it can be pressed (the manager failed: requestStart() starts the graph again). */
    readonly property bool canRetry: serviceState === Service.Failed && restartDelayMs < 0
    /*! Retry: while the graph runs, this service alone (an optional service that failed for
        good); after the graph failed, the whole graph. */
    function retry() {
        if (manager.state === Service.Running)
            manager.requestStart(service)
        else
            manager.requestStart()
    }
    readonly property bool retryEnabled: manager !== null
                                         && (manager.state === Service.Failed
                                             || (manager.state === Service.Running && service !== null
                                                 && service.optional))
    /*! The manager of the table's ServiceModel: Retry calls its requestStart(). */
    readonly property ServiceManager manager: ListView.view && ListView.view.model
                                              ? (ListView.view.model as ServiceModel).manager
                                              : null
    /*! The columns for this row's width (the header computes the same). */
    readonly property ServiceTableColumns columns: ServiceTableColumns {
        width: row.width
        font: row.font
    }
    readonly property color errorColor: LifecycleUi.errorColor(palette.window)
    readonly property color pendingColor: LifecycleUi.pendingColor(palette.window)

    leftPadding: row.columns.padding
    rightPadding: row.columns.padding
    topPadding: 6
    bottomPadding: 6

    background: Rectangle {
        color: row.serviceState === Service.Failed
               ? Qt.rgba(row.errorColor.r, row.errorColor.g, row.errorColor.b,
                         0.14)
               : row.index % 2 ? row.palette.alternateBase : "transparent"
        Rectangle {
            anchors.bottom: parent.bottom
            width: parent.width
            height: 1
            color: row.palette.mid
            opacity: 0.5
        }
    }

    // The error and Retry: a column of the row when the table is wide, a line under it else.
    component ErrorCell: RowLayout {
        property string errorString
        property color errorColor
        property bool canRetry
        property bool retryEnabled
        signal retry()

        id: cell
        spacing: 8
        Label {
            Layout.fillWidth: true
            text: cell.errorString
            color: cell.errorColor
            wrapMode: Text.Wrap
            maximumLineCount: 3
            elide: Text.ElideRight
        }
        Button {
            objectName: "retry"
            visible: cell.canRetry
            enabled: cell.retryEnabled
            text: qsTr("Retry")
            onClicked: cell.retry()
        }
    }

    // A cell of two lines, as the name's: a value (after a coloured dot, if dotColor is set),
    // and a detail in a smaller font (all of it in a tooltip, when it is cut off).
    component TwoLineCell: ColumnLayout {
        property alias text: value.text
        property alias detail: detailLabel.text
        property alias detailColor: detailLabel.color
        property real detailOpacity: 1
        property color dotColor: "transparent"

        id: twoLines
        spacing: 0
        RowLayout {
            Layout.fillWidth: true
            spacing: 6
            Rectangle {
                visible: twoLines.dotColor.a > 0
                implicitWidth: 8
                implicitHeight: 8
                radius: 4
                color: twoLines.dotColor
            }
            Label {
                id: value
                Layout.fillWidth: true
                elide: Text.ElideRight
            }
        }
        Label {
            id: detailLabel
            Layout.fillWidth: true
            visible: text !== ""
            opacity: twoLines.detailOpacity
            font: LifecycleUi.scaledFont(value.font, 0.85, false)
            elide: Text.ElideRight
            HoverHandler { id: hover }
            ToolTip.visible: hover.hovered && detailLabel.truncated
            ToolTip.text: detailLabel.text
        }
    }

    contentItem: ColumnLayout {
        spacing: 4
        RowLayout {
            Layout.fillWidth: true
            spacing: 0
            ColumnLayout {
                Layout.preferredWidth: row.columns.nameColumn
                Layout.maximumWidth: row.columns.nameColumn
                spacing: 0
                Label {
                    Layout.fillWidth: true
                    text: row.name
                    font.bold: true
                    elide: Text.ElideRight
                }
                Label {
                    Layout.fillWidth: true
                    text: row.detail
                    opacity: 0.7
                    font: LifecycleUi.scaledFont(row.font, 0.85, false)
                    elide: Text.ElideRight
                }
            }
            StateBadge {
                objectName: "badge"
                Layout.rightMargin: row.columns.stateColumn - implicitWidth
                lifecycleState: row.serviceState
                font: LifecycleUi.scaledFont(row.font, 0.85, true)
            }
            Label {
                objectName: "startTime"
                visible: row.columns.showTimes
                Layout.preferredWidth: row.columns.timeColumn
                text: LifecycleUi.duration(row.startMs)
            }
            Label {
                objectName: "stopTime"
                visible: row.columns.showTimes
                Layout.preferredWidth: row.columns.timeColumn
                text: LifecycleUi.duration(row.stopMs)
            }
            Label {
                objectName: "tasks"
                visible: row.columns.showTasks
                Layout.preferredWidth: row.columns.tasksColumn
                text: row.taskCount === 0 ? "—" : qsTr("%1 running / %2").arg(row.pendingTaskCount)
                                                     .arg(row.taskCount)
                opacity: row.pendingTaskCount > 0 ? 1 : 0.7
            }
            TwoLineCell {
                objectName: "restarts"
                visible: row.columns.showRestarts
                Layout.preferredWidth: row.columns.restartsColumn
                Layout.maximumWidth: row.columns.restartsColumn
                text: row.restartCount
                opacity: row.restartCount > 0 || row.restartText !== "" ? 1 : 0.7
                detail: row.restartText
                detailColor: row.pendingColor
            }
            TwoLineCell {
                objectName: "health"
                visible: row.columns.showHealth
                Layout.preferredWidth: row.columns.healthColumn
                Layout.maximumWidth: row.columns.healthColumn
                text: row.healthText
                opacity: row.healthText === "—" ? 0.7 : 1
                dotColor: row.healthText === "—" ? "transparent"
                                                  : LifecycleUi.healthColor(row.health)
                detail: row.healthText === "—" ? "" : row.healthReason
                detailOpacity: 0.7
            }
            ErrorCell {
                visible: row.columns.errorInline
                Layout.preferredWidth: row.columns.errorColumn
                Layout.maximumWidth: row.columns.errorColumn
                errorString: row.errorString
                errorColor: row.errorColor
                canRetry: row.canRetry
                retryEnabled: row.retryEnabled
                onRetry: row.retry()
            }
        }
        Label { // narrow: what the hidden restart and health columns would say
            objectName: "supervisionLine"
            visible: text !== ""
            Layout.fillWidth: true
            text: row.supervisionLine
            color: row.restartText !== "" ? row.pendingColor : row.palette.windowText
            wrapMode: Text.Wrap
        }
        ErrorCell { // narrow: the error under the row
            visible: !row.columns.errorInline && (row.errorString !== "" || row.canRetry)
            Layout.fillWidth: true
            errorString: row.errorString
            errorColor: row.errorColor
            canRetry: row.canRetry
            retryEnabled: row.retryEnabled
            onRetry: row.retry()
        }
    }
}
