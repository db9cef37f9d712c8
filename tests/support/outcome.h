#pragma once

#include <QLifecycle/Error>

#include <QCoro/QCoroTask>

#include <memory>
#include <optional>

namespace QLifecycle::Test {

// How a coroutine ended, for tests that drive time themselves (VirtualClock) instead of
// blocking in runBlocking(): launch() starts it, the test advances the clock, then looks.
struct Outcome {
    bool done = false;
    std::optional<Error> error; // the QLifecycle::Error it threw, if any
};

inline QCoro::Task<> recordOutcome(QCoro::Task<> task, std::shared_ptr<Outcome> outcome)
{
    try {
        co_await task;
    } catch (const Error &error) {
        outcome->error = error;
    }
    outcome->done = true;
}

inline std::shared_ptr<Outcome> launch(QCoro::Task<> task)
{
    auto outcome = std::make_shared<Outcome>();
    recordOutcome(std::move(task), outcome);
    return outcome;
}

} // namespace QLifecycle::Test
