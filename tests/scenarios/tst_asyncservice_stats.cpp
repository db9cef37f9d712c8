// async-service scenarios S58, S59 and S67: task counts (stats total / finished / pending =
// taskCount / finishedTaskCount / pendingTaskCount) and task names.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include "asyncservicekit.h"
#include "workerservice.h"
#include <QLifecycle/testkit/harness.h>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

// S67's callables, in a named namespace so that their demangled type names are predictable.
namespace naming {
struct NoStrOrRepr {
    void operator()() const {}
};
struct HasStrNotRepr {
    void operator()() const {}
    QString name() const { return QStringLiteral("custom-str"); } // like __str__
};
struct HasReprNotStr {
    void operator()() const {}
    QString toString() const { return QStringLiteral("custom-repr"); } // like __repr__
};
struct HasStrAndRepr {
    void operator()() const {}
    QString name() const { return QStringLiteral("custom-str"); }
    QString toString() const { return QStringLiteral("custom-repr"); }
};
} // namespace naming

namespace {
enum class Kind { Coroutine, NoStrOrRepr, HasStrNotRepr, HasReprNotStr, HasStrAndRepr, Future };

QCoro::Task<> completeSoon(WorkerService *service)
{
    co_await service->sleepFor(1ms); // asyncio.sleep(0)
}

QCoro::Task<> runWithChildren(WorkerService *service, int children, AsyncEvent *ready)
{
    co_await service->sleepFor(1ms);
    for (int i = 0; i < children; ++i)
        service->addTask(waitUntilCancelled(service), {.name = QStringLiteral("grandchild")});
    ready->set();
}

void checkCounts(const QService &service, int total, int finished, int pending)
{
    QCOMPARE(service.taskCount(), total);
    QCOMPARE(service.finishedTaskCount(), finished);
    QCOMPARE(service.pendingTaskCount(), pending);
    QCOMPARE(service.bindableTaskCount().value(), total);
    QCOMPARE(service.bindableFinishedTaskCount().value(), finished);
    QCOMPARE(service.bindablePendingTaskCount().value(), pending);
}

// Adds one daemon task of `kind` that ends on its own while the service runs.
void addEndingDaemon(WorkerService *service, Kind kind, const QString &name,
                     QPromise<void> *promise)
{
    const TaskOptions options{.name = name, .daemon = true};
    switch (kind) {
    case Kind::Coroutine:
        service->addTask(completeSoon(service), options);
        break;
    case Kind::NoStrOrRepr:
        service->addPoolTask(naming::NoStrOrRepr{}, options);
        break;
    case Kind::HasStrNotRepr:
        service->addPoolTask(naming::HasStrNotRepr{}, options);
        break;
    case Kind::HasReprNotStr:
        service->addPoolTask(naming::HasReprNotStr{}, options);
        break;
    case Kind::HasStrAndRepr:
        service->addPoolTask(naming::HasStrAndRepr{}, options);
        break;
    case Kind::Future:
        service->addTask(promise->future(), options);
        break;
    }
}
} // namespace

class tst_AsyncServiceStats : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void countsFollowTasksAndChildTasks();
    void oneSleepingTaskIsCounted();
    void taskNameIsGivenElseTakenFromTheTask_data();
    void taskNameIsGivenElseTakenFromTheTask();
};

// S58: async-service's private root-task set has no QLifecycle counterpart (tasks form one flat set
// per service); the three public counts are asserted.
void tst_AsyncServiceStats::countsFollowTasksAndChildTasks()
{
    WorkerService worker(QStringLiteral("worker"));
    AsyncEvent ready;
    worker.onStart = [&](WorkerService *w) {
        w->addTask(waitUntilCancelled(w), {.name = QStringLiteral("forever-1")}); // 2 forever
        w->addTask(waitUntilCancelled(w), {.name = QStringLiteral("forever-2")});
        w->addTask(completeSoon(w), {.name = QStringLiteral("complete-1")}); // 2 that complete
        w->addTask(completeSoon(w), {.name = QStringLiteral("complete-2")});
        w->addTask(runWithChildren(w, 4, &ready), {.name = QStringLiteral("spawner")}); // 1 + 4
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    worker.addTask(waitUntilCancelled(&worker), {.name = QStringLiteral("external-root")});
    QTRY_VERIFY_WITH_TIMEOUT(ready.isSet(), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(worker.finishedTaskCount(), 3, 5000);
    checkCounts(worker, 10, 3, 7);
    if (QTest::currentTestFailed())
        return;

    runBlocking(manager.stop(), 5s);
    checkCounts(worker, 10, 10, 0);
}

// S59
void tst_AsyncServiceStats::oneSleepingTaskIsCounted()
{
    WorkerService worker(QStringLiteral("worker"));
    worker.onStart = [](WorkerService *w) { w->addTask(waitUntilCancelled(w)); };
    ServiceManager manager(&worker);
    QSignalSpy finished(&worker, &QService::finishedTaskCountChanged);
    runBlocking(manager.start(), 5s);
    checkCounts(worker, 1, 0, 1);
    if (QTest::currentTestFailed())
        return;
    runBlocking(manager.stop(), 5s);
    checkCounts(worker, 1, 1, 0);
    QCOMPARE(finished.count(), 1);
}

void tst_AsyncServiceStats::taskNameIsGivenElseTakenFromTheTask_data()
{
    QTest::addColumn<Kind>("kind");
    QTest::addColumn<QString>("explicitName");
    QTest::addColumn<QString>("expected");
    const QString none;
    // (fn, None): a coroutine has no name of its own, so it is numbered.
    QTest::newRow("coroutine") << Kind::Coroutine << none << QStringLiteral("coroutine #1");
    QTest::newRow("NoStrOrRepr") << Kind::NoStrOrRepr << none
                                 << QStringLiteral("naming::NoStrOrRepr");
    QTest::newRow("HasStrNotRepr") << Kind::HasStrNotRepr << none << QStringLiteral("custom-str");
    QTest::newRow("HasReprNotStr") << Kind::HasReprNotStr << none << QStringLiteral("custom-repr");
    QTest::newRow("HasStrAndRepr") << Kind::HasStrAndRepr << none << QStringLiteral("custom-str");
    QTest::newRow("future") << Kind::Future << none << QStringLiteral("future #1");
    int i = 0;
    for (Kind kind : {Kind::Coroutine, Kind::NoStrOrRepr, Kind::HasStrNotRepr, Kind::HasReprNotStr,
                      Kind::HasStrAndRepr, Kind::Future}) {
        const QString name = QStringLiteral("explicit_%1").arg(i++);
        QTest::newRow(qPrintable(name)) << kind << name << name;
    }
}

// S67
void tst_AsyncServiceStats::taskNameIsGivenElseTakenFromTheTask()
{
    QFETCH(Kind, kind);
    QFETCH(QString, explicitName);
    QFETCH(QString, expected);
    WorkerService worker(QStringLiteral("worker"));
    QPromise<void> promise;
    promise.start();
    worker.onStart = [&](WorkerService *w) { addEndingDaemon(w, kind, explicitName, &promise); };
    ServiceManager manager(&worker);
    const QString message =
        QStringLiteral("daemon task '%1' exited while the service was running").arg(expected);
    QTest::ignoreMessage(QtWarningMsg, qPrintable(QStringLiteral("worker: ") + message));
    runBlocking(manager.start(), 5s);
    promise.finish(); // the adopted future ends (the other kinds end by themselves)
    const std::optional<Error> error = expectError(manager.wait(), 5s);
    QVERIFY(error);
    QCOMPARE(error->failures().size(), 1);
    QCOMPARE(error->primary().message, message);
}

QTEST_GUILESS_MAIN(tst_AsyncServiceStats)
#include "tst_asyncservice_stats.moc"
