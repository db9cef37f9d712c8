#include <QLifecycle/qservice.h>

#include "service/emitqueue.h"
#include "service/logging.h"
#include "service/qservice_p.h"

#include <utility>

namespace QLifecycle {

using detail::EmitQueue;

// What a service shows of its supervision (docs/supervision.md): its restart policy, and the
// restarts the manager makes. The manager decides; the changes reach the outside world
// through the EmitQueue, once its bookkeeping is complete.

RestartPolicy QService::restartPolicy() const
{
    const std::unique_ptr<RestartPolicy> &policy = d_func()->restartPolicy;
    return policy ? *policy : RestartPolicy();
}

int QService::restartCount() const
{
    return d_func()->restartCount;
}

qint64 QService::restartDelayMs() const
{
    return d_func()->restartDelayMs;
}

bool QService::isOptional() const
{
    return d_func()->optional;
}

void QService::setOptional(bool optional)
{
    if (std::exchange(d_func()->optional, optional) != optional)
        Q_EMIT optionalChanged(optional, QPrivateSignal());
}

namespace {
QString checkPolicy(const RestartPolicy &policy)
{
    if (policy.initialDelay.count() < 0 || policy.maxDelay.count() < 0)
        return QStringLiteral("a delay cannot be negative");
    if (!(policy.multiplier >= 1.0))
        return QStringLiteral("the multiplier must be at least 1");
    if (!(policy.jitter >= 0.0 && policy.jitter <= 1.0))
        return QStringLiteral("the jitter must be between 0 and 1");
    if (policy.maxRestarts < 0)
        return QStringLiteral("maxRestarts cannot be negative");
    if (policy.window.count() < 0 || policy.resetAfter.count() < 0)
        return QStringLiteral("the window and resetAfter cannot be negative");
    return {};
}
} // namespace

void QService::setRestartPolicy(const RestartPolicy &policy)
{
    if (const QString refused = checkPolicy(policy); !refused.isEmpty()) {
        qCWarning(lcService).noquote()
            << name() + QStringLiteral(": setRestartPolicy() refused: ") + refused;
        return;
    }
    std::unique_ptr<RestartPolicy> &stored = d_func()->restartPolicy;
    if (policy.mode == RestartPolicy::Never)
        stored.reset();
    else if (stored)
        *stored = policy;
    else
        stored = std::make_unique<RestartPolicy>(policy);
}

void QServicePrivate::queueRestartCount(QService *service, int count)
{
    QServicePrivate *d = get(service);
    if (!d->watched.load(std::memory_order_relaxed)) {
        d->restartCount = count;
        return;
    }
    EmitQueue::call(service, [service, count] {
        QServicePrivate *d = get(service);
        if (std::exchange(d->restartCount, count) != count)
            Q_EMIT service->restartCountChanged(count, QService::QPrivateSignal());
    });
}

void QServicePrivate::queueRestartDelay(QService *service, qint64 ms)
{
    QServicePrivate *d = get(service);
    if (!d->watched.load(std::memory_order_relaxed)) {
        d->restartDelayMs = ms; // nobody listens: nothing to queue (a storm queues nothing)
        return;
    }
    EmitQueue::call(service, [service, ms] {
        QServicePrivate *d = get(service);
        if (std::exchange(d->restartDelayMs, ms) != ms)
            Q_EMIT service->restartDelayMsChanged(ms, QService::QPrivateSignal());
    });
}

void QServicePrivate::queueRestartScheduled(QService *service, qint64 delayMs,
                                            const QString &reason)
{
    if (!get(service)->watched.load(std::memory_order_relaxed))
        return; // a signal nobody receives
    EmitQueue::call(service, [service, delayMs, reason] {
        Q_EMIT service->restartScheduled(delayMs, reason, QService::QPrivateSignal());
    });
}

} // namespace QLifecycle
