import QtQuick
import QtQuick.Controls.Basic
import QLifecycle

// A pill in the colour of a lifecycle state, with its name (not named StateBadge: that name is
// the one of `import QLifecycle`, which would hide this file).
Rectangle {
    id: badge

    // A Service.State value.
    property int lifecycleState: Service.Stopped
    property string text: Theme.stateName(lifecycleState)
    property int fontSize: 12

    implicitWidth: label.implicitWidth + 2 * height / 2 + 4
    implicitHeight: label.implicitHeight + 8
    radius: height / 2
    color: Theme.stateColor(lifecycleState)

    Label {
        id: label
        anchors.centerIn: parent
        text: badge.text
        color: "white"
        font.bold: true
        font.pixelSize: badge.fontSize
    }
}
