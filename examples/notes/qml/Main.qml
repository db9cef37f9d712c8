import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QLifecycle
import NotesApp

// The Notes window (docs/desktop.md). `step` is the tutorial's step (--step): what a later step
// adds is shown from that step on.
ApplicationWindow {
    id: window

    // [snippet:notes-qml-window]
    required property ServiceManager manager
    required property Notes notes
    required property Indexer indexer
    required property int step

    readonly property bool ready: manager.state === Service.Running

    width: 760
    height: 520
    visible: true
    title: notes.modified ? qsTr("Notes (unsaved changes)") : qsTr("Notes")

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 12
            anchors.rightMargin: 12
            Label {
                Layout.fillWidth: true
                text: window.ready ? qsTr("Ready") : qsTr("Please wait…")
            }
            // [/snippet:notes-qml-window]
            // [snippet:notes-qml-indexed]
            Label { // step 5: the count the worker thread sends back
                visible: window.step >= 5 && window.indexer.state === Service.Running
                text: qsTr("%1 notes indexed").arg(window.indexer.indexedNotes)
            }
            // [/snippet:notes-qml-indexed]
            Button {
                text: qsTr("Save")
                enabled: window.notes.modified
                onClicked: window.notes.modified = false
            }
        }
    }

    // [snippet:notes-qml-editor]
    TextArea {
        id: editor
        anchors.fill: parent
        anchors.margins: 12
        enabled: window.ready
        placeholderText: window.ready ? qsTr("Write a note…") : ""
        wrapMode: TextEdit.Wrap
        onTextChanged: if (activeFocus) window.notes.modified = true
    }
    // [/snippet:notes-qml-editor]

    // [snippet:notes-qml-progress]
    footer: CompactProgress { // step 3: a line for the start and the stop
        visible: window.step >= 3
        padding: 6
        manager: window.manager
    }

    Drawer { // step 3: every service, opened from the right edge or with Ctrl+I
        id: services
        edge: Qt.RightEdge
        width: Math.min(window.width * 0.8, 560)
        height: window.height
        ServiceTable {
            anchors.fill: parent
            manager: window.manager
        }
    }
    Shortcut {
        enabled: window.step >= 3
        sequence: "Ctrl+I"
        onActivated: services.open()
    }

    Pane { // step 3: the start, over the window until the services run
        anchors.fill: parent
        visible: window.step >= 3 && window.manager.state === Service.Starting
        ProgressView {
            anchors.centerIn: parent
            width: Math.min(parent.width, 480)
            manager: window.manager
        }
    }
    // [/snippet:notes-qml-progress]

    // [snippet:notes-qml-shutdown]
    ShutdownView { // step 2: over everything while the services stop after a close
        anchors.fill: parent
        visible: window.step >= 2 && active
        manager: window.manager
    }
    // [/snippet:notes-qml-shutdown]

    // [snippet:notes-qml-guard]
    Dialog { // step 4: the quit guard's question
        id: unsavedChanges
        anchors.centerIn: parent
        title: qsTr("Unsaved changes")
        modal: true
        standardButtons: Dialog.Save | Dialog.Discard | Dialog.Cancel
        Label { text: qsTr("Save your note before quitting?") }
        onAccepted: window.notes.saveAndQuit()
        onDiscarded: {
            window.notes.discardAndQuit()
            close() // Discard does not close a dialog by itself
        }
        onRejected: window.notes.cancelQuit() // Cancel, Escape
    }
    Connections {
        target: window.notes
        function onUnsavedChangesOnQuit() { unsavedChanges.open() }
    }
    Connections { // the quit went on without the answer (the window was closed again)
        target: window.manager
        function onStateChanged() {
            if (window.manager.state === Service.Stopping)
                unsavedChanges.close()
        }
    }
    // [/snippet:notes-qml-guard]
}
