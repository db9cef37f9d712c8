import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QLifecycle

// One service in the list: name, dependencies and start policy, state, start and stop times, tasks, error.
// The list binds the properties to the roles of a ServiceModel row.
Rectangle {
    id: row

    property string name
    property var dependencies: []
    property int startPolicy: Service.Eager
    property int lifecycleState: Service.Stopped
    property string stateName
    property string errorString
    property int startMs: -1
    property int stopMs: -1
    property int taskCount: 0
    property int pendingTaskCount: 0

    implicitHeight: 48
    color: row.errorString !== "" ? Theme.errorBackground : "transparent"

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: Theme.margin
        anchors.rightMargin: Theme.margin
        spacing: 0

        ColumnLayout {
            Layout.preferredWidth: Theme.nameColumn
            Layout.maximumWidth: Theme.nameColumn
            spacing: 1
            Label {
                text: row.name
                color: Theme.text
                font.bold: true
                font.pixelSize: 15
            }
            Label { // what it needs, and when a deferred service starts ("after the first frame")
                readonly property string policy: Theme.startPolicyText(row.startPolicy)
                Layout.preferredWidth: Theme.nameColumn - 8
                text: (row.dependencies.length > 0 ? "needs " + row.dependencies.join(", ")
                                                   : "no dependencies")
                      + (policy !== "" ? " · " + policy : "")
                color: Theme.mutedText
                font.pixelSize: 11
                elide: Text.ElideRight
            }
        }
        Item {
            Layout.preferredWidth: Theme.stateColumn
            Layout.fillHeight: true
            Badge {
                anchors.verticalCenter: parent.verticalCenter
                lifecycleState: row.lifecycleState
                text: row.stateName
            }
        }
        Label {
            Layout.preferredWidth: Theme.timeColumn
            text: Theme.duration(row.startMs)
            color: Theme.text
        }
        Label {
            Layout.preferredWidth: Theme.timeColumn
            text: Theme.duration(row.stopMs)
            color: Theme.text
        }
        Label {
            Layout.preferredWidth: Theme.tasksColumn
            text: row.taskCount === 0 ? "–"
                                      : row.pendingTaskCount + " running / " + row.taskCount
            color: row.pendingTaskCount > 0 ? Theme.text : Theme.mutedText
        }
        Label {
            Layout.fillWidth: true
            text: row.errorString
            color: Theme.error
            wrapMode: Text.Wrap
            maximumLineCount: 2
            elide: Text.ElideRight
            font.pixelSize: 12
        }
    }

    Rectangle { // the separator below the row
        anchors.bottom: parent.bottom
        width: parent.width
        height: 1
        color: Theme.border
    }
}
