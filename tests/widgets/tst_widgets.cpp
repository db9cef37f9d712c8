// QLifecycle::Widgets (docs/widgets.md): the start splash, the service table and the shutdown
// progress, driven by a graph of scripted services, offscreen.

#include <QLifecycle/ServiceManager>
#include <QLifecycle/ServiceModel>
#include <QLifecycle/Widgets>

#include <QLifecycle/testkit/harness.h>
#include <QLifecycle/testkit/scriptedservice.h>

#include <QtCore/QRegularExpression>
#include <QtCore/QTimer>
#include <QtGui/QAction>
#include <QtGui/QPixmap>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QMainWindow>
#include <QtWidgets/QSplashScreen>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;
using State = QService::State;
using Reason = ServiceManager::StopReason;

namespace {

// A scripted service whose health the test sets, as the service's own code would.
class ReportingService : public ScriptedService
{
    Q_OBJECT
public:
    using QService::setHealth;
    using ScriptedService::ScriptedService;
};

// config <- {db, cache} <- api, and a search index on db that api uses once it is there: it
// starts when idle, after the rest (a deferred service in a parallel group).
// Each start and stop takes \a delay: long enough for every step to be seen, even when the
// event loop turns slowly (the starting and stopping names are updated once per turn).
struct Graph {
    explicit Graph(std::chrono::milliseconds delay = 60ms)
    {
        db.deps = {&config};
        cache.deps = {&config};
        index.deps = {&db};
        index.setStartPolicy(QService::StartPolicy::WhenIdle);
        api.deps = {{&db, &cache, &index}};
        for (ScriptedService *service : all())
            service->onStart.delay = service->onStop.delay = delay;
    }
    ~Graph()
    {
        // A test that ends with the graph running leaves nothing behind.
        for (ScriptedService *service : all()) {
            service->onStart.hang = service->onStop.hang = false;
            service->sleeper().wakeAll();
        }
        try {
            runBlocking(manager.stop());
        } catch (const Error &) {
            // a failed run: shown by the test already
        }
    }
    QList<ScriptedService *> all() { return {&config, &db, &cache, &api, &index}; }

    ScriptedService config{QStringLiteral("config")};
    ScriptedService db{QStringLiteral("db")};
    ReportingService cache{QStringLiteral("cache")};
    ScriptedService index{QStringLiteral("index")};
    ScriptedService api{QStringLiteral("api")};
    ServiceManager manager{&api};
};

QPixmap splashPixmap()
{
    QPixmap pixmap(320, 180);
    pixmap.fill(Qt::white);
    return pixmap;
}

QString cell(const ServiceTableView &table, const QString &service, int column,
             int role = Qt::DisplayRole)
{
    const QAbstractItemModel *model = table.model();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, ServiceTableView::NameColumn).data().toString() == service)
            return model->index(row, column).data(role).toString();
    }
    return QStringLiteral("<no row %1>").arg(service);
}

QPalette darkPalette()
{
    QPalette palette;
    palette.setColor(QPalette::Window, QColor(37, 37, 38));
    palette.setColor(QPalette::WindowText, QColor(230, 230, 230));
    palette.setColor(QPalette::Base, QColor(30, 30, 30));
    palette.setColor(QPalette::Text, QColor(230, 230, 230));
    return palette;
}

QPalette lightPalette()
{
    QPalette palette;
    palette.setColor(QPalette::Window, QColor(240, 240, 240));
    palette.setColor(QPalette::WindowText, Qt::black);
    palette.setColor(QPalette::Base, Qt::white);
    palette.setColor(QPalette::Text, Qt::black);
    return palette;
}

} // namespace

class tst_Widgets : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void splashShowsStartProgress();
    void splashFinishesWhenRunning();
    void splashClosesWhenTheStartFails();
    void tableShowsEachState();
    void tableShowsTasksAndErrors();
    void retryRestartsAFailedGraph();
    void tableShowsRestartsAndHealth();
    void stateColorsFollowThePalette();
    void shutdownShowsOnlyForAQuit_data();
    void shutdownShowsOnlyForAQuit();
    void closingTheMainWindowShowsTheShutdown();
};

void tst_Widgets::splashShowsStartProgress()
{
    Graph graph(100ms);
    QSplashScreen splash(splashPixmap());
    auto *binding = new StartupSplash(&graph.manager, &splash);
    splash.show();
    QStringList messages;
    QList<int> progress{0};
    connect(binding, &StartupSplash::messageChanged, this,
            [&](const QString &message) { messages.append(message); });
    connect(binding, &StartupSplash::progressChanged, this,
            [&](int percent) { progress.append(percent); });
    QVERIFY(binding->message().isEmpty()); // nothing before the start

    graph.manager.requestStart();
    QTRY_COMPARE(graph.manager.state(), State::Running);
    QCOMPARE(splash.message(), messages.last()); // what the splash showed
    // Four services are waited for; the index, deferred, is counted apart.
    QVERIFY(messages.value(0).startsWith(QStringLiteral("Starting\u2026 0 of 4")));
    QVERIFY2(messages.contains(QStringLiteral("Starting\u2026 0 of 4: config (1 later)")),
             qPrintable(messages.join(u'\n')));
    QVERIFY2(messages.contains(QStringLiteral("Starting\u2026 1 of 4: db, cache (1 later)")),
             qPrintable(messages.join(u'\n')));
    QVERIFY2(messages.contains(QStringLiteral("Starting\u2026 3 of 4: api (1 later)")),
             qPrintable(messages.join(u'\n')));
    // The percentages rise, from 0 to 75 % before api runs (and the splash finishes).
    QVERIFY(std::is_sorted(progress.begin(), progress.end()));
    QVERIFY2(progress.contains(25) && progress.contains(75),
             qPrintable(QVariant::fromValue(progress).toString()));
    QVERIFY(progress.last() <= 100);
}

void tst_Widgets::splashFinishesWhenRunning()
{
    Graph graph;
    QMainWindow window;
    QSplashScreen splash(splashPixmap());
    auto *binding = new StartupSplash(&graph.manager, &splash, &window);
    QCOMPARE(binding->mainWindow(), &window);
    splash.show();
    QSignalSpy finished(binding, &StartupSplash::finished);
    State stateWhenFinished = State::Stopped;
    connect(binding, &StartupSplash::finished, this,
            [&] { stateWhenFinished = graph.manager.state(); });

    graph.manager.requestStart();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.first().first().toBool(), true);
    QCOMPARE(stateWhenFinished, State::Running);
    QVERIFY(binding->isFinished());
    QVERIFY(window.isVisible()); // shown when the start ended
    QTRY_VERIFY(!splash.isVisible());

    // A later stop and start do not bring the splash back.
    runBlocking(graph.manager.stop());
    runBlocking(graph.manager.start());
    QCOMPARE(finished.count(), 1);
    QVERIFY(!splash.isVisible());
    runBlocking(graph.manager.stop());
}

void tst_Widgets::splashClosesWhenTheStartFails()
{
    Graph graph;
    graph.db.onStart.fail = true;
    QMainWindow window;
    QSplashScreen splash(splashPixmap());
    auto *binding = new StartupSplash(&graph.manager, &splash, &window);
    splash.show();
    QSignalSpy finished(binding, &StartupSplash::finished);

    graph.manager.requestStart();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.first().first().toBool(), false);
    QTRY_COMPARE(graph.manager.state(), State::Failed);
    QVERIFY(!splash.isVisible()); // closed at once: the window shows the error
    QVERIFY(window.isVisible());
    QVERIFY(graph.manager.errorString().contains(QStringLiteral("scripted failure")));
}

void tst_Widgets::tableShowsEachState()
{
    Graph graph;
    graph.db.onStart.delay = 300ms; // long enough to be seen starting
    graph.api.onStop.delay = 300ms; // and stopping
    ServiceTableView table(&graph.manager);
    QCOMPARE(table.manager(), &graph.manager);
    QCOMPARE(table.model()->rowCount(), 0); // nothing until the manager starts
    QCOMPARE(table.model()->columnCount(), int(ServiceTableView::ColumnCount));
    QCOMPARE(table.model()->headerData(ServiceTableView::StartColumn, Qt::Horizontal).toString(),
             QStringLiteral("Start"));

    graph.manager.requestStart();
    QTRY_COMPARE(graph.db.state(), State::Starting);
    QCOMPARE(table.model()->rowCount(), 5);
    const QRegularExpression measured(QStringLiteral("^\\d+ ms$"));
    const QString notYet = QStringLiteral("\u2014");
    QTRY_COMPARE(cell(table, QStringLiteral("config"), ServiceTableView::StateColumn),
                 QStringLiteral("Running"));
    QVERIFY(measured.match(cell(table, QStringLiteral("config"), ServiceTableView::StartColumn))
                .hasMatch());
    QCOMPARE(cell(table, QStringLiteral("config"), ServiceTableView::StopColumn), notYet);
    QCOMPARE(cell(table, QStringLiteral("db"), ServiceTableView::StateColumn),
             QStringLiteral("Starting"));
    QCOMPARE(cell(table, QStringLiteral("db"), ServiceTableView::StartColumn), notYet);
    QCOMPARE(cell(table, QStringLiteral("api"), ServiceTableView::StateColumn),
             QStringLiteral("Stopped"));
    QCOMPARE(cell(table, QStringLiteral("api"), ServiceTableView::StartColumn), notYet);
    QCOMPARE(cell(table, QStringLiteral("db"), ServiceTableView::ActionColumn), QString());

    QTRY_COMPARE(graph.manager.state(), State::Running);
    QTRY_COMPARE(cell(table, QStringLiteral("index"), ServiceTableView::StateColumn),
                 QStringLiteral("Running"));
    QCOMPARE(cell(table, QStringLiteral("api"), ServiceTableView::StateColumn),
             QStringLiteral("Running"));

    graph.manager.requestStop();
    QTRY_COMPARE(cell(table, QStringLiteral("api"), ServiceTableView::StateColumn),
                 QStringLiteral("Stopping"));
    QCOMPARE(cell(table, QStringLiteral("api"), ServiceTableView::StopColumn),
             QStringLiteral("\u2014"));
    QTRY_COMPARE(graph.manager.state(), State::Stopped);
    for (const char *name : {"config", "db", "cache", "index", "api"}) {
        const QString service = QString::fromLatin1(name);
        QCOMPARE(cell(table, service, ServiceTableView::StateColumn), QStringLiteral("Stopped"));
        QVERIFY(measured.match(cell(table, service, ServiceTableView::StopColumn)).hasMatch());
    }
    QVERIFY(!table.retryAction()->isEnabled());
}

void tst_Widgets::tableShowsTasksAndErrors()
{
    Graph graph;
    graph.cache.crashAfter = 1h; // a task that runs as long as the cache
    graph.db.onStart.fail = true;
    graph.db.onStart.failMessage = QStringLiteral("no connection\nhost unreachable");
    graph.db.onStart.delay = 200ms; // the cache runs, with its task, before db fails
    ServiceTableView table(&graph.manager);

    graph.manager.requestStart();
    QTRY_COMPARE(cell(table, QStringLiteral("cache"), ServiceTableView::TasksColumn),
                 QStringLiteral("1 (1 running)"));
    QCOMPARE(cell(table, QStringLiteral("config"), ServiceTableView::TasksColumn),
             QStringLiteral("0"));
    QVERIFY(!table.retryAction()->isEnabled());

    QTRY_COMPARE(graph.manager.state(), State::Failed);
    QCOMPARE(cell(table, QStringLiteral("db"), ServiceTableView::StateColumn),
             QStringLiteral("Failed"));
    // The first line in the column, all of it in the tooltip.
    QCOMPARE(cell(table, QStringLiteral("db"), ServiceTableView::ErrorColumn),
             QStringLiteral("start failed: no connection"));
    const QString tooltip =
        cell(table, QStringLiteral("db"), ServiceTableView::ErrorColumn, Qt::ToolTipRole);
    QVERIFY2(tooltip.contains(QStringLiteral("host unreachable")), qPrintable(tooltip));
    QCOMPARE(cell(table, QStringLiteral("db"), ServiceTableView::ActionColumn),
             QStringLiteral("Retry"));
    QCOMPARE(cell(table, QStringLiteral("config"), ServiceTableView::ActionColumn), QString());
    QCOMPARE(cell(table, QStringLiteral("config"), ServiceTableView::ErrorColumn), QString());
    QCOMPARE(cell(table, QStringLiteral("cache"), ServiceTableView::TasksColumn),
             QStringLiteral("1"));
    QVERIFY(table.retryAction()->isEnabled());
}

void tst_Widgets::tableShowsRestartsAndHealth()
{
    Graph graph;
    graph.db.setRestartPolicy({.mode = RestartPolicy::OnFailure, .initialDelay = 400ms});
    graph.db.crashAfter = 300ms; // api runs by then; restarted with db 400 ms later, +-jitter
    ServiceTableView table(&graph.manager);
    const auto restarts = [&](const char *service) {
        return cell(table, QString::fromLatin1(service), ServiceTableView::RestartsColumn);
    };
    const auto health = [&](const char *service, int role = Qt::DisplayRole) {
        return cell(table, QString::fromLatin1(service), ServiceTableView::HealthColumn, role);
    };
    QCOMPARE(table.model()->headerData(ServiceTableView::HealthColumn, Qt::Horizontal),
             QStringLiteral("Health"));

    graph.manager.requestStart();
    QTRY_COMPARE(restarts("db"), QStringLiteral("0 (restart in 0.4 s)"));
    graph.db.crashAfter.reset(); // the restart runs on
    // It stops (it ran), then waits Failed for its restart.
    QTRY_COMPARE(cell(table, QStringLiteral("db"), ServiceTableView::StateColumn),
                 QStringLiteral("Failed"));
    QVERIFY(restarts("db").startsWith(QStringLiteral("0 (restart in ")));
    QCOMPARE(health("db"), QStringLiteral("\u2014")); // healthy, and not running
    QTRY_COMPARE(restarts("db"), QStringLiteral("1"));
    QTRY_COMPARE(graph.manager.state(), State::Running);
    QTRY_COMPARE(cell(table, QStringLiteral("db"), ServiceTableView::StateColumn),
                 QStringLiteral("Running"));
    QCOMPARE(restarts("api"), QStringLiteral("1")); // it needs db
    QCOMPARE(restarts("config"), QStringLiteral("0"));

    QCOMPARE(health("cache"), QStringLiteral("Healthy"));
    QCOMPARE(health("cache", Qt::ToolTipRole), QString());
    graph.cache.setHealth(QService::Health::Degraded, QStringLiteral("evicting 5000/s"));
    QTRY_COMPARE(health("cache"), QStringLiteral("Degraded"));
    QCOMPARE(health("cache", Qt::ToolTipRole), QStringLiteral("evicting 5000/s"));
}

void tst_Widgets::retryRestartsAFailedGraph()
{
    Graph graph;
    graph.db.onStart.fail = true;
    ServiceTableView table(&graph.manager);
    table.resize(900, 300);
    table.show();
    QVERIFY(QTest::qWaitForWindowExposed(&table));

    graph.manager.requestStart();
    QTRY_COMPARE(graph.manager.state(), State::Failed);
    QCOMPARE(graph.db.startCalls, 1);
    graph.db.onStart.fail = false;

    // The button in the failed row's Action column.
    int row = 0;
    while (table.model()->index(row, 0).data().toString() != QStringLiteral("db"))
        ++row;
    const QRect rect = table.visualRect(table.model()->index(row, ServiceTableView::ActionColumn));
    QVERIFY(rect.isValid());
    const QPoint button(rect.left() + 12, rect.center().y());
    QTest::mouseClick(table.viewport(), Qt::LeftButton, {}, button);
    QTRY_COMPARE(graph.manager.state(), State::Running);
    QCOMPARE(graph.db.startCalls, 2);
    QCOMPARE(cell(table, QStringLiteral("db"), ServiceTableView::ActionColumn), QString());
    QVERIFY(!table.retryAction()->isEnabled());
    // The action does nothing while the graph runs.
    table.retryAction()->trigger();
    QCOMPARE(graph.db.startCalls, 2);

    // The action restarts a failed graph too.
    runBlocking(graph.manager.stop());
    graph.db.onStart.fail = true;
    graph.manager.requestStart();
    QTRY_COMPARE(graph.manager.state(), State::Failed);
    graph.db.onStart.fail = false;
    QVERIFY(table.retryAction()->isEnabled());
    table.retryAction()->trigger();
    QTRY_COMPARE(graph.manager.state(), State::Running);
    QCOMPARE(graph.db.startCalls, 4);
    runBlocking(graph.manager.stop());
}

void tst_Widgets::stateColorsFollowThePalette()
{
    ServiceTableView table;
    const auto contrast = [](const QColor &a, const QColor &b) {
        return std::abs(a.lightness() - b.lightness());
    };
    for (const QPalette &palette : {lightPalette(), darkPalette()}) {
        table.setPalette(palette);
        const QColor base = palette.color(QPalette::Base);
        const QColor running = table.stateColor(State::Running);
        const QColor failed = table.stateColor(State::Failed);
        QVERIFY(running.green() > running.red() && running.green() > running.blue());
        QVERIFY(failed.red() > failed.green() && failed.red() > failed.blue());
        for (State state :
             {State::Stopped, State::Starting, State::Running, State::Stopping, State::Failed})
            QVERIFY2(contrast(table.stateColor(state), base) >= 60,
                     qPrintable(table.stateColor(state).name() + u" on " + base.name()));
    }
    table.setPalette(darkPalette());
    const QColor dark = table.stateColor(State::Running);
    table.setPalette(lightPalette());
    QVERIFY(dark.lightness() > table.stateColor(State::Running).lightness());
}

void tst_Widgets::shutdownShowsOnlyForAQuit_data()
{
    QTest::addColumn<Reason>("reason");
    QTest::addColumn<bool>("shown");
    QTest::addColumn<QString>("text");
    QTest::newRow("requested") << Reason::Requested << false << QString();
    QTest::newRow("quit") << Reason::Quit << true << QStringLiteral("Quitting");
    QTest::newRow("window closed")
        << Reason::WindowClosed << true << QStringLiteral("The window was closed");
    QTest::newRow("signal") << Reason::Signal << true << QStringLiteral("Interrupted");
    QTest::newRow("session end") << Reason::SessionEnd << true
                                 << QStringLiteral("The session is ending");
}

void tst_Widgets::shutdownShowsOnlyForAQuit()
{
    QFETCH(Reason, reason);
    QFETCH(bool, shown);
    QFETCH(QString, text);
    Graph graph;
    QMainWindow window;
    window.resize(640, 400);
    auto *progress = new ShutdownProgress(&graph.manager, &window);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    runBlocking(graph.manager.start());
    QVERIFY(!progress->isVisible());

    QList<int> values;
    bool everShown = false;
    QStringList details;
    connect(progress, &ShutdownProgress::valueChanged, this,
            [&](int value) { values.append(value); });
    connect(progress, &ShutdownProgress::textChanged, this,
            [&] { details.append(progress->detailText()); });
    connect(&graph.manager, &ServiceManager::stateChanged, this, [&](State state) {
        if (state != State::Stopping || !progress->isVisible())
            return;
        everShown = true;
        QCOMPARE(progress->value(), 0); // never the start's 100 % when a stop begins
    });
    graph.manager.requestStopFor(reason);
    QTRY_COMPARE(graph.manager.state(), State::Stopped);
    QCOMPARE(everShown, shown);
    QCOMPARE(progress->isVisible(), shown);
    if (!shown) {
        QVERIFY(values.isEmpty());
        return;
    }
    QCOMPARE(progress->geometry(), window.rect()); // over the whole window
    QCOMPARE(progress->reasonText(), text);
    QCOMPARE(progress->value(), 100);
    QVERIFY(std::is_sorted(values.begin(), values.end()));
    // Rising as the five services stop (coalesced per event-loop turn at most).
    QVERIFY2(values.size() >= 2, qPrintable(QVariant::fromValue(values).toString()));
    QVERIFY2(details.contains(QStringLiteral("Stopping api")), qPrintable(details.join(u'\n')));
    QCOMPARE(progress->detailText(), QStringLiteral("Stopped"));

    // A new start hides it.
    graph.manager.requestStart();
    QTRY_VERIFY(!progress->isVisible());
    QTRY_COMPARE(graph.manager.state(), State::Running);
    runBlocking(graph.manager.stop());
    QVERIFY(!progress->isVisible());
}

void tst_Widgets::closingTheMainWindowShowsTheShutdown()
{
    Graph graph;
    QMainWindow window;
    window.resize(640, 400);
    auto *progress = new ShutdownProgress(&graph.manager, &window);
    graph.manager.setMainWindow(&window);
    window.show();
    bool visibleWhileStopping = false;
    int firstValue = -1;
    connect(&graph.manager, &ServiceManager::stoppingServicesChanged, this, [&] {
        if (graph.manager.state() == State::Stopping)
            visibleWhileStopping =
                visibleWhileStopping || (window.isVisible() && progress->isVisible());
    });
    connect(&graph.manager, &ServiceManager::stateChanged, this, [&](State state) {
        if (state == State::Running)
            QTimer::singleShot(0, &window, [&window] { window.close(); });
        if (state == State::Stopping && progress->isVisible())
            firstValue = progress->value(); // the progress was updated first: it is older
    });
    QCOMPARE(graph.manager.run(ServiceManager::RunMode::UntilQuit), 0);
    QCOMPARE(graph.manager.stopReason(), Reason::WindowClosed);
    QVERIFY(visibleWhileStopping); // the window stayed up, the progress over it
    QCOMPARE(firstValue, 0);
    QCOMPARE(progress->value(), 100);
    QCOMPARE(progress->reasonText(), QStringLiteral("The window was closed"));
}

QTEST_MAIN(tst_Widgets)
#include "tst_widgets.moc"
