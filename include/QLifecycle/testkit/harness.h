#pragma once

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/testkit/qlifecycle_test_export.h>

#include <QtCore/QEventLoop>
#include <QtCore/QTimer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>

namespace QLifecycle::Test {

using namespace std::chrono_literals;

// Thrown by runBlocking() when the coroutine did not finish in time.
class QLIFECYCLE_TEST_EXPORT Timeout : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

namespace detail {
struct BlockingState {
    bool finished = false;
    std::exception_ptr error;
    QEventLoop loop;
};

template<typename T>
QCoro::Task<> drive(QCoro::Task<T> task, std::shared_ptr<BlockingState> state,
                    std::shared_ptr<std::optional<T>> result)
{
    try {
        result->emplace(co_await task);
    } catch (...) {
        state->error = std::current_exception();
    }
    state->finished = true;
    state->loop.quit();
}

inline QCoro::Task<> drive(QCoro::Task<> task, std::shared_ptr<BlockingState> state)
{
    try {
        co_await task;
    } catch (...) {
        state->error = std::current_exception();
    }
    state->finished = true;
    state->loop.quit();
}

inline void wait(const std::shared_ptr<BlockingState> &state, std::chrono::milliseconds timeout)
{
    if (!state->finished) {
        QTimer::singleShot(timeout, &state->loop, &QEventLoop::quit);
        state->loop.exec();
    }
    if (!state->finished)
        throw Timeout("coroutine did not finish within " + std::to_string(timeout.count()) + " ms");
    if (state->error)
        std::rethrow_exception(state->error);
}
} // namespace detail

// Runs a coroutine to completion from a plain (non-coroutine) test function, spinning the
// event loop; rethrows its exception, throws Timeout when it takes longer than `timeout`.
// Unlike QCoro::waitFor in QCoro 0.8 it never hangs on an exception.
inline void runBlocking(QCoro::Task<> task, std::chrono::milliseconds timeout = 10s)
{
    auto state = std::make_shared<detail::BlockingState>();
    detail::drive(std::move(task), state);
    detail::wait(state, timeout);
}

template<typename T>
T runBlocking(QCoro::Task<T> task, std::chrono::milliseconds timeout = 10s)
{
    auto state = std::make_shared<detail::BlockingState>();
    auto result = std::make_shared<std::optional<T>>();
    detail::drive(std::move(task), state, result);
    detail::wait(state, timeout);
    return std::move(**result);
}

// The states carried by a QSignalSpy on QService::stateChanged or ServiceManager::stateChanged.
QLIFECYCLE_TEST_EXPORT QList<QService::State> states(const QSignalSpy &spy);

// Spins the event loop until `object` (a service or a manager) is in `state`.
QLIFECYCLE_TEST_EXPORT bool waitForState(QService *service, QService::State state,
                                         std::chrono::milliseconds timeout = 10s);
QLIFECYCLE_TEST_EXPORT bool waitForState(ServiceManager *manager, QService::State state,
                                         std::chrono::milliseconds timeout = 10s);

// Runs `task` and returns the Error it threw; a test failure if it threw nothing else.
QLIFECYCLE_TEST_EXPORT std::optional<Error> expectError(QCoro::Task<> task,
                                                        std::chrono::milliseconds timeout = 10s);

} // namespace QLifecycle::Test

// QVERIFY/QCOMPARE expand to `return;`, which a coroutine cannot use.
#define CO_VERIFY(condition)                                                                       \
    do {                                                                                           \
        if (!QTest::qVerify(static_cast<bool>(condition), #condition, "", __FILE__, __LINE__))     \
            co_return;                                                                             \
    } while (false)
#define CO_COMPARE(actual, expected)                                                               \
    do {                                                                                           \
        if (!QTest::qCompare(actual, expected, #actual, #expected, __FILE__, __LINE__))            \
            co_return;                                                                             \
    } while (false)
