// qlifecycle-notes: the desktop application that docs/desktop.md grows step by step: four
// services (services.h), a Qt Quick window that edits a note, the start's progress, the window
// that stays up while the services stop, a quit guard for unsaved changes, an index built on a
// worker thread, and a deferred start. `--step N` runs the application as it stands at the end
// of step N of the tutorial (1 to 6, the default), so that each step can be seen on its own.
//
//   qlifecycle-notes
//   qlifecycle-notes --step 2
//   qlifecycle-notes --modified --screenshot guard.png --screenshot-when closing
//
// Exit code: 0 after a clean stop, 1 after a failure, 2 for a usage error, 3 if the screenshot
// could not be saved.

#include "services.h"
#include "windowshot.h"

#include <QLifecycle/ServiceManager>

#include <QtCore/QCommandLineParser>
#include <QtGui/QGuiApplication>
#include <QtQml/QQmlApplicationEngine>
#include <QtQuick/QQuickWindow>

#include <cstdio>
#include <cstdlib>
#include <memory>

using namespace Qt::StringLiterals;
using QLifecycle::ServiceManager;

namespace {

[[noreturn]] void usageError(const QString &message)
{
    std::fprintf(stderr, "qlifecycle-notes: %s\n", qPrintable(message));
    std::exit(2);
}

WindowShot::Moment momentFromOption(const QString &when)
{
    for (auto [name, moment] : {std::pair{"starting", WindowShot::Moment::Starting},
                                {"running", WindowShot::Moment::Running},
                                {"stopping", WindowShot::Moment::Stopping},
                                {"closing", WindowShot::Moment::Closing},
                                {"indexed", WindowShot::Moment::Armed}}) {
        if (when == QLatin1StringView(name))
            return moment;
    }
    usageError(u"--screenshot-when: not \"%1\""_s.arg(when));
}

} // namespace

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(u"qlifecycle-notes"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"The Notes application of the desktop tutorial."_s);
    parser.addHelpOption();
    const QCommandLineOption stepOption(u"step"_s, u"The tutorial's step, 1 to 6 (default 6)."_s,
                                        u"n"_s, u"6"_s);
    const QCommandLineOption modified(u"modified"_s, u"Start with unsaved changes."_s);
    const QCommandLineOption screenshot(
        u"screenshot"_s, u"Save a screenshot to <file>, then stop and exit."_s, u"file"_s);
    const QCommandLineOption screenshotWhen(
        u"screenshot-when"_s,
        u"starting, running (default), stopping, closing (with --modified: the quit guard's "
        u"question) or indexed (500 notes)."_s,
        u"moment"_s, u"running"_s);
    parser.addOptions({stepOption, modified, screenshot, screenshotWhen});
    parser.process(app);
    bool ok = false;
    const int step = parser.value(stepOption).toInt(&ok);
    if (!ok || step < 1 || step > 6)
        usageError(u"--step: a number from 1 to 6, not \"%1\""_s.arg(parser.value(stepOption)));
    const WindowShot::Moment moment = momentFromOption(parser.value(screenshotWhen));

    // Step 1: the services, and a manager around the root.
    // [snippet:notes-main-services]
    Settings settings;
    Storage storage(&settings);
    Indexer indexer(&storage);
    Notes notes(&storage, &indexer);
    ServiceManager manager(&notes);
    // [/snippet:notes-main-services]
    notes.setModified(parser.isSet(modified));

    if (step >= 4) { // Step 4: ask before unsaved changes are lost.
        // [snippet:notes-main-guard]
        manager.setQuitGuard(
            [&notes](ServiceManager::StopReason reason) { return notes.confirmQuit(reason); });
        // [/snippet:notes-main-guard]
    }
    if (step >= 6) { // Step 6: the index starts once the window is on screen.
        // [snippet:notes-main-deferred]
        indexer.setStartPolicy(QLifecycle::QService::StartPolicy::AfterFirstFrame);
        // [/snippet:notes-main-deferred]
    }

    // [snippet:notes-main-window]
    QQmlApplicationEngine engine;
    // `import QLifecycle` from the build tree; an installed QLifecycle is in Qt's import path.
#ifdef QLIFECYCLE_QML_IMPORT_DIR
    engine.addImportPath(QStringLiteral(QLIFECYCLE_QML_IMPORT_DIR));
#endif
    engine.setInitialProperties({{u"manager"_s, QVariant::fromValue(&manager)},
                                 {u"notes"_s, QVariant::fromValue(&notes)},
                                 {u"indexer"_s, QVariant::fromValue(&indexer)},
                                 {u"step"_s, step}});
    engine.load(QUrl(u"qrc:/NotesApp/Main.qml"_s)); // the module NotesApp, resource prefix /
    auto *window = engine.rootObjects().isEmpty()
                       ? nullptr
                       : qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (!window)
        return 2; // the QML errors are logged
    // [/snippet:notes-main-window]

    if (step >= 2) { // Step 2: the window stays up while the services stop.
        // [snippet:notes-main-mainwindow]
        manager.setMainWindow(window);
        // [/snippet:notes-main-mainwindow]
    }

    std::unique_ptr<WindowShot> shot;
    if (parser.isSet(screenshot)) {
        shot = std::make_unique<WindowShot>(window, &manager, parser.value(screenshot), moment);
        QObject::connect(&notes, &Notes::unsavedChangesOnQuit, shot.get(), &WindowShot::arm);
        if (moment == WindowShot::Moment::Armed) {
            QObject::connect(&indexer, &Indexer::indexedNotesChanged, shot.get(),
                             [&indexer, shot = shot.get()] {
                                 if (indexer.indexedNotes() >= 500)
                                     shot->arm();
                             });
        }
    }

    if (shot) { // unattended: the program ends with its graph
        const int exitCode = manager.run(ServiceManager::RunMode::UntilStopped);
        return shot->isSaved() ? exitCode : 3;
    }
    // [snippet:notes-main-run]
    // UntilQuit: after a failure the window stays, so that the error can be read; the
    // application ends when the user quits, not when the services stop.
    return manager.run(ServiceManager::RunMode::UntilQuit);
    // [/snippet:notes-main-run]
}
