import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QLifecycle

// The manager's errorString, one failure a line, in the palette's colours with a red readable
// on light and dark windows; hidden while there is none.
Frame {
    id: banner

    property string title
    property string text

    visible: text !== ""

    ColumnLayout {
        anchors.fill: parent
        spacing: 2

        Label {
            Layout.fillWidth: true
            text: banner.title
            color: LifecycleUi.errorColor(banner.palette.window)
            font.bold: true
            wrapMode: Text.Wrap
        }
        Label {
            Layout.fillWidth: true
            text: banner.text
            color: LifecycleUi.errorColor(banner.palette.window)
            wrapMode: Text.Wrap
        }
    }
}
