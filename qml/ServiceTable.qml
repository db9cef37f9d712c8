import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QLifecycle

/*!
    \qmltype ServiceTable
    \inqmlmodule QLifecycle
    \brief Every service of a manager, one row each, live: name and dependencies, state, start
    and stop time, tasks, restarts (and a pending restart's delay), health (and its reason),
    error, and Retry (docs/qml.md, "Ready-made components").

    \code
    ServiceTable { manager: window.manager; Layout.fillWidth: true; Layout.fillHeight: true }
    \endcode

    A Frame around a ListView over a ServiceModel of `manager` (the application's,
    Lifecycle.manager, unless set). A time is "—" when the model says -1: not measured in this
    run. A failed service shows a Retry button, enabled once the manager has failed (it calls
    `manager.requestStart()`), or at once for an optional service that failed while the graph
    runs (it calls `manager.requestStart(service)`: that service alone).

    Responsive from about 360 pixels to wide windows, without fixed widths that leave space
    unused (ServiceTableColumns): the name column takes what the others leave; below 1000
    pixels the error goes on a line of its own under the row, below 760 the task column is
    hidden, below 640 the restart column, below 560 the health column (what they would say goes
    on the line under the row), below 480 the two time columns too.
*/
Frame {
    id: table

    /*! The manager whose services are listed; the application's (Lifecycle.manager) unless
        set. */
    property ServiceManager manager: Lifecycle.manager

    /*! The model of the rows (count, rows). */
    readonly property alias model: serviceModel
    /*! The list, for tests and for scrolling from outside. */
    readonly property alias view: list

    /*! The columns for the list's width (the rows compute the same): which show, how wide. */
    readonly property bool errorInline: header.errorInline
    readonly property bool showTasks: header.showTasks
    readonly property bool showTimes: header.showTimes
    readonly property bool showRestarts: header.showRestarts
    readonly property bool showHealth: header.showHealth
    readonly property ServiceTableColumns columns: ServiceTableColumns {
        id: header
        width: table.availableWidth
        font: table.font
    }

    padding: 1 // the frame's border stays visible beside the rows

    ServiceModel {
        id: serviceModel
        manager: table.manager
    }

    component HeaderLabel: Label {
        font.bold: true
        opacity: 0.7
        elide: Text.ElideRight
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        RowLayout {
            Layout.fillWidth: true
            Layout.minimumWidth: 0
            Layout.leftMargin: header.padding
            Layout.rightMargin: header.padding
            Layout.topMargin: 8
            Layout.bottomMargin: 8
            spacing: 0
            HeaderLabel { text: qsTr("Service"); Layout.preferredWidth: header.nameColumn }
            HeaderLabel { text: qsTr("State"); Layout.preferredWidth: header.stateColumn }
            HeaderLabel {
                text: qsTr("Start")
                visible: header.showTimes
                Layout.preferredWidth: header.timeColumn
            }
            HeaderLabel {
                text: qsTr("Stop")
                visible: header.showTimes
                Layout.preferredWidth: header.timeColumn
            }
            HeaderLabel {
                text: qsTr("Tasks")
                visible: header.showTasks
                Layout.preferredWidth: header.tasksColumn
            }
            HeaderLabel {
                text: qsTr("Restarts")
                visible: header.showRestarts
                Layout.preferredWidth: header.restartsColumn
            }
            HeaderLabel {
                text: qsTr("Health")
                visible: header.showHealth
                Layout.preferredWidth: header.healthColumn
            }
            HeaderLabel {
                text: qsTr("Error")
                visible: header.errorInline
                Layout.preferredWidth: header.errorColumn
            }
        }
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 1
            color: table.palette.mid
        }

        ListView {
            id: list
            Layout.fillWidth: true
            Layout.minimumWidth: 0
            Layout.fillHeight: true
            implicitHeight: contentHeight
            clip: true
            boundsBehavior: Flickable.StopAtBounds
            model: serviceModel
            ScrollBar.vertical: ScrollBar {}
            delegate: ServiceTableRow {}
        }
    }
}
