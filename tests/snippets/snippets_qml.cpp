// The code shown in docs/qml.md. Compiled only: running it needs a window.

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
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Dashboard/Main.qml")));
    return manager.run(); // closing the last window stops the services gracefully
}
// [/snippet:qml-main]

} // namespace qmlpage

#include "snippets_qml.moc"
