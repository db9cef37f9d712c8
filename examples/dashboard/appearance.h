#pragma once

#include <QtCore/QString>
#include <QtCore/QVariantMap>

// The look of the dashboard's Qt Quick Controls, chosen before the QML engine exists.
namespace Appearance {

// Whether the command line names a style (-style STYLE, -style=STYLE), before QGuiApplication
// takes it out of argv.
bool styleIn(int argc, char **argv);

// The style: the one the user chose (Qt's -style option, or QT_QUICK_CONTROLS_STYLE), else
// Fusion. `requested` is a --style value Qt left in the arguments; `given` says whether the
// command line named one.
void chooseStyle(const QString &requested, bool given);

// The palette: "dark" or "light" forces one (for screenshots on a machine without a desktop
// theme; the Material style's theme too), "" follows the system's. False for another value.
bool choosePalette(const QString &palette);

// The application's palette as QML's palette roles ("window", "windowText"...), for a window to
// take: Qt Quick Controls' styles do not all follow QGuiApplication::palette() in Qt 6.4.
QVariantMap paletteRoles();

} // namespace Appearance
