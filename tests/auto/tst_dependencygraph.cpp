// The dependency graph alone (src/dependencygraph.h): stage edges, barriers, start order,
// validation, and graphs of 100 000 services read without recursion.

#include <QLifecycle/QService>

#include "graph/dependencygraph.h"
#include <QLifecycle/testkit/eventlog.h>

#include <QtTest/QTest>

#include <QtCore/QElapsedTimer>

#include <memory>
#include <vector>

using namespace QLifecycle;

namespace {
class Node : public QService
{
public:
    explicit Node(const QString &name) { setObjectName(name); }
    Dependencies deps;

protected:
    Dependencies dependencies() const override { return deps; }
};

QStringList namesOf(const QList<QService *> &services)
{
    QStringList names;
    for (QService *service : services)
        names.append(service->name());
    return names;
}
} // namespace

class tst_DependencyGraph : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void singleServiceIsOneNode();
    void stageAfterGroupGoesThroughOneBarrier();
    void sharedDependencyIsOneNode();
    void declaredOptionalFollowsTheStages();
    void startOrderPutsDependenciesFirst();
    void nullRootIsRefused();
    void longChainIsReadWithoutRecursion();
    void wideFanOutIsReadQuickly();
};

void tst_DependencyGraph::singleServiceIsOneNode()
{
    Node root(QStringLiteral("root"));
    const DependencyGraph graph = DependencyGraph::build(&root);
    QCOMPARE(graph.size(), 1);
    QCOMPARE(graph.prerequisites(0).size(), size_t(0));
}

void tst_DependencyGraph::stageAfterGroupGoesThroughOneBarrier()
{
    Node a(QStringLiteral("a")), b(QStringLiteral("b")), c(QStringLiteral("c")),
        d(QStringLiteral("d")), root(QStringLiteral("root"));
    root.deps = {{&a, &b, &c}, &d};
    const DependencyGraph graph = DependencyGraph::build(&root);
    QCOMPARE(graph.size(), 6); // 5 services + 1 barrier for the group
    int barrier = -1;
    for (int n = 0; n < graph.size(); ++n)
        if (!graph.service(n))
            barrier = n;
    QVERIFY(barrier >= 0);
    QCOMPARE(graph.prerequisites(barrier).size(), size_t(3));
    // d waits for the barrier only: 3 + 1 edges instead of 3 x 1.
    for (int n = 0; n < graph.size(); ++n) {
        if (graph.service(n) == &d) {
            QCOMPARE(graph.prerequisites(n).size(), size_t(1));
            QCOMPARE(graph.prerequisites(n)[0], barrier);
        }
    }
}

void tst_DependencyGraph::sharedDependencyIsOneNode()
{
    Node shared(QStringLiteral("shared")), x(QStringLiteral("x")), y(QStringLiteral("y")),
        root(QStringLiteral("root"));
    x.deps = {&shared};
    y.deps = {&shared};
    root.deps = {{&x, &y}};
    const DependencyGraph graph = DependencyGraph::build(&root);
    QCOMPARE(graph.startOrder().count(&shared), 1);
    for (int n = 0; n < graph.size(); ++n)
        if (graph.service(n) == &shared)
            QCOMPARE(graph.dependents(n).size(), size_t(2));
}

// What the trace recorder draws dashed (docs/observability.md): the stages declared optional().
void tst_DependencyGraph::declaredOptionalFollowsTheStages()
{
    Node a(QStringLiteral("a")), b(QStringLiteral("b")), c(QStringLiteral("c")),
        d(QStringLiteral("d")), root(QStringLiteral("root"));
    a.deps = {optional(&b)};
    root.deps = {optional({&b, &c}), &a, &d};
    const DependencyGraph graph = DependencyGraph::build(&root);
    auto optionalOf = [&graph](const QService *service) {
        QStringList names;
        for (int n = 0; n < graph.size(); ++n) {
            if (graph.service(n) != service)
                continue;
            const std::span<const int> declared = graph.declaredDependencies(n);
            for (int at = 0; at < int(declared.size()); ++at)
                names.append(graph.service(declared[size_t(at)])->name() +
                             (graph.isDeclaredOptional(n, at) ? QStringLiteral("?") : QString()));
        }
        return names;
    };
    QCOMPARE(optionalOf(&root), (QStringList{QStringLiteral("b?"), QStringLiteral("c?"),
                                             QStringLiteral("a"), QStringLiteral("d")}));
    QCOMPARE(optionalOf(&a), QStringList{QStringLiteral("b?")});
    QCOMPARE(optionalOf(&d), QStringList());
    for (int n = 0; n < graph.size(); ++n) { // out of range, or a barrier: false
        QVERIFY(!graph.isDeclaredOptional(n, -1));
        QVERIFY(!graph.isDeclaredOptional(n, int(graph.declaredDependencies(n).size())));
    }
}

void tst_DependencyGraph::startOrderPutsDependenciesFirst()
{
    Node c(QStringLiteral("c")), b1(QStringLiteral("b1")), b2(QStringLiteral("b2")),
        a(QStringLiteral("a"));
    b1.deps = {&c};
    b2.deps = {&c};
    a.deps = {&b1, &b2};
    const DependencyGraph graph = DependencyGraph::build(&a);
    QCOMPARE(namesOf(graph.startOrder()), QLifecycle::Test::names("c b1 b2 a"));
}

void tst_DependencyGraph::nullRootIsRefused()
{
    QVERIFY_THROWS_EXCEPTION(Error, DependencyGraph::build(nullptr));
}

void tst_DependencyGraph::longChainIsReadWithoutRecursion()
{
    constexpr int count = 100000;
    std::vector<std::unique_ptr<Node>> chain;
    chain.reserve(count);
    for (int i = 0; i < count; ++i)
        chain.push_back(std::make_unique<Node>(QString::number(i)));
    for (int i = 0; i + 1 < count; ++i)
        chain[size_t(i)]->deps = {chain[size_t(i) + 1].get()};
    const DependencyGraph graph = DependencyGraph::build(chain.front().get());
    QCOMPARE(graph.size(), count);
    QCOMPARE(graph.startOrder().first(), chain.back().get());
    QCOMPARE(graph.startOrder().last(), chain.front().get());

    // A cycle through the whole chain is found and named, still without recursion.
    chain.back()->deps = {chain.front().get()};
    try {
        DependencyGraph::build(chain.front().get());
        QFAIL("a cycle was not refused");
    } catch (const Error &error) {
        QVERIFY(error.message().startsWith(
            QStringLiteral("0: invalid dependencies: cycle: 0 -> 1 -> 2")));
        QVERIFY(error.message().endsWith(QStringLiteral("99999 -> 0")));
    }
}

void tst_DependencyGraph::wideFanOutIsReadQuickly()
{
    constexpr int count = 100000;
    std::vector<std::unique_ptr<Node>> leaves;
    QList<QService *> group;
    for (int i = 0; i < count; ++i) {
        leaves.push_back(std::make_unique<Node>(QString::number(i)));
        group.append(leaves.back().get());
    }
    Node root(QStringLiteral("root"));
    root.deps = {Stage(group)};
    const DependencyGraph graph = DependencyGraph::build(&root);
    QCOMPARE(graph.size(), count + 2); // leaves, root, one barrier
    QCOMPARE(graph.startOrder().last(), &root);
}

QTEST_GUILESS_MAIN(tst_DependencyGraph)
#include "tst_dependencygraph.moc"
