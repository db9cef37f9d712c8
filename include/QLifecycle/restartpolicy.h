#pragma once

#include <QtCore/QMetaType>

#include <chrono>

namespace QLifecycle {

/*!
 * When and how the manager restarts a service that fails while its graph runs
 * (docs/supervision.md). Set it with QService::setRestartPolicy() from the service's own code,
 * usually its constructor:
 * \code
 * setRestartPolicy({.mode = QLifecycle::RestartPolicy::OnFailure,
 *                   .initialDelay = std::chrono::seconds(1)});
 * \endcode
 *
 * A restart takes down the failed service and every service that needs it (dependents first,
 * with their normal stop), waits until all of them have stopped, waits the backoff delay, then
 * starts them again in dependency order. Services outside that set see nothing.
 *
 * The delay of the k-th restart in a row is initialDelay × multiplier^(k-1), at most maxDelay,
 * then moved by up to ±jitter of itself (ServiceManager::setJitterSeed() makes it repeatable).
 * A service that ran for resetAfter without failing starts again from initialDelay. More than
 * maxRestarts restarts of the service within window, or more than the manager's own
 * intensity (ServiceManager::setRestartIntensity()), and the failure is final: the graph stops
 * as it does without a policy, and the error lists the restarts that came before.
 */
struct RestartPolicy {
    /*! Which endings of a service are restarted. */
    enum Mode {
        Never,     //!< No restart: a failure stops the graph (the default).
        OnFailure, //!< A failed start (an exception or the start timeout) and a crash of the
                   //!< running service (a task's exception, a health escalation).
        Always,    //!< Those, and a daemon task that returns while the service runs.
    };
    Mode mode = Mode::Never;                     //!< Which endings are restarted.
    std::chrono::milliseconds initialDelay{100}; //!< The delay of the first restart in a row.
    double multiplier = 2.0;                     //!< Each restart in a row waits this much more.
    std::chrono::milliseconds maxDelay{30000};   //!< No delay is longer.
    double jitter = 0.1;                         //!< At most this fraction of the delay, ±.
    std::chrono::milliseconds resetAfter{60000}; //!< A run this long restarts the backoff.
    int maxRestarts = 5;                         //!< At most this many restarts...
    std::chrono::milliseconds window{60000};     //!< ...within this window.

    friend bool operator==(const RestartPolicy &, const RestartPolicy &) = default;
};

} // namespace QLifecycle

Q_DECLARE_METATYPE(QLifecycle::RestartPolicy)
