import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import QLifecycle

// Every service of the manager, live: a ListView over a ServiceModel, under a header row.
Rectangle {
    id: card

    required property ServiceManager manager

    radius: Theme.radius
    color: Theme.card
    border.color: Theme.border

    component HeaderLabel: Label {
        color: Theme.mutedText
        font.pixelSize: 11
        font.bold: true
        font.capitalization: Font.AllUppercase
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.topMargin: 10
        spacing: 6

        RowLayout {
            Layout.leftMargin: Theme.margin
            Layout.rightMargin: Theme.margin
            spacing: 0
            HeaderLabel { text: "Service"; Layout.preferredWidth: Theme.nameColumn }
            HeaderLabel { text: "State"; Layout.preferredWidth: Theme.stateColumn }
            HeaderLabel { text: "Start"; Layout.preferredWidth: Theme.timeColumn }
            HeaderLabel { text: "Stop"; Layout.preferredWidth: Theme.timeColumn }
            HeaderLabel { text: "Tasks"; Layout.preferredWidth: Theme.tasksColumn }
            HeaderLabel { text: "Error"; Layout.fillWidth: true }
        }
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 1
            color: Theme.border
        }

        ListView {
            id: list
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            boundsBehavior: Flickable.StopAtBounds
            model: ServiceModel { manager: card.manager }
            delegate: ServiceRow {
                required property var model // the row's roles: model.name, model.state...

                width: ListView.view.width
                name: model.name
                dependencies: model.dependencies
                startPolicy: model.service ? model.service.startPolicy : Service.Eager
                lifecycleState: model.state
                stateName: model.stateName
                errorString: model.errorString
                startMs: model.startMs
                stopMs: model.stopMs
                taskCount: model.taskCount
                pendingTaskCount: model.pendingTaskCount
            }
            ScrollBar.vertical: ScrollBar {}
        }
    }
}
