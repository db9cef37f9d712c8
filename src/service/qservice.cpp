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

QService::QService(QObject *parent) : QObject(parent), d(std::make_unique<QServicePrivate>()) {}

void QService::connectNotify(const QMetaMethod &signal)
{
    // Relay objectNameChanged only once someone listens: a connection per service would cost
    // memory and time in graphs of many services.
    if (signal == QMetaMethod::fromSignal(&QService::nameChanged) &&
        !d->nameSignalConnected.exchange(true)) {
        connect(this, &QObject::objectNameChanged, this,
                [this] { Q_EMIT nameChanged(name(), QPrivateSignal()); });
    }
    QObject::connectNotify(signal);
}

QService::~QService()
{
    detail::EmitQueue::forget(this); // nothing queued for it may reach it now
    const std::shared_ptr<ServiceOwner> owner = d->owner.lock();
    if (!owner || !owner->isActive())
        return;
    if (m_state == State::Running || m_state == State::Starting || m_state == State::Stopping) {
        qCWarning(lcService).noquote()
            << name() << "destroyed while"
            << QMetaEnum::fromType<State>().valueToKey(int(m_state.value()))
            << "- stop the ServiceManager before destroying its services";
    }
    // The run must not call this service again: it forgets it, and stops the graph if the
    // service was needed (a failure naming it).
    owner->forget(this);
}

QService::State QService::state() const
{
    return m_state;
}
QBindable<QService::State> QService::bindableState() const
{
    return &m_state;
}
QString QService::errorString() const
{
    return m_errorString;
}
QBindable<QString> QService::bindableErrorString() const
{
    return &m_errorString;
}
std::optional<Failure> QService::failure() const
{
    return d->failure;
}
qint64 QService::startDurationMs() const
{
    return m_startDurationMs;
}
QBindable<qint64> QService::bindableStartDurationMs() const
{
    return &m_startDurationMs;
}
qint64 QService::stopDurationMs() const
{
    return m_stopDurationMs;
}
QBindable<qint64> QService::bindableStopDurationMs() const
{
    return &m_stopDurationMs;
}
ServiceManager *QService::manager() const
{
    return d->activeManager();
}

ServiceManager *QServicePrivate::activeManager() const
{
    const std::shared_ptr<ServiceOwner> current = owner.lock();
    return current && current->isActive() ? manager.data() : nullptr;
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
    const ServiceManager *manager = d->activeManager();
    return manager ? manager->defaultGracefulShutdownTimeout() : std::chrono::milliseconds(10s);
}

std::optional<std::chrono::milliseconds> QService::startTimeout() const
{
    const ServiceManager *manager = d->activeManager();
    return manager ? manager->defaultStartTimeout() : std::nullopt;
}

void QService::notifyState(State state)
{
    Q_EMIT stateChanged(state, QPrivateSignal());
}
void QService::notifyErrorString(const QString &errorString)
{
    Q_EMIT errorStringChanged(errorString, QPrivateSignal());
}
void QService::notifyStartDuration(qint64 ms)
{
    Q_EMIT startDurationMsChanged(ms, QPrivateSignal());
}
void QService::notifyStopDuration(qint64 ms)
{
    Q_EMIT stopDurationMsChanged(ms, QPrivateSignal());
}

void QServicePrivate::beginStart(QService *service)
{
    service->d->failure.reset();
    service->d->tasks.reset(); // a fresh set is made when the first task or wait needs one
    detail::EmitQueue::serviceTaskCounts(service, 0, 0);
    detail::EmitQueue::serviceErrorString(service, QString());
    detail::EmitQueue::serviceState(service, QService::State::Starting);
}

void QServicePrivate::setState(QService *service, QService::State state)
{
    qCDebug(lcService).noquote() << service->name() << "->"
                                 << QMetaEnum::fromType<QService::State>().valueToKey(int(state));
    service->m_state = state;
}

void QServicePrivate::fail(QService *service, const Failure &failure)
{
    if (!service->d->failure)
        service->d->failure = failure; // the first failure of a run is the one to show
    detail::EmitQueue::call(service, [service, phase = failure.phase, message = failure.message] {
        Q_EMIT service->errorOccurred(phase, message, QService::QPrivateSignal());
    });
    detail::EmitQueue::serviceErrorString(service, service->d->failure->reason());
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
