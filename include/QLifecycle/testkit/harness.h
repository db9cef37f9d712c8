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

/*!
 * \file harness.h
 * Running coroutines from QtTest functions, waiting for states, and QLC_CO_VERIFY /
 * QLC_CO_COMPARE for coroutine test bodies. Part of the test kit: link QLifecycle::Test and
 * include `<QLifecycle/TestKit>`.
 */

/*!
 * \namespace QLifecycle::Test
 * The test kit (link QLifecycle::Test, include `<QLifecycle/TestKit>`): what QtTest suites
 * need to test services with QCoro 0.8.
 */
namespace QLifecycle::Test {

using namespace std::chrono_literals;

/*! Thrown by runBlocking() when the coroutine did not finish in time. */
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

/*!
 * Runs \a task to completion from a plain (non-coroutine) test function, spinning the event
 * loop; rethrows its exception, throws Timeout when it takes longer than \a timeout (the
 * coroutine is then abandoned, still suspended). Unlike QCoro::waitFor() in QCoro 0.8 it
 * never hangs on an exception.
 */
inline void runBlocking(QCoro::Task<> task, std::chrono::milliseconds timeout = 10s)
{
    auto state = std::make_shared<detail::BlockingState>();
    detail::drive(std::move(task), state);
    detail::wait(state, timeout);
}

/*! Runs \a task like runBlocking(QCoro::Task<>, std::chrono::milliseconds) and returns its
 *  result. */
template<typename T>
T runBlocking(QCoro::Task<T> task, std::chrono::milliseconds timeout = 10s)
{
    auto state = std::make_shared<detail::BlockingState>();
    auto result = std::make_shared<std::optional<T>>();
    detail::drive(std::move(task), state, result);
    detail::wait(state, timeout);
    return std::move(**result);
}

/*! The states carried by \a spy, a QSignalSpy on QService::stateChanged() or
 *  ServiceManager::stateChanged(), in the order they were emitted. */
QLIFECYCLE_TEST_EXPORT QList<QService::State> states(const QSignalSpy &spy);

/*! Spins the event loop until \a service is in \a state; false if it is not after
 *  \a timeout. */
QLIFECYCLE_TEST_EXPORT bool waitForState(QService *service, QService::State state,
                                         std::chrono::milliseconds timeout = 10s);
/*! Spins the event loop until \a manager is in \a state; false if it is not after
 *  \a timeout. */
QLIFECYCLE_TEST_EXPORT bool waitForState(ServiceManager *manager, QService::State state,
                                         std::chrono::milliseconds timeout = 10s);

/*! Runs \a task like runBlocking() and returns the Error it threw; std::nullopt if it threw
 *  nothing or another std::exception, Timeout included (logged with qWarning()). */
QLIFECYCLE_TEST_EXPORT std::optional<Error> expectError(QCoro::Task<> task,
                                                        std::chrono::milliseconds timeout = 10s);

} // namespace QLifecycle::Test

/*! QVERIFY() for coroutines: QVERIFY and QCOMPARE expand to `return;`, which a coroutine
 *  cannot use. Fails the test and `co_return`s when \a condition is false. */
#define QLC_CO_VERIFY(condition)                                                                   \
    do {                                                                                           \
        if (!QTest::qVerify(static_cast<bool>(condition), #condition, "", __FILE__, __LINE__))     \
            co_return;                                                                             \
    } while (false)
/*! QCOMPARE() for coroutines: fails the test and `co_return`s when \a actual differs from
 *  \a expected. */
#define QLC_CO_COMPARE(actual, expected)                                                           \
    do {                                                                                           \
        if (!QTest::qCompare(actual, expected, #actual, #expected, __FILE__, __LINE__))            \
            co_return;                                                                             \
    } while (false)
