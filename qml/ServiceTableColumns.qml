import QtQuick
import QLifecycle

/*!
    \qmltype ServiceTableColumns
    \inqmlmodule QLifecycle
    \brief The columns of a ServiceTable for a given width: which show, and how wide each is.

    The header and every row of a ServiceTable compute them alike from the same width, so that
    they line up. Widths come from the font, so they follow the style; the name (and, when the
    error has a column, the error) share what the others leave: nothing is cut off, no space
    is left unused. Below 1000 pixels the error goes on a line of its own under the row, below
    760 the task column is hidden, below 640 the restart column, below 560 the health column,
    below 480 the two time columns too. A row shows what a hidden restart or health column
    would say on its line under the row.
*/
QtObject {
    id: columns

    /*! The width of a row, padding included. */
    required property real width
    /*! The font of the rows. */
    required property font font

    /*! The padding left and right of a row. */
    readonly property real padding: 12
    readonly property bool errorInline: width >= 1000
    readonly property bool showTasks: width >= 760
    readonly property bool showRestarts: width >= 640
    readonly property bool showHealth: width >= 560
    readonly property bool showTimes: width >= 480

    readonly property real stateColumn: badgeMetrics.width + 20 + 12
    readonly property real timeColumn: timeMetrics.width + 12
    readonly property real tasksColumn: tasksMetrics.width + 12
    readonly property real restartsColumn: Math.max(restartMetrics.width, headerMetrics.width) + 12
    readonly property real healthColumn: healthMetrics.width + 14 + 12 // the dot, its gap
    readonly property real restWidth: Math.max(0, width - 2 * padding - stateColumn
                                                      - (showTimes ? 2 * timeColumn : 0)
                                                      - (showTasks ? tasksColumn : 0)
                                                      - (showRestarts ? restartsColumn : 0)
                                                      - (showHealth ? healthColumn : 0))
    readonly property real nameColumn: errorInline ? Math.max(nameMetrics.width, restWidth * 0.5)
                                                   : restWidth
    readonly property real errorColumn: errorInline ? restWidth - nameColumn : 0

    property TextMetrics badgeMetrics: TextMetrics { // the widest badge, as StateBadge draws it
        font: LifecycleUi.scaledFont(columns.font, 0.85, true)
        text: LifecycleUi.stateName(Service.Stopping)
    }
    property TextMetrics timeMetrics: TextMetrics {
        font: columns.font
        text: "00000 ms"
    }
    property TextMetrics tasksMetrics: TextMetrics {
        font: columns.font
        text: qsTr("00 running / 00")
    }
    property TextMetrics restartMetrics: TextMetrics { // the detail line of a pending restart
        font: LifecycleUi.scaledFont(columns.font, 0.85, false)
        text: LifecycleUi.restartText(10000)
    }
    property TextMetrics headerMetrics: TextMetrics {
        font: LifecycleUi.scaledFont(columns.font, 1, true)
        text: qsTr("Restarts")
    }
    property TextMetrics healthMetrics: TextMetrics {
        font: columns.font
        text: LifecycleUi.healthName(Service.Unhealthy)
    }
    property TextMetrics nameMetrics: TextMetrics {
        font: columns.font
        text: "needs Database, Settings"
    }
}
