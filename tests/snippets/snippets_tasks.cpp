// The code shown in docs/tasks.md, compiled and run by tst_snippets.

#include "docexamples.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

#include <QCoro/QCoroTimer>

#include <QtCore/QFuture>
#include <QtCore/QPromise>
#include <QtCore/QThread>
#include <QtTest/QTest>

#include <atomic>

using namespace std::chrono_literals;

namespace {

struct Reply {
    int status = 200;
};

class Client
{
public:
    QFuture<Reply> fetch(const QString &) { return QtFuture::makeReadyFuture(Reply{}); }
};

class Connection
{
public:
    QCoro::Task<> close() { co_await QCoro::sleepFor(std::chrono::milliseconds(1)); }
};

class Sender : public QObject
{
    Q_OBJECT
Q_SIGNALS:
    void ready();
};

class Indexer : public QLifecycle::QService
{
    Q_OBJECT
public:
    std::atomic<int> m_passes = 0;
    int m_published = 0;

protected:
    QCoro::Task<> start() override
    {
        // [snippet:task-kinds]
        // 1. A coroutine, run on the event loop (here a member coroutine of the service)...
        addTask(report(), {.name = QStringLiteral("report"), .daemon = true});
        //    ...or a callable that returns one: the task is registered before the coroutine starts.
        addTask([this] { return crawl(m_root); }, {.name = QStringLiteral("crawl")});

        // 2. A function run on a thread pool: the one call that picks another thread. Taking a
        //    QPromise<T>& lets it report results and see cancellation; a function without it
        //    returns its result instead.
        addPoolTask(
            [this](QPromise<void> &promise) {
                while (!promise.isCanceled()) {
                    QThread::msleep(5); // one chunk of work
                    ++m_passes;
                }
            },
            {.name = QStringLiteral("reindex")});
        QFuture<int> sum = addPoolTask([] { return 2 + 3; });

        // 3. An existing QFuture, adopted: cancelled on stop and awaited like any task.
        QFuture<Reply> reply = addTask(m_client.fetch(m_url));
        // [/snippet:task-kinds]
        m_sum = sum;
        co_return;
    }

private:
    QCoro::Task<> report();
    void publish(int) { ++m_published; }
    QCoro::Task<> crawl(QString root)
    {
        // [snippet:cancellable-waits]
        co_await sleepFor(1s);                                        // sleeps
        int v = co_await waitFor(future);                             // a QFuture's result
        bool ok = co_await waitForSignal(sender, &Sender::ready, 5s); // an emission, or false
        // [/snippet:cancellable-waits]
        Q_UNUSED(v);
        Q_UNUSED(ok);
        Q_UNUSED(root);
    }
    QCoro::Task<> closeOnCancel()
    {
        // [snippet:cleanup-after-cancel]
        bool cancelled = false;
        try {
            co_await sleepFor(std::chrono::hours(1));
        } catch (const QLifecycle::Cancelled &) {
            cancelled = true;
        }
        if (cancelled) {
            co_await m_connection.close(); // not a cancellable wait: it runs to completion
            throw QLifecycle::Cancelled();
        }
        // [/snippet:cleanup-after-cancel]
    }

    QString m_root = QStringLiteral("/");
    QString m_url = QStringLiteral("https://example.invalid/");
    Client m_client;
    Connection m_connection;
    QFuture<int> future = QtFuture::makeReadyFuture(7);
    Sender m_sender;
    Sender *sender = &m_sender;

public:
    QFuture<int> m_sum;
};

// [snippet:report-loop]
QCoro::Task<> Indexer::report()
{
    for (int round = 1;; ++round) {
        co_await sleepFor(1s); // on stop: throws Cancelled right away
        publish(round);
    }
}
// [/snippet:report-loop]

class Worker : public QLifecycle::QService
{
    Q_OBJECT
};

class Parent : public QLifecycle::QService
{
    Q_OBJECT
protected:
    QCoro::Task<> start() override
    {
        // [snippet:child-services]
        QFuture<void> child = addChild(&m_worker); // stops before our stop()
        // A daemon child must run as long as we do:
        QFuture<void> daemon =
            addChild(&m_listener, {.name = QStringLiteral("listener"), .daemon = true});
        // [/snippet:child-services]
        co_return;
    }

private:
    Worker m_worker;
    Worker m_listener;
};

struct Item {
    QString value;
};

class Store : public QLifecycle::QService
{
    Q_OBJECT
public:
    QCoro::Task<Item> fetch(QString key);

private:
    QCoro::Task<Item> lookUp(QString key)
    {
        co_await sleepFor(1ms);
        co_return Item{key.toUpper()};
    }
};

// [snippet:while-running]
QCoro::Task<Item> Store::fetch(QString key)
{
    return whileRunning([this, key] { return lookUp(key); });
}
// [/snippet:while-running]

QCoro::Task<QString> fetchValue(Store *store)
{
    const Item item = co_await store->fetch(QStringLiteral("k"));
    co_return item.value;
}

} // namespace

class tst_DocExamplesTasks : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void tasksRunAndStopWithTheService()
    {
        Indexer indexer;
        QLifecycle::ServiceManager manager(&indexer);
        QLifecycle::Test::runBlocking(manager.start());
        QCOMPARE(indexer.taskCount(), 5);
        QTRY_VERIFY(indexer.m_passes > 0);
        QTRY_COMPARE(indexer.m_sum.isFinished() ? indexer.m_sum.result() : 0, 5);
        QLifecycle::Test::runBlocking(manager.stop(), 5s); // cancels everything at once
        QCOMPARE(indexer.state(), QLifecycle::State::Stopped);
        QCOMPARE(indexer.pendingTaskCount(), 0);
    }

    void childServicesRunAsTasks()
    {
        Parent parent;
        QLifecycle::ServiceManager manager(&parent);
        QLifecycle::Test::runBlocking(manager.start());
        QTRY_COMPARE(parent.pendingTaskCount(), 2);
        QLifecycle::Test::runBlocking(manager.stop());
        QCOMPARE(parent.state(), QLifecycle::State::Stopped);
    }

    void guardedCallsWorkOnlyWhileRunning()
    {
        Store store;
        QVERIFY_THROWS_EXCEPTION(QLifecycle::LifecycleError,
                                 QLifecycle::Test::runBlocking(fetchValue(&store)));
        QLifecycle::ServiceManager manager(&store);
        QLifecycle::Test::runBlocking(manager.start());
        QCOMPARE(QLifecycle::Test::runBlocking(fetchValue(&store)), QStringLiteral("K"));
        QLifecycle::Test::runBlocking(manager.stop());
    }
};

QObject *makeTaskExamples()
{
    return new tst_DocExamplesTasks;
}

#include "snippets_tasks.moc"
