// async-service scenario S68, "the package imports": the one public include is enough to compile,
// link and use every public class. Only <QLifecycle/QLifecycle> and QtTest are included here; no
// test-support helper.

#include <QLifecycle/QLifecycle>

#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <chrono>
#include <stdexcept>

using namespace std::chrono_literals;

namespace {
class Leaf : public QLifecycle::QService
{
    Q_OBJECT
protected:
    QCoro::Task<> start() override
    {
        addTask(idle(this), {.name = QStringLiteral("idle"), .daemon = true});
        co_return;
    }

private:
    static QCoro::Task<> idle(Leaf *self)
    {
        for (;;)
            co_await self->sleepFor(std::chrono::hours(1));
    }
};

class Root : public QLifecycle::QService
{
    Q_OBJECT
public:
    explicit Root(QLifecycle::QService *leaf) : m_leaf(leaf) {}

protected:
    QLifecycle::Dependencies dependencies() const override { return {m_leaf}; }

private:
    QLifecycle::QService *m_leaf;
};

QCoro::Task<int> seven()
{
    co_return 7;
}

QCoro::Task<> store(QCoro::Task<int> call, int *result)
{
    *result = co_await call;
}
} // namespace

class tst_AsyncServicePackage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void publicHeaderCompilesLinksAndWorks();
};

// S68
void tst_AsyncServicePackage::publicHeaderCompilesLinksAndWorks()
{
    Leaf leaf;
    Root root(&leaf);
    root.setObjectName(QStringLiteral("root"));
    QLifecycle::ServiceManager manager(&root);
    QSignalSpy transitions(&manager, &QLifecycle::ServiceManager::stateChanged);

    QCoro::Task<> starting = manager.start();
    QTRY_VERIFY_WITH_TIMEOUT(starting.isReady(), 5000);
    QCOMPARE(manager.state(), QLifecycle::QService::State::Running);
    QCOMPARE(manager.services(), (QList<QLifecycle::QService *>{&leaf, &root}));
    QCOMPARE(leaf.taskCount(), 1);

    int result = 0;
    QCoro::Task<> call = store(root.whileRunning([] { return seven(); }), &result);
    QTRY_VERIFY_WITH_TIMEOUT(call.isReady(), 5000);
    QCOMPARE(result, 7);

    QCoro::Task<> stopping = manager.stop();
    QTRY_VERIFY_WITH_TIMEOUT(stopping.isReady(), 5000);
    QCOMPARE(manager.state(), QLifecycle::State::Stopped);
    QCOMPARE(transitions.count(), 4);
    QVERIFY(!manager.error());

    // The value types of the public API.
    const QLifecycle::TaskOptions options{
        .name = QStringLiteral("n"), .daemon = true, .pool = nullptr};
    QVERIFY(options.daemon);
    const QLifecycle::Failure failure{
        QStringLiteral("db"), QLifecycle::Phase::Start, QStringLiteral("refused"), {}};
    QCOMPARE(failure.toString(), QStringLiteral("db: start failed: refused"));
    const QLifecycle::Error error(QList<QLifecycle::Failure>{failure});
    QCOMPARE(error.primary().service, QStringLiteral("db"));
    QCOMPARE(QLifecycle::phaseName(QLifecycle::Phase::Run), QStringLiteral("run"));
    QCOMPARE(QLifecycle::describeException(std::make_exception_ptr(std::runtime_error("x"))),
             QStringLiteral("x"));
    QVERIFY(QByteArray(QLifecycle::Cancelled().what()).size() > 0);
    QCOMPARE(QLifecycle::LifecycleError(QStringLiteral("m")).message(), QStringLiteral("m"));
    const QLifecycle::Stage group{&leaf, &root};
    QVERIFY(group.isGroup());
    QCOMPARE(group.services().size(), 2);
}

QTEST_GUILESS_MAIN(tst_AsyncServicePackage)
#include "tst_asyncservice_package.moc"
