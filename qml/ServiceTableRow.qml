import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QLifecycle

/*!
    \qmltype ServiceTableRow
    \inqmlmodule QLifecycle
    \brief One row of a ServiceTable, the delegate of its ListView: a service's name and
    dependencies, state, start and stop time ("—" when not measured in this run), tasks, error
    and Retry, laid out by ServiceTableColumns for the row's width.

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
    /*! Whether Retry shows (the service failed), and whether it can be pressed (the manager
        failed: requestStart() starts the graph again). */
    readonly property bool canRetry: serviceState === Service.Failed
    readonly property bool retryEnabled: manager !== null && manager.state === Service.Failed
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
            ErrorCell {
                visible: row.columns.errorInline
                Layout.preferredWidth: row.columns.errorColumn
                Layout.maximumWidth: row.columns.errorColumn
                errorString: row.errorString
                errorColor: row.errorColor
                canRetry: row.canRetry
                retryEnabled: row.retryEnabled
                onRetry: row.manager.requestStart()
            }
        }
        ErrorCell { // narrow: the error under the row
            visible: !row.columns.errorInline && (row.errorString !== "" || row.canRetry)
            Layout.fillWidth: true
            errorString: row.errorString
            errorColor: row.errorColor
            canRetry: row.canRetry
            retryEnabled: row.retryEnabled
            onRetry: row.manager.requestStart()
        }
    }
}
