#include <QLifecycle/testkit/harness.h>

namespace QLifecycle::Test {

QList<QService::State> states(const QSignalSpy &spy)
{
    QList<QService::State> result;
    for (const QList<QVariant> &arguments : spy)
        result.append(arguments.at(0).value<QService::State>());
    return result;
}

template<typename Object>
static bool waitFor(Object *object, QService::State state, std::chrono::milliseconds timeout)
{
    QDeadlineTimer deadline(timeout);
    while (object->state() != state && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 10);
    return object->state() == state;
}

bool waitForState(QService *service, QService::State state, std::chrono::milliseconds timeout)
{
    return waitFor(service, state, timeout);
}

bool waitForState(ServiceManager *manager, QService::State state, std::chrono::milliseconds timeout)
{
    return waitFor(manager, state, timeout);
}

std::optional<Error> expectError(QCoro::Task<> task, std::chrono::milliseconds timeout)
{
    try {
        runBlocking(std::move(task), timeout);
    } catch (const Error &error) {
        return error;
    } catch (const std::exception &other) {
        qWarning("expected a QLifecycle::Error, got: %s", other.what());
    }
    return std::nullopt;
}

} // namespace QLifecycle::Test
