#pragma once

#include <QtCore/QtGlobal>

#include <functional>
#include <memory>

#include <QLifecycle/qlifecycle_export.h>

QT_BEGIN_NAMESPACE
class QObject;
QT_END_NAMESPACE

namespace QLifecycle {

/*!
 * The clock and the timers behind every time rule of the library: start and stop timeouts,
 * the cancellable sleeps of tasks, restart backoff and health-check intervals.
 *
 * Applications never need it. Tests install another source, such as the test kit's
 * QLifecycle::Test::VirtualClock, so that these rules are tested without sleeping:
 * \code
 * QLifecycle::Test::VirtualClock clock;      // installed until it is destroyed
 * manager.start();                           // a start() that never ends
 * clock.advanceBy(std::chrono::seconds(30)); // its 30 s start timeout passes at once
 * \endcode
 *
 * The source is process-wide. Install one on the main thread before any manager starts and
 * keep it until every manager has stopped: a timer armed with one source is served by it.
 */
class QLIFECYCLE_EXPORT TimeSource
{
public:
    virtual ~TimeSource();

    /*!
     * A timer armed with callAfter(): destroying it cancels the call. Destroy it on the
     * thread of its context; destroying it from inside its own call is allowed.
     */
    class QLIFECYCLE_EXPORT Timer
    {
    public:
        virtual ~Timer();
    };

    /*! Monotonic milliseconds since an origin of the source's own. */
    virtual qint64 nowMs() const = 0;

    /*!
     * Calls \a callback on the thread of \a context once \a delayMs milliseconds have passed
     * (0 or less: as soon as the event loop runs), unless the returned timer or \a context is
     * destroyed first.
     */
    [[nodiscard]] virtual std::unique_ptr<Timer> callAfter(qint64 delayMs, QObject *context,
                                                           std::function<void()> callback) = 0;

    /*! The source in use: the installed one, else system(). */
    static TimeSource *current();
    /*! The system's monotonic clock and Qt's precise timers. */
    static TimeSource *system();
    /*! Makes \a source current; nullptr goes back to system(). It is not owned. */
    static void install(TimeSource *source);

protected:
    TimeSource() = default;
    Q_DISABLE_COPY_MOVE(TimeSource)
};

} // namespace QLifecycle
