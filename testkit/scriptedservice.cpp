#include <QLifecycle/testkit/scriptedservice.h>

#include <stdexcept>
#include <vector>

namespace QLifecycle::Test {

ScriptedService::ScriptedService(const QString &name, EventLog *log, QObject *parent)
    : QService(parent), m_log(log)
{
    setObjectName(name);
}

ScriptedService::~ScriptedService()
{
    *m_alive = false;
    m_sleeper.wakeAll(); // abandoned hooks resume, see they are orphaned, and end
}

void ScriptedService::record(const QString &what)
{
    if (m_log)
        m_log->add(name() + QLatin1Char(':') + what);
}

QList<State> ScriptedService::dependencyStates() const
{
    QList<State> states;
    for (const Stage &stage : deps)
        for (QService *service : stage.services())
            states.append(service ? service->state() : State::Stopped);
    return states;
}

// Plays a script; the caller must check *alive before touching the service afterwards.
// Plays a script; the caller must check *alive before touching the service afterwards.
QCoro::Task<> ScriptedService::play(Script script, std::shared_ptr<bool> alive)
{
    using std::chrono::milliseconds;
    const std::vector<milliseconds> steps = {script.yield ? milliseconds(1) : milliseconds(0),
                                             script.delay,
                                             script.hang ? milliseconds(-1) : milliseconds(0)};
    for (const milliseconds step : steps) {
        if (step.count() == 0)
            continue;
        if (script.cancellable) {
            co_await sleepFor(step.count() < 0 ? std::chrono::hours(24 * 365) : step);
        } else {
            co_await m_sleeper.sleep(step);
        }
        if (!*alive)
            co_return;
    }
    if (script.throwNonStd)
        throw 42;
    if (script.fail)
        throw std::runtime_error(script.failMessage.toStdString());
}

QCoro::Task<> ScriptedService::crashLater(std::chrono::milliseconds delay)
{
    co_await sleepFor(delay);
    throw std::runtime_error("scripted crash");
}

QCoro::Task<> ScriptedService::start()
{
    const std::shared_ptr<bool> alive = m_alive;
    ++startCalls;
    dependencyStatesAtStart = dependencyStates();
    record(QStringLiteral("start"));
    if (crashAfter)
        addTask(crashLater(*crashAfter), {.name = QStringLiteral("scripted crash")});
    co_await play(onStart, alive);
    if (!*alive)
        co_return;
    ++startReturns;
    record(QStringLiteral("started"));
}

QCoro::Task<> ScriptedService::stop()
{
    const std::shared_ptr<bool> alive = m_alive;
    ++stopCalls;
    record(QStringLiteral("stop"));
    co_await play(onStop, alive);
    if (!*alive)
        co_return;
    ++stopReturns;
    dependencyStatesAtStop = dependencyStates();
    record(QStringLiteral("stopped"));
}

std::chrono::milliseconds ScriptedService::gracefulShutdownTimeout() const
{
    return stopTimeout.value_or(QService::gracefulShutdownTimeout());
}

std::optional<std::chrono::milliseconds> ScriptedService::startTimeout() const
{
    return startLimit ? startLimit : QService::startTimeout();
}

} // namespace QLifecycle::Test
