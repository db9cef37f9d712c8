import QtQuick
import QtQuick.Controls
import QLifecycle

/*!
    \qmltype StateBadge
    \inqmlmodule QLifecycle
    \brief A pill in the colour of a lifecycle state, with its name (docs/qml.md, "Ready-made
    components").

    \code
    StateBadge { lifecycleState: manager.state }
    \endcode
    The text is white on a mid-tone fill (LifecycleUi.stateColor()), readable in light and dark
    palettes; the font is the style's.
*/
Label {
    id: badge

    /*! A Service.State value: a service's or the manager's state. */
    property int lifecycleState: Service.Stopped

    text: LifecycleUi.stateName(lifecycleState)
    color: "white"
    font.bold: true
    horizontalAlignment: Text.AlignHCenter
    leftPadding: 10
    rightPadding: 10
    topPadding: 2
    bottomPadding: 2
    background: Rectangle {
        radius: height / 2
        color: LifecycleUi.stateColor(badge.lifecycleState)
    }
}
