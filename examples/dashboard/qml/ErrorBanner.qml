import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

// The manager's errorString, one failure a line; hidden while there is none.
Rectangle {
    id: banner

    property string title: "Error"
    property string text

    visible: text !== ""
    implicitHeight: content.implicitHeight + 20
    radius: Theme.radius
    color: Theme.errorBackground
    border.color: Theme.error

    ColumnLayout {
        id: content
        anchors.fill: parent
        anchors.margins: 10
        spacing: 2

        Label {
            text: banner.title
            color: Theme.error
            font.bold: true
        }
        Label {
            Layout.fillWidth: true
            text: banner.text
            color: Theme.error
            wrapMode: Text.Wrap
        }
    }
}
