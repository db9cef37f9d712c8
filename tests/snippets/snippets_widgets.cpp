// The code shown in docs/widgets.md. Compiled only: running it needs a display (the widgets
// example, examples/widgets, runs the same wiring in tst_widgets_example).

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/Widgets>

#include <QtGui/QPixmap>
#include <QtWidgets/QApplication>
#include <QtWidgets/QMainWindow>
#include <QtWidgets/QMenuBar>
#include <QtWidgets/QSplashScreen>

namespace widgetspage {

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

// [snippet:widgets-main]
int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    Database db;
    Api api(&db);
    QLifecycle::ServiceManager manager(&api);

    // The window: a table of the services, and Retry in its menu.
    QMainWindow window;
    auto *table = new QLifecycle::ServiceTableView(&manager);
    window.setCentralWidget(table);
    window.menuBar()->addMenu(QStringLiteral("&Services"))->addAction(table->retryAction());

    // A splash while the services start; it shows the window once they run (or failed).
    QSplashScreen splash(QPixmap(QStringLiteral(":/splash.png")));
    new QLifecycle::StartupSplash(&manager, &splash, &window);
    splash.show();

    // Closing the window is a quit: it stays up, with the shutdown progress, until the
    // services have stopped.
    manager.setMainWindow(&window);
    new QLifecycle::ShutdownProgress(&manager, &window);

    // After a failure the window stays, so that Retry can be pressed; a quit ends it all.
    return manager.run(QLifecycle::ServiceManager::RunMode::UntilQuit);
}
// [/snippet:widgets-main]

} // namespace widgetspage

#include "snippets_widgets.moc"
