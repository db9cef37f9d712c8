// Uses each installed component: services run by a ServiceManager (Core), driven with the test
// kit (Test), watched from a QML file that imports QLifecycle (Qml) and from a service table
// (Widgets). Exits 0 when all is well.

#include <QLifecycle/QLifecycle>
#include <QLifecycle/TestKit>
#include <QLifecycle/Widgets>

#include <QtQml/QQmlComponent>
#include <QtQml/QQmlContext>
#include <QtQml/QQmlEngine>
#include <QtWidgets/QApplication>

#include <cstdio>
#include <cstring>

#if !defined(QLIFECYCLE_VERSION) || QLIFECYCLE_VERSION < QLIFECYCLE_VERSION_CHECK(0, 1, 0)
#error "<QLifecycle/QLifecycle> gives no QLIFECYCLE_VERSION, or one below 0.1.0"
#endif
static_assert(QLIFECYCLE_VERSION == ((QLIFECYCLE_VERSION_MAJOR << 16) |
                                     (QLIFECYCLE_VERSION_MINOR << 8) | QLIFECYCLE_VERSION_PATCH));

using namespace QLifecycle;
using namespace QLifecycle::Test;

static int fail(const char *what)
{
    std::fprintf(stderr, "consumer: %s\n", what);
    return 1;
}

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    if (std::strcmp(QLIFECYCLE_VERSION_STRING, CONSUMER_PACKAGE_VERSION) != 0)
        return fail("QLIFECYCLE_VERSION_STRING is not the package config's version");
    ScriptedService db(QStringLiteral("db")), api(QStringLiteral("api"));
    api.deps = {&db};
    ServiceManager manager(&api);

    QQmlEngine engine;
    engine.rootContext()->setContextProperty(QStringLiteral("theManager"), &manager);
    QQmlComponent component(&engine, QUrl::fromLocalFile(QStringLiteral(CONSUMER_QML)));
    std::unique_ptr<QObject> view(component.create());
    if (!view)
        return fail(qPrintable(component.errorString()));

    ServiceTableView table(&manager);

    runBlocking(manager.start());
    const QModelIndex dbState = table.model()->index(0, ServiceTableView::StateColumn);
    if (table.model()->rowCount() != 2 || dbState.data().toString() != QStringLiteral("Running"))
        return fail("the service table does not show db running");
    if (!view->property("running").toBool())
        return fail("QML did not see the manager running");
    if (view->property("rows").toInt() != 2)
        return fail("ServiceModel has not two rows");
    if (view->property("firstRow").toString() != QStringLiteral("db"))
        return fail("ServiceModel's first row is not the dependency");
    runBlocking(manager.stop());
    if (view->property("running").toBool() || manager.state() != State::Stopped)
        return fail("the graph did not stop");
    std::printf("consumer: Core, Qml, Test and Widgets %s work from the installed package\n",
                QLIFECYCLE_VERSION_STRING);
    return 0;
}
