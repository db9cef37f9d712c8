// qlifecycle-dashboard: six services (see services.h) and a Qt Quick window that shows them live
// through the QML module `import QLifecycle`: the start progress, every service's state, timings
// and task counts, the errors, and the graceful stop when the window closes. Try:
//
//   qlifecycle-dashboard
//   qlifecycle-dashboard --fail-start Database   (the start is rolled back; press Restart)
//   qlifecycle-dashboard --crash Sync --crash-after-ms 3000
//   qlifecycle-dashboard --flaky Network   (crashes every 2 to 5 s, and is restarted)
//   qlifecycle-dashboard --screenshot shot.png   (unattended: grab the window once running, stop)
//   qlifecycle-dashboard --crash Sync --crash-after-ms 2000
//                        --screenshot crash.png --screenshot-when stopped   (the crash, shot)
//   qlifecycle-dashboard --flaky Network --screenshot flaky.png --screenshot-when restart
//                        (shot when it failed again after a restart, and waits for the next)
//   qlifecycle-dashboard -style Material --palette dark   (any Qt Quick Controls style; Fusion
//                                                        by default; dark or light forced)
//   qlifecycle-dashboard --pretend-unsaved   (the quit guard asks Save / Discard / Cancel)
//   qlifecycle-dashboard --press stop,start,close   (unattended: presses the window's buttons)
//   qlifecycle-dashboard --trace-dir /tmp   ("Save trace" writes there; default: Documents)
//
// Exit code: 0 after a clean stop, 1 after a failure, 2 for a usage error, 3 if the screenshot
// could not be saved.

#include "appearance.h"
#include "services.h"
#include "tracesaver.h"
#include "unsavedchanges.h"
#include "windowshot.h"

#include <QLifecycle/ServiceManager>

#include <QtCore/QCommandLineParser>
#include <QtCore/QEventLoop>
#include <QtCore/QMetaEnum>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtGui/QGuiApplication>
#include <QtQml/QQmlApplicationEngine>
#include <QtQuick/QQuickWindow>

#include <cstdio>
#include <cstdlib>
#include <memory>

using namespace Qt::StringLiterals;
using QLifecycle::ServiceManager;
using State = QLifecycle::QService::State;

namespace {

[[noreturn]] void usageError(const QString &message)
{
    std::fprintf(stderr, "qlifecycle-dashboard: %s\n", qPrintable(message));
    std::exit(2);
}

// The service named by `option` (as in --fail-start Database), or nullptr when not given.
DemoService *serviceFromOption(const QCommandLineParser &parser, const QCommandLineOption &option,
                               const QList<DemoService *> &services)
{
    if (!parser.isSet(option))
        return nullptr;
    for (DemoService *service : services) {
        if (service->name().compare(parser.value(option), Qt::CaseInsensitive) == 0)
            return service;
    }
    usageError(
        u"--%1: no service named \"%2\""_s.arg(option.names().first(), parser.value(option)));
}

int msFromOption(const QCommandLineParser &parser, const QCommandLineOption &option)
{
    bool ok = false;
    const int ms = parser.value(option).toInt(&ok);
    if (!ok || ms < 0)
        usageError(u"--%1 needs a number of milliseconds"_s.arg(option.names().first()));
    return ms;
}

WindowShot::Moment momentFromOption(const QString &when)
{
    if (when == u"starting"_s)
        return WindowShot::Moment::Starting;
    if (when == u"running"_s)
        return WindowShot::Moment::Running;
    if (when == u"stopping"_s)
        return WindowShot::Moment::Stopping;
    if (when == u"stopped"_s)
        return WindowShot::Moment::Stopped;
    if (when == u"restart"_s) // armed by main() below
        return WindowShot::Moment::Armed;
    usageError(u"--screenshot-when: not \"%1\""_s.arg(when));
}

UnsavedChanges::Answer answerFromOption(const QString &answer)
{
    if (answer == u"save"_s)
        return UnsavedChanges::Answer::Save;
    if (answer == u"discard"_s)
        return UnsavedChanges::Answer::Discard;
    if (answer == u"cancel"_s)
        return UnsavedChanges::Answer::Cancel;
    usageError(u"--answer: not \"%1\" (save, discard or cancel)"_s.arg(answer));
}

// --press: presses the window's buttons in turn ("stop", "start", or "close" for the window's
// close button), each once the manager has settled (Running, Stopped or Failed) or the quit
// guard was answered, as a user would; prints each press with what the footer says then. A button
// that is hidden or disabled cannot be pressed: the program ends with exit code 4.
void pressInTurn(QQuickWindow *window, ServiceManager *manager, UnsavedChanges *unsaved,
                 const QStringList &buttons)
{
    auto presses = std::make_shared<QStringList>(buttons); // shared by every trigger below
    auto next = [window, manager, unsaved, presses] {
        const State state = manager->state();
        if (presses->isEmpty() || state == State::Starting || state == State::Stopping ||
            unsaved->asking())
            return;
        if (state == State::Running && manager->deferredCount() > 0)
            return; // SearchIndex starts after the first frame: wait until everything runs
        const QString name = presses->takeFirst();
        const QObject *footer = window->findChild<QObject *>(u"closingText"_s);
        std::printf("press: %s (footer: %s)\n", qPrintable(name),
                    footer ? qPrintable(footer->property("text").toString()) : "");
        std::fflush(stdout);
        if (name == u"close"_s) {
            window->close();
            return;
        }
        QObject *button = window->findChild<QObject *>(name);
        if (!button || !button->property("visible").toBool() ||
            !button->property("enabled").toBool()) {
            std::fprintf(stderr, "--press: the %s button cannot be pressed now\n",
                         qPrintable(name));
            std::exit(4);
        }
        QMetaObject::invokeMethod(button, "clicked"); // as a click does
    };
    auto later = [window, next] { QTimer::singleShot(0, window, next); };
    QObject::connect(manager, &ServiceManager::stateChanged, window, later);
    QObject::connect(manager, &ServiceManager::deferredCountChanged, window, later);
    QObject::connect(unsaved, &UnsavedChanges::answered, window, later);
}

} // namespace

int main(int argc, char *argv[])
{
    // Qt takes -style STYLE out of the arguments (Qt Quick Controls reads it): note it first.
    const bool styleGiven = Appearance::styleIn(argc, argv);
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(u"qlifecycle-dashboard"_s);

    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions); // -style
    parser.setApplicationDescription(
        u"Shows six services starting, running and stopping: Settings, "
        u"Database, Network, Cache, SearchIndex and Sync."_s);
    parser.addHelpOption();
    const QCommandLineOption failStart(u"fail-start"_s, u"Make the start of <service> fail."_s,
                                       u"service"_s);
    const QCommandLineOption crash(u"crash"_s, u"Make <service> crash once running."_s,
                                   u"service"_s);
    const QCommandLineOption crashAfter(
        u"crash-after-ms"_s, u"When the crash happens (default 3000)."_s, u"ms"_s, u"3000"_s);
    const QCommandLineOption flaky(
        u"flaky"_s, u"Make <service> crash every 2 to 5 s, and the manager restart it."_s,
        u"service"_s);
    const QCommandLineOption quitAfter(u"quit-after-ms"_s,
                                       u"Stop after <ms> of running, then exit."_s, u"ms"_s);
    const QCommandLineOption screenshot(
        u"screenshot"_s, u"Save a screenshot to <file>, then stop and exit."_s, u"file"_s);
    const QCommandLineOption screenshotWhen(
        u"screenshot-when"_s, u"starting, running (default), stopping, stopped or restart."_s,
        u"moment"_s, u"running"_s);
    const QCommandLineOption style(u"style"_s, u"The Qt Quick Controls style (default Fusion)."_s,
                                   u"style"_s);
    const QCommandLineOption palette(
        u"palette"_s, u"dark or light: force a palette (default: the system's)."_s, u"palette"_s);
    const QCommandLineOption size(u"size"_s, u"The window's size, e.g. 520x720."_s, u"WxH"_s);
    const QCommandLineOption pretendUnsaved(
        u"pretend-unsaved"_s,
        u"Start with \"Pretend unsaved changes\" on (the quit guard asks)."_s);
    const QCommandLineOption answer(
        u"answer"_s, u"Answer the quit guard's question at once: save, discard or cancel."_s,
        u"answer"_s);
    const QCommandLineOption press(u"press"_s,
                                   u"Press these buttons in turn, each once the services have "
                                   u"settled: stop, start, saveTrace, close (comma-separated)."_s,
                                   u"buttons"_s);
    const QCommandLineOption traceDir(
        u"trace-dir"_s, u"Where \"Save trace\" writes its Chrome trace (default: Documents)."_s,
        u"directory"_s);
    const QCommandLineOption gallery(
        u"gallery"_s,
        u"Show one component of import QLifecycle alone: progress, compact, table or shutdown."_s,
        u"component"_s);
    parser.addOptions({failStart, crash, crashAfter, flaky, quitAfter, screenshot, screenshotWhen,
                       traceDir, style, palette, size, pretendUnsaved, answer, press, gallery});
    parser.process(app);
    Appearance::chooseStyle(parser.value(style), styleGiven);
    if (!Appearance::choosePalette(parser.value(palette)))
        usageError(u"--palette: not \"%1\" (dark or light)"_s.arg(parser.value(palette)));
    const WindowShot::Moment moment = momentFromOption(parser.value(screenshotWhen));
    const int quitAfterMs = parser.isSet(quitAfter) ? msFromOption(parser, quitAfter) : -1;

    // The services are plain objects owned here; the manager only drives them. Sync is the
    // root: its dependencies() (and theirs) declare the whole graph.
    Settings settings;
    Database database(&settings);
    Network network(&settings);
    Cache cache(&database);
    SearchIndex searchIndex(&database);
    Sync sync(&network, &cache, &searchIndex);
    const QList<DemoService *> services{&settings, &database,    &network,
                                        &cache,    &searchIndex, &sync};
    if (DemoService *service = serviceFromOption(parser, failStart, services))
        service->injectStartFailure();
    if (DemoService *service = serviceFromOption(parser, crash, services))
        service->injectCrash(std::chrono::milliseconds(msFromOption(parser, crashAfter)));
    if (DemoService *service = serviceFromOption(parser, flaky, services))
        service->makeFlaky();

    ServiceManager manager(&sync);
    // "Save trace": recorded from before the start, so that the trace shows all of it.
    TraceSaver trace(&manager, parser.value(traceDir));
    QObject::connect(&manager, &ServiceManager::stateChanged, &manager, [](State state) {
        std::printf("manager: %s\n", QMetaEnum::fromType<State>().valueToKey(int(state)));
        std::fflush(stdout);
    });
    // Why the services stop ("stop reason: WindowClosed"), as soon as a stop is asked.
    QObject::connect(
        &manager, &ServiceManager::stopReasonChanged, &manager,
        [](ServiceManager::StopReason reason) {
            if (reason == ServiceManager::StopReason::None)
                return; // a new start
            std::printf("stop reason: %s\n",
                        QMetaEnum::fromType<ServiceManager::StopReason>().valueToKey(int(reason)));
            std::fflush(stdout);
        });
    // Each restart too ("restart: Network in 1012 ms: Network, Sync"): what failed, when it
    // starts again, and what is restarted with it.
    QObject::connect(&manager, &ServiceManager::restartScheduled, &manager,
                     [](QLifecycle::QService *service, qint64 delayMs, const QStringList &all) {
                         std::printf("restart: %s in %lld ms: %s\n", qPrintable(service->name()),
                                     qlonglong(delayMs), qPrintable(all.join(u", "_s)));
                         std::fflush(stdout);
                     });
    // Every transition on stdout too ("service: Database Running"), for scripts and tests.
    for (DemoService *service : services) {
        QObject::connect(service, &QLifecycle::QService::stateChanged, service,
                         [service](State state) {
                             std::printf("service: %s %s\n", qPrintable(service->name()),
                                         QMetaEnum::fromType<State>().valueToKey(int(state)));
                             std::fflush(stdout);
                         });
    }

    // The quit guard: asks while "Pretend unsaved changes" is on (docs/lifecycle.md). Made
    // before the engine, so that it outlives the window's bindings to it.
    UnsavedChanges unsaved(&manager);
    unsaved.setPretend(parser.isSet(pretendUnsaved));
    if (parser.isSet(answer))
        unsaved.setAutomaticAnswer(answerFromOption(parser.value(answer)));
    manager.setQuitGuard([&unsaved](ServiceManager::StopReason reason) {
        return unsaved.confirmQuit(reason); // a plain lambda that returns the coroutine
    });

    // The window. `import QLifecycle` comes from the build tree when built there, else from
    // Qt's QML import path, where QLifecycle installs it.
    QQmlApplicationEngine engine;
#ifdef QLIFECYCLE_QML_IMPORT_DIR
    engine.addImportPath(QStringLiteral(QLIFECYCLE_QML_IMPORT_DIR));
#endif
    if (parser.isSet(gallery)) {
        static const QStringList components{u"progress"_s, u"compact"_s, u"table"_s, u"shutdown"_s};
        if (!components.contains(parser.value(gallery)))
            usageError(u"--gallery: not \"%1\""_s.arg(parser.value(gallery)));
        engine.setInitialProperties({{u"manager"_s, QVariant::fromValue(&manager)},
                                     {u"component"_s, parser.value(gallery)},
                                     {u"appPalette"_s, Appearance::paletteRoles()}});
        engine.load(QUrl(u"qrc:/Dashboard/Gallery.qml"_s));
    } else {
        engine.setInitialProperties({{u"manager"_s, QVariant::fromValue(&manager)},
                                     {u"unsaved"_s, QVariant::fromValue(&unsaved)},
                                     {u"trace"_s, QVariant::fromValue(&trace)},
                                     {u"appPalette"_s, Appearance::paletteRoles()}});
        engine.load(QUrl(u"qrc:/Dashboard/Main.qml"_s));
    }
    auto *window = engine.rootObjects().isEmpty()
                       ? nullptr
                       : qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (!window)
        return 2; // the QML errors are logged
    if (parser.isSet(size)) {
        const QStringList wh = parser.value(size).split(u'x');
        const QSize wanted = wh.size() == 2 ? QSize(wh[0].toInt(), wh[1].toInt()) : QSize();
        if (!wanted.isValid() || wanted.isEmpty())
            usageError(u"--size: not \"%1\" (WxH)"_s.arg(parser.value(size)));
        window->resize(wanted);
    }
    // Closing the window is a quit request: the window stays while the services stop (it shows
    // the stop's progress and reason), then run() returns. Closing it again quits at once.
    manager.setMainWindow(window);

    std::unique_ptr<WindowShot> shot;
    if (parser.isSet(screenshot))
        shot = std::make_unique<WindowShot>(window, &manager, parser.value(screenshot), moment);
    if (shot && moment == WindowShot::Moment::Armed) { // --screenshot-when restart
        // Once a service restarted before has failed again, and waits for its next restart.
        for (DemoService *service : services) {
            QObject::connect(service, &QLifecycle::QService::stateChanged, shot.get(),
                             [service, shot = shot.get()](State state) {
                                 if (state == State::Failed && service->restartCount() >= 1 &&
                                     service->restartDelayMs() >= 0)
                                     shot->arm();
                             });
        }
    }
    if (quitAfterMs >= 0) { // counted from the moment everything runs
        QObject::connect(&manager, &ServiceManager::stateChanged, &manager,
                         [&manager, quitAfterMs](State state) {
                             if (state == State::Running)
                                 QTimer::singleShot(quitAfterMs, &manager,
                                                    &ServiceManager::requestStop);
                         });
    }

    // Starts the graph, runs the event loop, and turns closing the last window, quit() and
    // SIGINT/SIGTERM into a graceful stop. Interactively, the window stays after a failure
    // (UntilQuit) so that the error can be read and Restart pressed; unattended, the program
    // ends with its graph. Returns 0 after a clean stop, 1 after a failure.
    if (parser.isSet(press))
        pressInTurn(window, &manager, &unsaved, parser.value(press).split(u','));
    const bool unattended = (shot || quitAfterMs >= 0) && !parser.isSet(press);
    const int exitCode = manager.run(unattended ? ServiceManager::RunMode::UntilStopped
                                                : ServiceManager::RunMode::UntilQuit);

    if (shot) {
        shot->shootFinalState(); // the run may have ended before the chosen moment
        if (!shot->isSaved())
            return 3;
    }
    return exitCode;
}
