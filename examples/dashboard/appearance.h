#pragma once

#include <QtCore/QString>

// The look of the dashboard's Qt Quick Controls, chosen before the QML engine exists.
namespace Appearance {

// The style: the one the user chose (Qt's -style option, or QT_QUICK_CONTROLS_STYLE), else
// Fusion. `requested` is the value of -style, empty if not given.
void chooseStyle(const QString &requested);

// The palette: "dark" or "light" forces one (for screenshots on a machine without a desktop
// theme; the Material style's theme too), "" follows the system's. False for another value.
bool choosePalette(const QString &palette);

} // namespace Appearance
