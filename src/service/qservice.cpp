#include <QLifecycle/qservice.h>
#include <QLifecycle/servicemanager.h>

#include "service/emitqueue.h"
#include "service/logging.h"
#include "service/qservice_p.h"
#include "service/serviceowner.h"

#include <QtCore/QDebug>
#include <QtCore/QMetaEnum>

using namespace std::chrono_literals;

namespace QLifecycle {

QService::QService(QObject *parent) : QService(*new QServicePrivate(this), parent) {}

QService::QService(QServicePrivate &dd, QObject *parent) : QObject(parent), d_ptr(&dd) {}

void QService::connectNotify(const QMetaMethod &signal)
{
    // Relay objectNameChanged only once someone listens: a connection per service would cost
    // memory and time in graphs of many services.
    if (signal == QMetaMethod::fromSignal(&QService::nameChanged) &&
        !d_func()->nameSignalConnected.exchange(true)) {
        connect(this, &QObject::objectNameChanged, this,
                [this] { Q_EMIT nameChanged(name(), QPrivateSignal()); });
    }
    // Someone listens to one of QService's own signals: its changes wait in the EmitQueue from
    // now on (for good: counting disconnections is not worth it).
    if (signal.methodIndex() >= staticMetaObject.methodOffset() &&
        signal.methodIndex() < staticMetaObject.methodCount())
        d_func()->watched.store(true, std::memory_order_relaxed);
    QObject::connectNotify(signal);
}

QService::~QService()
{
    detail::EmitQueue::forget(this); // nothing queued for it may reach it now
    const std::shared_ptr<ServiceOwner> owner = d_func()->owner.lock();
    if (!owner || !owner->isActive())
        return;
    const State state = d_func()->state;
    if (state == State::Running || state == State::Starting || state == State::Stopping) {
        qCWarning(lcService).noquote()
            << name() << "destroyed while" << QMetaEnum::fromType<State>().valueToKey(int(state))
            << "- stop the ServiceManager before destroying its services";
    }
    // The run must not call this service again: it forgets it, and stops the graph if the
    // service was needed (a failure naming it).
    owner->forget(this);
}

QService::State QService::state() const
{
    return d_func()->state;
}
QBindable<QService::State> QService::bindableState() const
{
    return &d_func()->state;
}
QString QService::errorString() const
{
    return d_func()->errorString;
}
QBindable<QString> QService::bindableErrorString() const
{
    return &d_func()->errorString;
}
std::optional<Failure> QService::failure() const
{
    const std::unique_ptr<const Failure> &failure = d_func()->failure;
    return failure ? std::optional<Failure>(*failure) : std::nullopt;
}
qint64 QService::startDurationMs() const
{
    return d_func()->startDurationMs;
}
QBindable<qint64> QService::bindableStartDurationMs() const
{
    return &d_func()->startDurationMs;
}
qint64 QService::stopDurationMs() const
{
    return d_func()->stopDurationMs;
}
QBindable<qint64> QService::bindableStopDurationMs() const
{
    return &d_func()->stopDurationMs;
}
ServiceManager *QService::manager() const
{
    return d_func()->activeManager();
}

ServiceManager *QServicePrivate::activeManager() const
{
    const std::shared_ptr<ServiceOwner> current = owner.lock();
    return current && current->isActive() ? manager.data() : nullptr;
}

QService::StartPolicy QService::startPolicy() const
{
    return d_func()->startPolicy;
}

void QService::setStartPolicy(StartPolicy policy)
{
    if (std::exchange(d_func()->startPolicy, policy) != policy)
        Q_EMIT startPolicyChanged(policy, QPrivateSignal());
}

QString QService::name() const
{
    const QString object = objectName();
    return object.isEmpty() ? QString::fromLatin1(metaObject()->className()) : object;
}

QCoro::Task<> QService::start()
{
    co_return;
}
QCoro::Task<> QService::stop()
{
    co_return;
}
Dependencies QService::dependencies() const
{
    return {};
}

std::chrono::milliseconds QService::gracefulShutdownTimeout() const
{
    const ServiceManager *manager = d_func()->activeManager();
    return manager ? manager->defaultGracefulShutdownTimeout() : std::chrono::milliseconds(10s);
}

std::optional<std::chrono::milliseconds> QService::startTimeout() const
{
    const ServiceManager *manager = d_func()->activeManager();
    return manager ? manager->defaultStartTimeout() : std::nullopt;
}

void QServicePrivate::notifyState(QService::State value)
{
    Q_EMIT q_ptr->stateChanged(value, QService::QPrivateSignal());
}
void QServicePrivate::notifyErrorString(const QString &value)
{
    Q_EMIT q_ptr->errorStringChanged(value, QService::QPrivateSignal());
}
void QServicePrivate::notifyStartDuration(qint64 value)
{
    Q_EMIT q_ptr->startDurationMsChanged(value, QService::QPrivateSignal());
}
void QServicePrivate::notifyStopDuration(qint64 value)
{
    Q_EMIT q_ptr->stopDurationMsChanged(value, QService::QPrivateSignal());
}
void QServicePrivate::notifyTaskCount(int value)
{
    Q_EMIT q_ptr->taskCountChanged(value, QService::QPrivateSignal());
}
void QServicePrivate::notifyFinishedTaskCount(int value)
{
    Q_EMIT q_ptr->finishedTaskCountChanged(value, QService::QPrivateSignal());
}
void QServicePrivate::notifyPendingTaskCount(int value)
{
    Q_EMIT q_ptr->pendingTaskCountChanged(value, QService::QPrivateSignal());
}

void QServicePrivate::beginStart(QService *service)
{
    get(service)->failure.reset();
    get(service)->tasks.reset(); // a fresh set is made when the first task or wait needs one
    // The last run's counts and error are cleared; with nothing queued, what is shown is
    // current, and what is already clear costs nothing.
    const QServicePrivate *d = get(service);
    const bool pending = detail::EmitQueue::isPending();
    if (pending || d->taskCount.value() != 0 || d->finishedTaskCount.value() != 0)
        detail::EmitQueue::serviceTaskCounts(service, 0, 0);
    if (pending || !d->errorString.value().isEmpty())
        detail::EmitQueue::serviceErrorString(service, QString());
    if (d->healthReported && (pending || d->health.value() != QService::Health::Healthy ||
                              !d->healthReason.value().isEmpty()))
        detail::EmitQueue::serviceHealth(service, QService::Health::Healthy, QString());
    detail::EmitQueue::serviceState(service, QService::State::Starting);
}

void QServicePrivate::setState(QService *service, QService::State state)
{
    qCDebug(lcService).noquote() << service->name() << "->"
                                 << QMetaEnum::fromType<QService::State>().valueToKey(int(state));
    if (get(service)->healthMonitor)     // a service that never asked for health costs nothing
        superviseHealth(service, state); // before the state's observers run
    get(service)->state = state;
}

void QServicePrivate::fail(QService *service, const Failure &failure)
{
    if (!get(service)->failure)
        get(service)->failure = std::make_unique<const Failure>(failure); // the first is shown
    detail::EmitQueue::serviceErrorString(service, get(service)->failure->reason());
}

void QServicePrivate::queueErrorOccurred(QService *service, const Failure &failure)
{
    detail::EmitQueue::call(service, [service, phase = failure.phase, message = failure.message] {
        Q_EMIT service->errorOccurred(phase, message, QService::QPrivateSignal());
    });
}

QDebug operator<<(QDebug debug, const QService *service)
{
    QDebugStateSaver saver(debug);
    if (!service)
        return debug.nospace() << "QService(nullptr)";
    return debug.nospace().noquote()
           << "QService(" << service->name() << ", "
           << QMetaEnum::fromType<QService::State>().valueToKey(int(service->state())) << ')';
}

} // namespace QLifecycle
