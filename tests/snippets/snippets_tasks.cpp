// The code shown in docs/tasks.md, compiled and run by tst_snippets.

#include "docexamples.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>
#include <QLifecycle/WorkerThread>

#include <QCoro/QCoroTimer>

#include <QtCore/QFuture>
#include <QtCore/QPromise>
#include <QtCore/QThread>
#include <QtTest/QTest>

#include <atomic>

using namespace std::chrono_literals;

class tst_DocExamplesTasks;

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

// A blocking library, as the worker thread's example uses it.
QByteArray scale(const QString &path)
{
    QThread::msleep(1);
    return path.toUtf8().toUpper();
}

QList<QThread *> g_cacheFlushedOn; // read once the thread has been joined

struct ThumbnailCache {
    void flush() { g_cacheFlushedOn.append(QThread::currentThread()); }
};

// [snippet:worker-thread]
class Thumbnailer : public QObject // lives on the worker thread
{
    Q_OBJECT
public:
    ~Thumbnailer() override { m_cache.flush(); } // on the worker thread, before stop()

public Q_SLOTS:
    void render(const QStringList &paths)
    {
        for (const QString &path : paths) {
            if (QThread::currentThread()->isInterruptionRequested())
                return; // the service is stopping
            // Blocking work, off the manager's thread:
            Q_EMIT rendered(path, scale(path));
        }
    }

Q_SIGNALS:
    void rendered(const QString &path, const QByteArray &thumbnail);

private:
    ThumbnailCache m_cache;
};

class Gallery : public QLifecycle::QService
{
    Q_OBJECT
Q_SIGNALS:
    void renderRequested(const QStringList &paths);

protected:
    QCoro::Task<> start() override
    {
        Thumbnailer *thumbnailer = m_thread.adopt(new Thumbnailer); // moved to the thread
        connect(this, &Gallery::renderRequested, thumbnailer, &Thumbnailer::render);
        connect(thumbnailer, &Thumbnailer::rendered, this, &Gallery::store);
        m_thread.start(); // quit and joined when the service stops
        co_return;
    }
    QCoro::Task<> stop() override
    {
        // The thread has quit and the Thumbnailer is gone: only our own things are left.
        m_thumbnails.clear();
        co_return;
    }

private:
    void store(const QString &path, const QByteArray &thumbnail) { m_thumbnails[path] = thumbnail; }

    QLifecycle::WorkerThread m_thread{this};
    QHash<QString, QByteArray> m_thumbnails;
    // [/snippet:worker-thread]
    friend class ::tst_DocExamplesTasks;
};

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

    void workerThreadRunsTheWorkAndEndsBeforeStop()
    {
        Gallery gallery;
        QLifecycle::ServiceManager manager(&gallery);
        QLifecycle::Test::runBlocking(manager.start());
        QThread *worker = gallery.m_thread.workerThread();
        QVERIFY(worker->isRunning());
        Q_EMIT gallery.renderRequested({QStringLiteral("a.png"), QStringLiteral("b.png")});
        QTRY_COMPARE(gallery.m_thumbnails.size(), 2);
        QCOMPARE(gallery.m_thumbnails.value(QStringLiteral("b.png")), QByteArray("B.PNG"));
        QLifecycle::Test::runBlocking(manager.stop());
        QVERIFY(worker->isFinished());
        QCOMPARE(g_cacheFlushedOn, QList<QThread *>{worker}); // the destructor ran there
        QVERIFY(gallery.m_thumbnails.isEmpty());
        QCOMPARE(gallery.state(), QLifecycle::State::Stopped);
    }
};

QObject *makeTaskExamples()
{
    return new tst_DocExamplesTasks;
}

#include "snippets_tasks.moc"
