import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QLifecycle

// One component of `import QLifecycle` alone in a window, on the dashboard's services
// (--gallery NAME): for the pictures of docs/qml.md, "Ready-made components".
ApplicationWindow {
    id: window

    required property ServiceManager manager
    // progress, compact, table or shutdown.
    required property string component
    // The application's palette, role by role (as in Main.qml).
    required property var appPalette
    Component.onCompleted: {
        for (const role in appPalette)
            palette[role] = appPalette[role]
    }

    visible: true
    title: qsTr("QLifecycle: %1").arg(component)

    StackLayout {
        anchors.fill: parent
        anchors.margins: window.component === "shutdown" ? 0 : 12
        currentIndex: window.component === "progress" ? 0 : window.component === "compact" ? 1
                    : window.component === "table" ? 2 : 3

        ProgressView { manager: window.manager }
        Item {
            CompactProgress {
                width: parent.width
                manager: window.manager
                padding: 8
            }
        }
        ServiceTable { manager: window.manager }
        Item {
            Label { // what the window shows until it shuts down
                anchors.centerIn: parent
                text: qsTr("The application's content")
                opacity: 0.6
            }
            ShutdownView {
                anchors.fill: parent
                manager: window.manager
            }
        }
    }
}
