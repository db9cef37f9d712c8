// The code shown in docs/coming-from-python.md: facet's and async-service's examples, written
// with QLifecycle. Compiled and run by tst_snippets.

#include "docexamples.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

#include <QtCore/QCoreApplication>
#include <QtCore/QUrl>
#include <QtTest/QTest>

using namespace std::chrono_literals;

namespace python {

// [snippet:python-start-stop]
class B : public QLifecycle::QService
{
    Q_OBJECT
public:
    using QService::QService;
    int value = 0;

protected:
    QCoro::Task<> start() override
    {
        ++value;
        qInfo("b started");
        co_return;
    }
    QCoro::Task<> stop() override
    {
        --value;
        qInfo("b stopped");
        co_return;
    }
};
// [/snippet:python-start-stop]

class C : public QLifecycle::QService
{
    Q_OBJECT
public:
    using QService::QService;
};
class D : public QLifecycle::QService
{
    Q_OBJECT
public:
    using QService::QService;
};

// [snippet:python-dependencies]
class A : public QLifecycle::QService
{
    Q_OBJECT
public:
    B *b() const { return m_b; }

protected:
    // b and c start in parallel, then d, then A. Stop: A, then d, then b and c in parallel.
    QLifecycle::Dependencies dependencies() const override { return {{m_b, m_c}, m_d}; }

    // [snippet:python-graceful-shutdown-timeout]
    std::chrono::milliseconds gracefulShutdownTimeout() const override
    {
        return std::chrono::seconds(60);
    }
    // [/snippet:python-graceful-shutdown-timeout]

private:
    B *m_b = new B(this); // plain pointers: the manager never owns services
    C *m_c = new C(this);
    D *m_d = new D(this);
};
// [/snippet:python-dependencies]

// [snippet:python-add-task]
class Worker : public QLifecycle::QService
{
    Q_OBJECT
protected:
    QCoro::Task<> start() override
    {
        addTask(task());
        qInfo("start done");
        co_return;
    }

private:
    QCoro::Task<> task()
    {
        co_await sleepFor(std::chrono::seconds(1));
        qInfo("task done");
    }
};
// [/snippet:python-add-task]

// [snippet:python-run]
int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    A a;
    return QLifecycle::ServiceManager::run(a); // until Ctrl-C: then A stops, then d, b and c
}
// [/snippet:python-run]

// [snippet:python-async-with]
QCoro::Task<> useA(A &a)
{
    QLifecycle::ServiceManager manager(&a);
    co_await manager.start(); // async with A() as a:
    Q_ASSERT(a.b()->value == 1);
    co_await manager.wait(); //     await a.wait()
    co_await manager.stop(); // leaving the block (a no-op if it already stopped)
}
// [/snippet:python-async-with]

class Fetcher : public QLifecycle::QService
{
    Q_OBJECT
public:
    QList<QUrl> m_urls = {QUrl(QStringLiteral("https://example.invalid/a")),
                          QUrl(QStringLiteral("https://example.invalid/b"))};
    int m_fetched = 0;

protected:
    // [snippet:python-run-task]
    QCoro::Task<> start() override
    {
        for (const QUrl &url : std::as_const(m_urls))
            addTask(fetchUrl(url), {.name = url.toString()}); // run_task(fetch_url, url)
        // run_daemon_task(self.do_long_running_thing)
        addTask([this] { return doLongRunningThing(); },
                {.name = QStringLiteral("long-running thing"), .daemon = true});
        co_return;
    }
    // [/snippet:python-run-task]

private:
    QCoro::Task<> fetchUrl(QUrl url)
    {
        co_await sleepFor(1ms);
        Q_UNUSED(url);
        ++m_fetched;
    }
    QCoro::Task<> doLongRunningThing()
    {
        for (;;)
            co_await sleepFor(1h);
    }
};

void printStats(const QLifecycle::QService &service)
{
    // [snippet:python-stats]
    qInfo() << "Total running tasks:" << service.taskCount();
    qInfo() << "Finished tasks:" << service.finishedTaskCount();
    qInfo() << "Pending tasks:" << service.pendingTaskCount();
    // [/snippet:python-stats]
}

} // namespace python

class tst_DocExamplesPython : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void facetExampleStartsAndStopsInOrder()
    {
        python::A a;
        QTimer stopper; // stops the graph once it runs, as Ctrl-C would
        connect(&stopper, &QTimer::timeout, &a, [&a] {
            if (a.state() == QLifecycle::State::Running && a.manager())
                a.manager()->requestStop();
        });
        stopper.start(5ms);
        QLifecycle::Test::runBlocking(python::useA(a));
        QCOMPARE(a.b()->value, 0);
        QCOMPARE(a.state(), QLifecycle::State::Stopped);
    }

    void tasksAreCountedLikeStats()
    {
        python::Fetcher fetcher;
        QLifecycle::ServiceManager manager(&fetcher);
        QLifecycle::Test::runBlocking(manager.start());
        QTRY_COMPARE(fetcher.m_fetched, 2);
        QCOMPARE(fetcher.taskCount(), 3);
        QTRY_COMPARE(fetcher.finishedTaskCount(), 2);
        QCOMPARE(fetcher.pendingTaskCount(), 1); // the daemon
        python::printStats(fetcher);
        QLifecycle::Test::runBlocking(manager.stop());
    }

    void addTaskRunsInTheBackground()
    {
        python::Worker worker;
        QLifecycle::ServiceManager manager(&worker);
        QLifecycle::Test::runBlocking(manager.start());
        QCOMPARE(worker.pendingTaskCount(), 1);
        QLifecycle::Test::runBlocking(manager.stop()); // cancels the sleeping task at once
        QCOMPARE(worker.state(), QLifecycle::State::Stopped);
    }
};

QObject *makePythonExamples()
{
    return new tst_DocExamplesPython;
}

#include "snippets_python.moc"
