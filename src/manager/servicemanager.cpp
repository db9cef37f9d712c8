#include <QLifecycle/servicemanager.h>

#include "graph/dependencygraph.h"
#include "manager/applicationmanager_p.h"
#include "manager/graphrun.h"
#include "manager/servicemanager_p.h"
#include "manager/starttriggers.h"
#include "service/emitqueue.h"
#include "service/logging.h"
#include "service/qservice_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QMetaMethod>
#include <QtCore/QThread>
#include <QtCore/QTimer>

namespace QLifecycle {

namespace {

// requestStart(): a start nobody awaits. Its failures are in state and errorString already.
QCoro::Task<> startDetached(QPointer<ServiceManager> manager)
{
    try {
        co_await manager->start();
    } catch (const Error &) {
    }
}

Error destroyedError()
{
    return Error(QString(), Phase::Stop, QStringLiteral("the ServiceManager was destroyed"));
}
} // namespace

// Calls that would wait for themselves, or touch the run from another thread, are refused
// with a LifecycleError naming the services involved.
void ServiceManagerPrivate::checkCaller(const ServiceManager *manager, const char *call)
{
    const QService *root = manager->d_func()->root;
    const QString rootName = root ? root->name() : QStringLiteral("(no root)");
    if (QThread::currentThread() != manager->thread()) {
        throw LifecycleError(
            QStringLiteral("ServiceManager::%1() of the graph of %2 called from another thread "
                           "than the manager's; use requestStart() or requestStop() there")
                .arg(QLatin1String(call), rootName));
    }
    bool starting = false;
    if (const QService *hook = GraphRun::hookInProgress(manager->d_func()->run.get(), &starting)) {
        throw LifecycleError(
            QStringLiteral("%2() called ServiceManager::%3() of its own graph (root %4), "
                           "which would wait for %1 itself; use requestStop() instead")
                .arg(hook->name(), QLatin1String(starting ? "start" : "stop"), QLatin1String(call),
                     rootName));
    }
}

ServiceManager::ServiceManager(QService *root, QObject *parent)
    : QObject(parent), d_ptr(std::make_unique<ServiceManagerPrivate>(this))
{
    d_func()->root = root;
    detail::watchFirstFrame(this); // for deferred starts (docs/lifecycle.md, "Start policies")
}

void ServiceManager::connectNotify(const QMetaMethod &signal)
{
    // Someone listens to one of the manager's own signals: its changes wait in the EmitQueue
    // from now on (docs/lifecycle.md, "Re-entrancy").
    if (signal.methodIndex() >= staticMetaObject.methodOffset() &&
        signal.methodIndex() < staticMetaObject.methodCount())
        d_func()->watched.store(true, std::memory_order_relaxed);
    QObject::connectNotify(signal);
}

ServiceManager::~ServiceManager()
{
    detail::EmitQueue::forget(this); // nothing queued for it may reach it now
    ApplicationManagers::instance()->forget(this);
    if (d_func()->run && d_func()->run->stage() != GraphRun::Stage::Done) {
        qCWarning(lcManager).noquote()
            << "ServiceManager of"
            << (d_func()->root ? d_func()->root->name() : QStringLiteral("(no root)"))
            << "destroyed before its graph stopped; the graph is stopped in the background";
        d_func()->run->orphan();
    }
    // A callable that has just ended may still hold its pool thread for an instant: give it
    // that instant before calling anything abandoned.
    if (d_func()->pool && !d_func()->pool->waitForDone(50)) {
        // Abandoned callables that ignore cancellation still run. Deleting the pool would
        // wait for them, possibly forever: a reaper deletes it once they have ended. If the
        // application ends first, the pool is left to the operating system.
        qCWarning(lcManager) << d_func()->pool->activeThreadCount()
                             << "abandoned thread-pool task(s) still running; their pool is"
                             << "deleted once they end";
        QThreadPool *pool = std::exchange(d_func()->pool, nullptr);
        if (QCoreApplication *app = QCoreApplication::instance()) {
            auto *reaper = new QTimer(app);
            reaper->setInterval(std::chrono::milliseconds(20));
            QObject::connect(reaper, &QTimer::timeout, reaper, [reaper, pool] {
                if (pool->waitForDone(0)) {
                    delete pool;
                    reaper->deleteLater();
                }
            });
            reaper->start();
        }
        return;
    }
    delete d_func()->pool;
}

QThreadPool *ServiceManagerPrivate::threadPool()
{
    if (!pool) {
        pool = new QThreadPool();
        pool->setObjectName(QStringLiteral("QLifecycle tasks"));
    }
    return pool;
}

QService *ServiceManager::root() const
{
    return d_func()->root;
}
QService::State ServiceManager::state() const
{
    return d_func()->state;
}
QBindable<QService::State> ServiceManager::bindableState() const
{
    return &d_func()->state;
}
QString ServiceManager::errorString() const
{
    return d_func()->errorString;
}
QBindable<QString> ServiceManager::bindableErrorString() const
{
    return &d_func()->errorString;
}

std::optional<Error> ServiceManager::error() const
{
    if (d_func()->run && d_func()->run->failed())
        return Error(d_func()->run->failures());
    return d_func()->validationError;
}

QList<QService *> ServiceManager::services() const
{
    return d_func()->run ? d_func()->run->graph().startOrder() : QList<QService *>();
}

int ServiceManager::serviceCount() const
{
    return d_func()->run ? d_func()->run->graph().serviceCount() : 0;
}

double ServiceManager::progress() const
{
    return d_func()->progress;
}
QBindable<double> ServiceManager::bindableProgress() const
{
    return &d_func()->progress;
}
QStringList ServiceManager::startingServices() const
{
    return d_func()->startingServices;
}
QBindable<QStringList> ServiceManager::bindableStartingServices() const
{
    return &d_func()->startingServices;
}
QStringList ServiceManager::stoppingServices() const
{
    return d_func()->stoppingServices;
}
QBindable<QStringList> ServiceManager::bindableStoppingServices() const
{
    return &d_func()->stoppingServices;
}

void ServiceManager::requestStart()
{
    if (QThread::currentThread() != thread()) {
        QMetaObject::invokeMethod(this, qOverload<>(&ServiceManager::requestStart),
                                  Qt::QueuedConnection);
        return;
    }
    if (state() == State::Stopped || state() == State::Failed)
        startDetached(this);
}

std::chrono::milliseconds ServiceManager::defaultGracefulShutdownTimeout() const
{
    return d_func()->defaultStopTimeout;
}

void ServiceManager::setDefaultGracefulShutdownTimeout(std::chrono::milliseconds timeout)
{
    if (timeout.count() < 0) {
        qCWarning(lcManager).noquote()
            << "ServiceManager of"
            << (d_func()->root ? d_func()->root->name() : QStringLiteral("(no root)"))
            << ": refused a negative graceful shutdown timeout of" << timeout.count()
            << "ms; it stays" << d_func()->defaultStopTimeout.count() << "ms";
        return;
    }
    d_func()->defaultStopTimeout = timeout;
}

std::optional<std::chrono::milliseconds> ServiceManager::defaultStartTimeout() const
{
    return d_func()->defaultStartTimeout;
}

void ServiceManager::setDefaultStartTimeout(std::optional<std::chrono::milliseconds> timeout)
{
    if (timeout && timeout->count() < 0) {
        qCWarning(lcManager).noquote()
            << "ServiceManager of"
            << (d_func()->root ? d_func()->root->name() : QStringLiteral("(no root)"))
            << ": refused a negative start timeout of" << timeout->count() << "ms; it stays"
            << (d_func()->defaultStartTimeout
                    ? QString::number(d_func()->defaultStartTimeout->count()) +
                          QStringLiteral(" ms")
                    : QStringLiteral("none"));
        return;
    }
    d_func()->defaultStartTimeout = timeout;
}

QCoro::Task<> ServiceManager::start()
{
    ServiceManagerPrivate::checkCaller(this, "start");
    const QPointer<ServiceManager> self(this);
    for (;;) {
        const std::shared_ptr<GraphRun> current = d_func()->run;
        if (!current || current->stage() == GraphRun::Stage::Done)
            break;
        if (current->stage() == GraphRun::Stage::Running)
            co_return; // already running: a no-op
        if (current->stage() == GraphRun::Stage::Starting) {
            co_await current->whenStarted(); // join the start in progress
            if (!self)
                throw destroyedError();
            if (current->stage() == GraphRun::Stage::Done && current->failed())
                throw Error(current->failures());
            co_return;
        }
        co_await current->whenDone(); // stopping: start again once stopped
        if (!self)
            throw destroyedError();
    }

    // Validate before anything starts; on refusal the graph is untouched. Reading the graph
    // and the run's first bookkeeping hold the event loop: the scheduler's first slice is
    // shortened by that time (the stalls of benchmarks/README.md, "Responsiveness").
    QElapsedTimer turn;
    turn.start();
    std::optional<DependencyGraph> graph;
    try {
        graph.emplace(DependencyGraph::build(d_func()->root, [this](const QService *service) {
            // A service of an active run of another manager, or of a run still stopping in
            // the background after its manager was destroyed, is not this manager's to run.
            const std::shared_ptr<ServiceOwner> owner = QServicePrivate::get(service)->owner.lock();
            if (!owner || !owner->isActive() || owner->owningManager() == this)
                return QString();
            return owner->owningManager()
                       ? QStringLiteral("already run by another ServiceManager")
                       : QStringLiteral("still being stopped after its ServiceManager was "
                                        "destroyed");
        }));
    } catch (const Error &error) {
        qCWarning(lcManager).noquote() << "start refused:" << error.message();
        d_func()->validationError = error;
        ServiceManagerPrivate::setErrorString(this, error.message());
        throw;
    }
    d_func()->validationError.reset();
    ServiceManagerPrivate::setErrorString(this, QString());
    const auto run = std::make_shared<GraphRun>(this, std::move(*graph));
    d_func()->run = run;
    ServiceManagerPrivate::setHealthSummary(this, {}); // every service starts Healthy
    run->begin(turn.elapsed()); // emits servicesChanged first, once its bookkeeping is ready
    co_await run->whenStarted();
    if (!self)
        throw destroyedError();
    if (run->stage() == GraphRun::Stage::Done && run->failed())
        throw Error(run->failures());
}

QCoro::Task<> ServiceManager::stop()
{
    ServiceManagerPrivate::checkCaller(this, "stop");
    const QPointer<ServiceManager> self(this);
    const std::shared_ptr<GraphRun> run = d_func()->run;
    // Over once its end has been shown (the final state, then the wake-up): a run whose last
    // step is done but not shown yet is still awaited, as wait() does.
    if (!run || run->whenDone().isSet())
        co_return; // nothing runs: a no-op
    run->requestStop();
    co_await run->whenDone();
    if (!self)
        throw destroyedError();
    if (run->failed())
        throw Error(run->failures());
}

QCoro::Task<> ServiceManager::wait()
{
    ServiceManagerPrivate::checkCaller(this, "wait");
    const QPointer<ServiceManager> self(this);
    const std::shared_ptr<GraphRun> run = d_func()->run;
    if (run && !run->whenDone().isSet()) {
        co_await run->whenDone();
        if (!self)
            throw destroyedError();
    }
    if (run && run->failed())
        throw Error(run->failures());
}

void ServiceManager::requestStop()
{
    requestStopFor(StopReason::Requested);
}

void ServiceManager::requestStopFor(StopReason reason)
{
    if (QThread::currentThread() != thread()) {
        QMetaObject::invokeMethod(
            this, [this, reason] { requestStopFor(reason); }, Qt::QueuedConnection);
        return;
    }
    if (reason == StopReason::Failure) {
        qCWarning(lcManager) << "requestStopFor(Failure) refused: the library gives that reason"
                             << "to the stops that failures cause; stopping as Requested";
        reason = StopReason::Requested;
    }
    if (reason == StopReason::None)
        reason = StopReason::Requested;
    if (d_func()->run)
        d_func()->run->requestStop(reason);
}

void ServiceManagerPrivate::notifyState(QService::State value)
{
    Q_EMIT q_ptr->stateChanged(value, ServiceManager::QPrivateSignal());
}

void ServiceManagerPrivate::notifyErrorString(const QString &value)
{
    Q_EMIT q_ptr->errorStringChanged(value, ServiceManager::QPrivateSignal());
}

void ServiceManagerPrivate::notifyProgress(double value)
{
    Q_EMIT q_ptr->progressChanged(value, ServiceManager::QPrivateSignal());
}

void ServiceManagerPrivate::notifyStarting(const QStringList &value)
{
    Q_EMIT q_ptr->startingServicesChanged(value, ServiceManager::QPrivateSignal());
}

void ServiceManagerPrivate::notifyStopping(const QStringList &value)
{
    Q_EMIT q_ptr->stoppingServicesChanged(value, ServiceManager::QPrivateSignal());
}

} // namespace QLifecycle
