#include "appearance.h"

#include <QtCore/QByteArray>
#include <QtGui/QColor>
#include <QtGui/QGuiApplication>
#include <QtGui/QPalette>
#include <QtQuickControls2/QQuickStyle>

#include <utility>

using namespace Qt::StringLiterals;

namespace {

QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1f, 0x21, 0x24), text(0xe8, 0xea, 0xed);
    const QColor button(0x3a, 0x3d, 0x42), highlight(0x4c, 0x8b, 0xf5), mid(0x55, 0x59, 0x5f);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x33, 0x36, 0x3a));
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0xa0, 0xa6));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, button);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Light, QColor(0x4a, 0x4d, 0x52));
    p.setColor(QPalette::Midlight, QColor(0x42, 0x45, 0x4a));
    p.setColor(QPalette::Mid, mid);
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
    p.setColor(QPalette::Shadow, Qt::black);
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x8a, 0xb4, 0xf8));
    for (const QPalette::ColorRole role :
         {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, QColor(0x80, 0x86, 0x8b));
    p.setColor(QPalette::Disabled, QPalette::Button, window);
    return p;
}

} // namespace

bool Appearance::styleIn(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray argument(argv[i]);
        if (argument == "-style" || argument == "--style" || argument.startsWith("-style=") ||
            argument.startsWith("--style="))
            return true;
    }
    return false;
}

void Appearance::chooseStyle(const QString &requested, bool given)
{
    if (!requested.isEmpty())
        QQuickStyle::setStyle(requested);
    else if (!given && qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE"))
        QQuickStyle::setStyle(u"Fusion"_s); // a desktop look, light or dark with the palette
}

bool Appearance::choosePalette(const QString &palette)
{
    if (palette.isEmpty())
        return true; // the system's: a dark desktop theme gives a dark window
    if (palette != u"dark"_s && palette != u"light"_s)
        return false;
    const bool dark = palette == u"dark"_s;
    // The Material style takes its light or dark theme from this variable, read when the
    // engine loads the style; unless the user set one.
    if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_MATERIAL_THEME"))
        qputenv("QT_QUICK_CONTROLS_MATERIAL_THEME", dark ? "Dark" : "Light");
    if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_UNIVERSAL_THEME"))
        qputenv("QT_QUICK_CONTROLS_UNIVERSAL_THEME", dark ? "Dark" : "Light");
    QGuiApplication::setPalette(dark ? darkPalette() : QPalette(QColor(0xef, 0xf0, 0xf1)));
    return true;
}

QVariantMap Appearance::paletteRoles()
{
    const QPalette p = QGuiApplication::palette();
    static const std::pair<const char *, QPalette::ColorRole> roles[] = {
        {"window", QPalette::Window},
        {"windowText", QPalette::WindowText},
        {"base", QPalette::Base},
        {"alternateBase", QPalette::AlternateBase},
        {"text", QPalette::Text},
        {"button", QPalette::Button},
        {"buttonText", QPalette::ButtonText},
        {"brightText", QPalette::BrightText},
        {"highlight", QPalette::Highlight},
        {"highlightedText", QPalette::HighlightedText},
        {"light", QPalette::Light},
        {"midlight", QPalette::Midlight},
        {"mid", QPalette::Mid},
        {"dark", QPalette::Dark},
        {"shadow", QPalette::Shadow},
        {"toolTipBase", QPalette::ToolTipBase},
        {"toolTipText", QPalette::ToolTipText},
        {"placeholderText", QPalette::PlaceholderText},
        {"link", QPalette::Link},
    };
    QVariantMap map;
    for (const auto &[name, role] : roles)
        map.insert(QString::fromLatin1(name), p.color(QPalette::Active, role));
    return map;
}
