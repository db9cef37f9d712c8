// async-service scenario S51: a tree of tasks is cancelled leaves first. Every node task-N opens a
// resource and starts its helper child-N, which starts the node's children and waits until each is
// ready. On stop, every clean-up of child-N must still see task-N's resource open (and marks it
// checked); every task-N, after closing its resource, must find it closed and already checked.
// Clean-ups await non-cancellable things a varying number of times, and the service's own stop()
// runs only once every task has ended.

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include "asyncservicekit.h"
#include "workerservice.h"
#include <QLifecycle/testkit/harness.h>

#include <QCoro/QCoroTimer>

#include <array>
#include <map>

using namespace QLifecycle;
using namespace QLifecycle::Test;
using namespace std::chrono_literals;

namespace {
constexpr int NodeCount = 14;
const std::map<int, QList<int>> Tree{{0, {1, 2, 3}}, {2, {4, 5}}, {4, {6, 7, 8, 9, 10}},
                                     {8, {11}},      {11, {12}},  {12, {13}}};

struct Node {
    bool active = false;  // task-N's resource is open
    bool checked = false; // child-N's clean-up saw it open
    AsyncEvent ready;     // task-N is ready (its whole subtree runs)
    AsyncEvent helperReady;
    bool taskCleanedUp = false;
    bool helperCleanedUp = false;
};

struct Dag {
    WorkerService *service = nullptr;
    bool yieldFirst = false; // each task yields once before it starts other tasks
    bool lazy = false;       // add tasks as callables: registered before their first steps run
    std::array<Node, NodeCount> nodes;
    QStringList problems;
    int cleanedUp = 0;
};

// The resource of task-N (`async with`): open while the object lives.
class Resource
{
public:
    explicit Resource(Node *node) : m_node(node) { m_node->active = true; }
    ~Resource() { m_node->active = false; }
    Resource(const Resource &) = delete;
    Resource &operator=(const Resource &) = delete;

private:
    Node *m_node;
};

// Clean-up work that no stop interrupts: `steps` awaits of 0 to 5 ms timers.
QCoro::Task<> nonCancellableSteps(int seed, int steps)
{
    for (int i = 0; i < steps; ++i)
        co_await QCoro::sleepFor(std::chrono::milliseconds((seed + i) % 6));
}

QCoro::Task<> helperTask(Dag *dag, int n);
QCoro::Task<> nodeTask(Dag *dag, int n);

// Adds task-n (or child-n). As a callable, the library registers the task before its first
// steps run, so the tasks those steps add are known to be its children. As a started
// coroutine, the task registers only after its first steps have added their tasks.
void addNodeTask(Dag *dag, int n, bool helper)
{
    const TaskOptions options{
        .name = (helper ? QStringLiteral("child-%1") : QStringLiteral("task-%1")).arg(n)};
    if (dag->lazy && helper)
        dag->service->addTask([dag, n] { return helperTask(dag, n); }, options);
    else if (dag->lazy)
        dag->service->addTask([dag, n] { return nodeTask(dag, n); }, options);
    else if (helper)
        dag->service->addTask(helperTask(dag, n), options);
    else
        dag->service->addTask(nodeTask(dag, n), options);
}

QCoro::Task<> nodeTask(Dag *dag, int n)
{
    Node &node = dag->nodes[size_t(n)];
    WorkerService *service = dag->service;
    if (dag->yieldFirst)
        co_await service->sleepFor(1ms);
    bool cancelled = false;
    {
        Resource resource(&node);
        addNodeTask(dag, n, true);
        try {
            co_await waitUntilSet(service, &node.helperReady);
            node.ready.set();
            co_await waitUntilCancelled(service);
        } catch (const Cancelled &) {
            cancelled = true;
        }
        co_await nonCancellableSteps(n, n % 3); // still open: e.g. flush before closing
    }
    if (node.active)
        dag->problems.append(QStringLiteral("task-%1: resource still active after closing").arg(n));
    if (!node.checked)
        dag->problems.append(QStringLiteral("task-%1: closed before child-%1 checked it").arg(n));
    co_await nonCancellableSteps(n + 1, (n + 1) % 4);
    node.taskCleanedUp = true;
    ++dag->cleanedUp;
    if (cancelled)
        throw Cancelled();
}

QCoro::Task<> helperTask(Dag *dag, int n)
{
    Node &node = dag->nodes[size_t(n)];
    WorkerService *service = dag->service;
    if (dag->yieldFirst)
        co_await service->sleepFor(1ms);
    bool cancelled = false;
    try {
        for (int child : Tree.count(n) ? Tree.at(n) : QList<int>()) {
            addNodeTask(dag, child, false);
            co_await waitUntilSet(service, &dag->nodes[size_t(child)].ready);
        }
        node.helperReady.set();
        co_await waitUntilCancelled(service);
    } catch (const Cancelled &) {
        cancelled = true;
    }
    co_await nonCancellableSteps(n + 2, (n * 7 + 2) % 5);
    if (node.active)
        node.checked = true;
    else
        dag->problems.append(QStringLiteral("child-%1: task-%1's resource already closed").arg(n));
    node.helperCleanedUp = true;
    ++dag->cleanedUp;
    if (cancelled)
        throw Cancelled();
}

struct StopCheck {
    int cleanedUpAtStop = -1;
};

void runTree(Dag &dag, StopCheck &stopCheck)
{
    WorkerService worker(QStringLiteral("dag"));
    dag.service = &worker;
    worker.stopTimeout = 5s;
    worker.onStart = [&dag](WorkerService *) { addNodeTask(&dag, 0, false); };
    worker.onStop = [&dag, &stopCheck](WorkerService *) {
        stopCheck.cleanedUpAtStop = dag.cleanedUp;
    };
    ServiceManager manager(&worker);
    runBlocking(manager.start(), 5s);
    QTRY_VERIFY_WITH_TIMEOUT(dag.nodes[0].ready.isSet(), 5000);
    for (const Node &node : dag.nodes)
        QVERIFY(node.ready.isSet() && node.active && !node.checked);
    QCOMPARE(worker.taskCount(), 2 * NodeCount);
    QCOMPARE(worker.pendingTaskCount(), 2 * NodeCount);

    runBlocking(manager.stop(), 10s); // leaving the context once everything is ready
    QCOMPARE(manager.state(), State::Stopped);
    QCOMPARE(worker.pendingAtStop, 0);
    QCOMPARE(worker.finishedTaskCount(), 2 * NodeCount);
}
} // namespace

class tst_AsyncServiceDag : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void taskTreeIsCancelledLeavesFirst();
    void taskTreeIsCancelledLeavesFirstWhenTasksYieldBeforeSpawning();
};

static void checkTree(const Dag &dag, const StopCheck &stopCheck)
{
    for (const Node &node : dag.nodes) {
        QVERIFY(node.taskCleanedUp);
        QVERIFY(node.helperCleanedUp);
        QVERIFY(!node.active);
    }
    QCOMPARE(stopCheck.cleanedUpAtStop, 2 * NodeCount); // stop() only after every clean-up
    QVERIFY2(dag.problems.isEmpty(), qPrintable(dag.problems.join(QLatin1Char('\n'))));
    bool allChecked = true;
    for (const Node &node : dag.nodes)
        allChecked = allChecked && node.checked;
    QVERIFY(allChecked); // all_checks_passed
}

// S51
void tst_AsyncServiceDag::taskTreeIsCancelledLeavesFirst()
{
    // The whole tree is built at once: every task starts its children in its first steps, as
    // the seed's tasks do once scheduled. QCoro tasks start eagerly, so the tasks are added as
    // callables: the library registers each task before its first steps (docs/tasks.md).
    Dag dag;
    dag.lazy = true;
    StopCheck stopCheck;
    runTree(dag, stopCheck);
    if (QTest::currentTestFailed())
        return;
    checkTree(dag, stopCheck);
}

// S51
void tst_AsyncServiceDag::taskTreeIsCancelledLeavesFirstWhenTasksYieldBeforeSpawning()
{
    // The same tree, each task suspending once before it starts other tasks.
    Dag dag;
    dag.yieldFirst = true;
    StopCheck stopCheck;
    runTree(dag, stopCheck);
    if (QTest::currentTestFailed())
        return;
    checkTree(dag, stopCheck);
}

QTEST_GUILESS_MAIN(tst_AsyncServiceDag)
#include "tst_asyncservice_dag.moc"
