// The code shown in docs/qml.md (and docs/lifecycle.md's main window). Compiled only: running
// it needs a window.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QtGui/QGuiApplication>
#include <QtQml/QQmlApplicationEngine>

namespace qmlpage {

class Database : public QLifecycle::QService
{
    Q_OBJECT
};

class Api : public QLifecycle::QService
{
    Q_OBJECT
public:
    explicit Api(Database *db) : m_db(db) {}

protected:
    QLifecycle::Dependencies dependencies() const override { return {m_db}; }

private:
    Database *m_db;
};

// [snippet:qml-main]
int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    Database db;
    Api api(&db);
    QLifecycle::ServiceManager manager(&api);
    QQmlApplicationEngine engine;
    engine.setInitialProperties({{QStringLiteral("manager"), QVariant::fromValue(&manager)}});
    // The module MyApp's files, under the resource prefix "/" (qt_add_qml_module above).
    engine.load(QUrl(QStringLiteral("qrc:/MyApp/Main.qml")));
    // Closing this window stops the services; it stays up, showing the stop, until they have.
    manager.setMainWindow(engine.rootObjects().value(0));
    // UntilQuit: after a failure the window stays, showing the error, until the user quits.
    return manager.run(QLifecycle::ServiceManager::RunMode::UntilQuit);
}
// [/snippet:qml-main]

// The main window and the quit guard (docs/lifecycle.md, "The quit path"); Documents stands
// in for the one of snippets_desktop.cpp.
class Documents : public QLifecycle::QService
{
    Q_OBJECT
public:
    QCoro::Task<bool> confirmQuit(QLifecycle::ServiceManager::StopReason) { co_return true; }
};

class Editor : public QLifecycle::QService
{
    Q_OBJECT
public:
    explicit Editor(Documents *documents) : m_documents(documents) {}

protected:
    QLifecycle::Dependencies dependencies() const override { return {m_documents}; }

private:
    Documents *m_documents;
};

namespace mainwindow {

// [snippet:qml-main-window]
int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    Documents documents;
    Editor editor(&documents);
    QLifecycle::ServiceManager manager(&editor);
    manager.setQuitGuard([&documents](QLifecycle::ServiceManager::StopReason reason) {
        return documents.confirmQuit(reason);
    });
    QQmlApplicationEngine engine;
    engine.setInitialProperties({{QStringLiteral("manager"), QVariant::fromValue(&manager)},
                                 {QStringLiteral("documents"), QVariant::fromValue(&documents)}});
    engine.load(QUrl(QStringLiteral("qrc:/Editor/Main.qml")));
    manager.setMainWindow(engine.rootObjects().value(0)); // stays open while the graph stops
    return manager.run();
}
// [/snippet:qml-main-window]

} // namespace mainwindow

} // namespace qmlpage

#include "snippets_qml.moc"
