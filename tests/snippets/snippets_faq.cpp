// The code shown in docs/faq.md: the safe forms of what QCoro 0.8 and g++ 12 get wrong.
// Compiled and run by tst_snippets (under ASan too, in scripts/test.sh).

#include "docexamples.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

#include <QCoro/QCoroTimer>

#include <QtCore/QFuture>
#include <QtCore/QPointer>
#include <QtCore/QPromise>
#include <QtTest/QTest>

#include <memory>

using namespace std::chrono_literals;

namespace faq {

class Device : public QObject
{
    Q_OBJECT
Q_SIGNALS:
    void ready();
};

template<typename F>
QCoro::Task<int> runIt(F function)
{
    co_await QCoro::sleepFor(std::chrono::milliseconds(1));
    co_return function();
}

class Loader : public QLifecycle::QService
{
    Q_OBJECT
public:
    QString m_used;
    Device m_deviceObject;
    Device *m_device = &m_deviceObject;

    // [snippet:faq-no-ternary]
    QCoro::Task<QString> load(bool cached)
    {
        QString value;
        if (cached) // not: value = co_await (cached ? fromCache() : fromDisk());
            value = co_await fromCache();
        else
            value = co_await fromDisk();
        co_return value;
    }
    // [/snippet:faq-no-ternary]

    // [snippet:faq-parameters-not-captures]
    // Not: addTask([this, key]() -> QCoro::Task<> { co_await sleepFor(1s); use(key); }());
    QCoro::Task<> refresh(QString key) // parameters are copied into the coroutine's frame
    {
        co_await sleepFor(std::chrono::seconds(1));
        use(key);
    }
    // [/snippet:faq-parameters-not-captures]

    QCoro::Task<int> measure(std::shared_ptr<QString> data)
    {
        // [snippet:faq-lambda-statement]
        // Not: const int size = co_await runIt([data] { return int(data->size()); });
        auto work = [data] { return int(data->size()); };
        QCoro::Task<int> task = runIt(work);
        const int size = co_await task;
        // [/snippet:faq-lambda-statement]
        co_return size;
    }

    QCoro::Task<bool> ping() { co_return m_answers; }
    bool m_answers = true;

    QCoro::Task<HealthStatus> probe()
    {
        // [snippet:faq-await-into-local]
        const bool answered = co_await ping(); // not: if (!co_await ping())
        if (!answered)
            co_return Health::Unhealthy;
        // [/snippet:faq-await-into-local]
        co_return Health::Healthy;
    }

    QCoro::Task<bool> waitUntilReady()
    {
        // [snippet:faq-wait-for-signal]
        // Not: co_await qCoro(m_device, &Device::ready);
        const bool ready =
            co_await waitForSignal(m_device, &Device::ready, std::chrono::seconds(5));
        // [/snippet:faq-wait-for-signal]
        co_return ready;
    }

    QCoro::Task<int> resultOf(QFuture<int> future)
    {
        // [snippet:faq-wait-for-future]
        try {
            co_return co_await waitFor(future); // not: co_await future;
        } catch (const QLifecycle::Cancelled &) {
            co_return -1; // canceled (or the service is stopping): no result to read
        }
        // [/snippet:faq-wait-for-future]
    }

protected:
    QCoro::Task<> start() override
    {
        // [snippet:faq-add-task]
        addTask(refresh(QStringLiteral("key"))); // not: refresh(QStringLiteral("key"));
        // [/snippet:faq-add-task]
        co_return;
    }

private:
    QCoro::Task<QString> fromCache() { co_return QStringLiteral("cache"); }
    QCoro::Task<QString> fromDisk()
    {
        co_await sleepFor(1ms);
        co_return QStringLiteral("disk");
    }
    void use(const QString &key) { m_used = key; }
};

// A QObject that is not a service, and may be deleted while its coroutine is suspended.
class Widget : public QObject
{
    Q_OBJECT
public:
    int m_refreshed = 0;

    // [snippet:faq-qpointer-guard]
    QCoro::Task<> refreshLater()
    {
        QPointer<Widget> self(this);
        co_await QCoro::sleepFor(std::chrono::milliseconds(100));
        if (!self)
            co_return; // deleted meanwhile: touch nothing
        ++m_refreshed;
    }
    // [/snippet:faq-qpointer-guard]
};

} // namespace faq

class tst_DocExamplesFaq : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void safeFormsWork()
    {
        faq::Loader loader;
        QLifecycle::ServiceManager manager(&loader);
        QLifecycle::Test::runBlocking(manager.start());
        QCOMPARE(QLifecycle::Test::runBlocking(loader.load(true)), QStringLiteral("cache"));
        QCOMPARE(QLifecycle::Test::runBlocking(loader.load(false)), QStringLiteral("disk"));
        auto data = std::make_shared<QString>(QStringLiteral("four"));
        QCOMPARE(QLifecycle::Test::runBlocking(loader.measure(data)), 4);
        QCOMPARE(QLifecycle::Test::runBlocking(loader.probe()).health,
                 QLifecycle::QService::Health::Healthy);
        loader.m_answers = false;
        QCOMPARE(QLifecycle::Test::runBlocking(loader.probe()).health,
                 QLifecycle::QService::Health::Unhealthy);

        QTimer::singleShot(1ms, loader.m_device, &faq::Device::ready);
        QVERIFY(QLifecycle::Test::runBlocking(loader.waitUntilReady()));

        QPromise<int> promise;
        promise.start();
        promise.addResult(7);
        promise.finish();
        QCOMPARE(QLifecycle::Test::runBlocking(loader.resultOf(promise.future())), 7);
        QFuture<int> canceled = QtFuture::makeReadyFuture(0);
        {
            QPromise<int> abandoned; // destroyed unfinished: canceled, without a result
            canceled = abandoned.future();
        }
        QCOMPARE(QLifecycle::Test::runBlocking(loader.resultOf(canceled)), -1);

        QCOMPARE(loader.pendingTaskCount(), 1); // refresh() sleeps
        QLifecycle::Test::runBlocking(manager.stop());
        QCOMPARE(loader.state(), QLifecycle::State::Stopped);
    }

    void guardedCoroutineSurvivesItsObject()
    {
        auto *widget = new faq::Widget;
        widget->refreshLater();
        delete widget;
        QTest::qWait(150); // the coroutine resumes, sees the widget is gone, and ends
        faq::Widget kept;
        QLifecycle::Test::runBlocking(kept.refreshLater());
        QCOMPARE(kept.m_refreshed, 1);
    }
};

QObject *makeFaqExamples()
{
    return new tst_DocExamplesFaq;
}

#include "snippets_faq.moc"
