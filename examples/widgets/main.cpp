// qlifecycle-widgets: a QtWidgets application run by ServiceManager::run(): a splash while six
// services start, the service table once they run, and the shutdown progress over the window
// when it is closed. Try:
//
//   qlifecycle-widgets                          (check "Pretend unsaved changes", then close)
//   qlifecycle-widgets --fail-start Database    (the start fails: Retry in the table)
//   qlifecycle-widgets --palette dark -style Windows
//   qlifecycle-widgets --screenshot shot.png [--screenshot-when starting|running|stopping]
//   qlifecycle-widgets --fail-start Cache --screenshot failed.png --screenshot-when failed
//   qlifecycle-widgets --flaky Network          (crashes every 2 to 5 s, and is restarted)
//   qlifecycle-widgets --flaky Network --screenshot flaky.png --screenshot-when restart
//
// Exit code: 0 after a clean stop, 1 after a failure, 2 for a usage error, 3 if the screenshot
// could not be saved.

#include "mainwindow.h"
#include "screenshot.h"
#include "services.h"

#include <QLifecycle/ServiceManager>
#include <QLifecycle/ShutdownProgress>
#include <QLifecycle/StartupSplash>

#include <QtCore/QCommandLineParser>
#include <QtGui/QPainter>
#include <QtWidgets/QApplication>
#include <QtWidgets/QSplashScreen>

#include <cstdio>
#include <cstdlib>
#include <memory>

using QLifecycle::QService;
using QLifecycle::ServiceManager;

namespace {

[[noreturn]] void usageError(const QString &message)
{
    std::fprintf(stderr, "qlifecycle-widgets: %s\n", qPrintable(message));
    std::exit(2);
}

// A palette of one's own, so that both can be shown (and shot) without a desktop theme.
QPalette makePalette(bool dark)
{
    const QColor window = dark ? QColor(45, 45, 48) : QColor(239, 239, 239);
    const QColor base = dark ? QColor(30, 30, 32) : QColor(255, 255, 255);
    const QColor text = dark ? QColor(232, 232, 232) : QColor(20, 20, 20);
    const QColor button = dark ? QColor(58, 58, 62) : QColor(230, 230, 230);
    QPalette palette(button, window);
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::AlternateBase, dark ? QColor(38, 38, 41) : QColor(246, 246, 246));
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::Button, button);
    palette.setColor(QPalette::ButtonText, text);
    palette.setColor(QPalette::ToolTipBase, base);
    palette.setColor(QPalette::ToolTipText, text);
    palette.setColor(QPalette::PlaceholderText,
                     dark ? QColor(140, 140, 140) : QColor(120, 120, 120));
    palette.setColor(QPalette::Highlight, dark ? QColor(42, 130, 218) : QColor(48, 120, 200));
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::Link, dark ? QColor(100, 170, 255) : QColor(0, 90, 200));
    for (const QPalette::ColorRole role :
         {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        palette.setColor(QPalette::Disabled, role,
                         dark ? QColor(120, 120, 120) : QColor(150, 150, 150));
    return palette;
}

// The splash's picture: the application's name on the palette's colours.
QPixmap splashPixmap(const QPalette &palette)
{
    QPixmap pixmap(460, 220);
    pixmap.fill(palette.color(QPalette::Window));
    QPainter painter(&pixmap);
    painter.setPen(palette.color(QPalette::Highlight));
    painter.drawRect(pixmap.rect().adjusted(0, 0, -1, -1));
    QFont font = painter.font();
    font.setPointSizeF(font.pointSizeF() * 2);
    font.setBold(true);
    painter.setFont(font);
    painter.setPen(palette.color(QPalette::WindowText));
    painter.drawText(QRect(0, 40, pixmap.width(), 60), Qt::AlignCenter,
                     QStringLiteral("QLifecycle"));
    font.setPointSizeF(font.pointSizeF() / 2);
    font.setBold(false);
    painter.setFont(font);
    painter.drawText(QRect(0, 95, pixmap.width(), 30), Qt::AlignCenter,
                     QStringLiteral("widgets example"));
    return pixmap;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv); // -style Fusion|Windows is Qt's own option
    QApplication::setApplicationName(QStringLiteral("qlifecycle-widgets"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Six services in a QtWidgets window: a splash while they start, their table, and the "
        "shutdown progress when the window is closed."));
    parser.addHelpOption();
    const QCommandLineOption failStart(QStringLiteral("fail-start"),
                                       QStringLiteral("Make the first start of <service> fail."),
                                       QStringLiteral("service"));
    const QCommandLineOption flaky(
        QStringLiteral("flaky"),
        QStringLiteral("Make <service> crash every 2 to 5 s, and the manager restart it."),
        QStringLiteral("service"));
    const QCommandLineOption paletteOption(
        QStringLiteral("palette"), QStringLiteral("dark or light."), QStringLiteral("palette"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a screenshot to <file>, then quit."),
                                        QStringLiteral("file"));
    const QCommandLineOption screenshotWhen(
        QStringLiteral("screenshot-when"),
        QStringLiteral("starting (the splash), running (default), stopping, failed (with "
                       "--fail-start), or restart (with --flaky)."),
        QStringLiteral("moment"), QStringLiteral("running"));
    parser.addOptions({failStart, flaky, paletteOption, screenshot, screenshotWhen});
    parser.process(app);
    if (parser.isSet(paletteOption)) {
        const QString name = parser.value(paletteOption);
        if (name != QLatin1String("dark") && name != QLatin1String("light"))
            usageError(QStringLiteral("--palette: dark or light, not \"%1\"").arg(name));
        QApplication::setPalette(makePalette(name == QLatin1String("dark")));
    }
    Screenshot::Moment moment = Screenshot::Moment::Running;
    if (const QString when = parser.value(screenshotWhen); when == QLatin1String("starting"))
        moment = Screenshot::Moment::Starting;
    else if (when == QLatin1String("stopping"))
        moment = Screenshot::Moment::Stopping;
    else if (when == QLatin1String("failed"))
        moment = Screenshot::Moment::Failed;
    else if (when == QLatin1String("restart"))
        moment = Screenshot::Moment::Restart;
    else if (when != QLatin1String("running"))
        usageError(QStringLiteral("--screenshot-when: not \"%1\"").arg(when));

    DemoService settings(QStringLiteral("Settings"), 250ms, 150ms, {});
    DemoService database(QStringLiteral("Database"), 700ms, 500ms, {&settings});
    DemoService network(QStringLiteral("Network"), 500ms, 300ms, {&settings});
    DemoService cache(QStringLiteral("Cache"), 400ms, 250ms, {&database});
    DemoService searchIndex(QStringLiteral("SearchIndex"), 900ms, 400ms, {&database});
    Documents documents(QStringLiteral("Documents"), 300ms, 300ms,
                        {{&database, &cache, &network, &searchIndex}});
    network.keepsATask = true;
    // The search index is not needed at once: it starts when the application is idle, after the
    // window is up, and the splash does not wait for it.
    searchIndex.setStartPolicy(QService::StartPolicy::WhenIdle);
    // The service named by an option (as in --fail-start Cache), or nullptr when not given.
    const auto named = [&](const QCommandLineOption &option) -> DemoService * {
        if (!parser.isSet(option))
            return nullptr;
        for (DemoService *service :
             {&settings, &database, &network, &cache, static_cast<DemoService *>(&searchIndex),
              static_cast<DemoService *>(&documents)}) {
            if (service->name().compare(parser.value(option), Qt::CaseInsensitive) == 0)
                return service;
        }
        usageError(QStringLiteral("--%1: no service \"%2\"")
                       .arg(option.names().constFirst(), parser.value(option)));
    };
    if (DemoService *service = named(failStart))
        service->failNextStart = true;
    if (DemoService *service = named(flaky))
        service->makeFlaky();

    ServiceManager manager(&documents);
    MainWindow window(&manager, &documents);
    documents.window = &window;

    // [snippet:widgets-example-wiring]
    // The splash shows the start; at Running (or after a failure) it shows the window.
    QSplashScreen splash(splashPixmap(QApplication::palette()));
    new QLifecycle::StartupSplash(&manager, &splash, &window);
    splash.show();
    // Closing the window is a quit: it stays up while the services stop, with the progress.
    manager.setMainWindow(&window);
    new QLifecycle::ShutdownProgress(&manager, &window);
    // The quit guard asks about unsaved changes first.
    manager.setQuitGuard(
        [&documents](ServiceManager::StopReason reason) { return documents.confirmQuit(reason); });
    // [/snippet:widgets-example-wiring]

    std::unique_ptr<Screenshot> shot;
    if (parser.isSet(screenshot))
        shot = std::make_unique<Screenshot>(&manager, &window, &splash, parser.value(screenshot),
                                            moment);

    // After a failure the window stays, so that Retry can be pressed; a quit ends it all.
    const int exitCode = manager.run(ServiceManager::RunMode::UntilQuit);
    if (shot && !shot->isSaved())
        return 3;
    return exitCode;
}
