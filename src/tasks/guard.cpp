// The library side of QService::whileRunning() (impl::Guard).

#include <QLifecycle/qservice.h>

#include "service/qservice_p.h"
#include "tasks/guardrace.h"
#include "tasks/taskset.h"

#include <QtCore/QMetaEnum>

namespace QLifecycle::impl {

Guard::Guard(QService *service) : m_race(std::make_shared<detail::GuardRace>())
{
    if (service->state() != State::Running) {
        m_race->interruption =
            QStringLiteral("%1 is not running (%2)")
                .arg(service->name(),
                     QString::fromLatin1(
                         QMetaEnum::fromType<QService::State>().valueToKey(int(service->state()))));
        m_race->event.fire(); // awaiting it throws at once
        return;
    }
    QServicePrivate::tasksFor(service)->addGuard(m_race); // interrupted when the service stops
}

Guard::operator bool() const
{
    return m_race->interruption.isEmpty();
}

void Guard::complete(const std::exception_ptr &error) const
{
    if (!m_race->interruption.isEmpty())
        return; // the caller was already told the service stopped running
    m_race->error = error;
    m_race->completed = true;
    m_race->event.fire();
}

bool Guard::await_ready() const noexcept
{
    return m_race->event.isSet();
}

void Guard::await_suspend(std::coroutine_handle<> waiter) const
{
    m_race->event.operator co_await().await_suspend(waiter);
}

void Guard::await_resume() const
{
    if (!m_race->completed)
        throw LifecycleError(m_race->interruption);
    if (m_race->error)
        std::rethrow_exception(m_race->error);
}

QCoro::Task<> pumpGuardedCall(QCoro::Task<> call, Guard guard, void * /*result*/)
{
    std::exception_ptr error;
    try {
        co_await call;
    } catch (...) {
        error = std::current_exception();
    }
    guard.complete(error);
}

} // namespace QLifecycle::impl
