#pragma once

#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QString>

#include <exception>

#include <QLifecycle/qlifecycle_export.h>

/*!
 * \namespace QLifecycle
 * Everything QLifecycle offers: QService, ServiceManager, Dependencies, the errors, and
 * ServiceModel for QML. The test kit lives in QLifecycle::Test.
 */
namespace QLifecycle {

Q_NAMESPACE_EXPORT(QLIFECYCLE_EXPORT)

/*! The phase of a service's life in which a failure happened. */
enum class Phase {
    Validate, //!< The dependency graph was refused before anything started.
    Start,    //!< start() threw or timed out.
    Run,      //!< A crash while the service was running (a background task failed).
    Stop,     //!< stop() threw or timed out.
};
Q_ENUM_NS(Phase)

/*! The name of \a phase in logs: "validate", "start", "run" or "stop". */
QLIFECYCLE_EXPORT QString phaseName(Phase phase);

/*! One failure of one service, as collected by the ServiceManager. */
struct QLIFECYCLE_EXPORT Failure {
    QString service;            //!< The service's name (QService::name()), empty for graph errors.
    Phase phase = Phase::Start; //!< When it happened.
    QString message;            //!< What went wrong, without the service name.
    std::exception_ptr cause;   //!< The original exception, when there was one.

    /*! "start failed: connection refused": the phase and the message, without the service. */
    QString reason() const;
    /*! "db: start failed: connection refused". */
    QString toString() const;
};

/*!
 * The one error type QLifecycle throws: an aggregate of every failure of a run, primary
 * first, in the order they happened. Nothing is dropped: a failed start followed by a failed
 * rollback stop gives an Error with two failures.
 *
 * It is what `co_await manager.start()`, `stop()` and `wait()` throw, and what
 * ServiceManager::error() returns after a failed run.
 */
class QLIFECYCLE_EXPORT Error : public std::exception
{
public:
    /*! An error made of \a failures; the first one is the primary cause. */
    explicit Error(QList<Failure> failures);
    /*! A single failure. */
    Error(const QString &service, Phase phase, const QString &message,
          std::exception_ptr cause = {});

    /*! Every failure, primary first. Never empty. */
    const QList<Failure> &failures() const { return m_failures; }
    /*! The first failure: the cause of everything after it. */
    const Failure &primary() const { return m_failures.first(); }
    /*! All failures on one line each, primary first. */
    QString message() const;
    /*! message() in UTF-8. */
    const char *what() const noexcept override { return m_what.constData(); }

private:
    QList<Failure> m_failures;
    QByteArray m_what;
};

/*!
 * Thrown out of a cancellable wait (QService::sleepFor(), waitFor(), waitForSignal()) when
 * the task (or the start) that waits is cancelled because its service stops. Let it unwind
 * the coroutine: destructors and clean-up code run, and a task that ends with it counts as
 * cancelled, not failed. Throwing it yourself cancels the task.
 */
class QLIFECYCLE_EXPORT Cancelled : public std::exception
{
public:
    /*! "cancelled: the service is stopping". */
    const char *what() const noexcept override;
};

/*!
 * Thrown by a call guarded with QService::whileRunning() when the service is not Running,
 * or stops running while the call is in flight; and by ServiceManager::start(), stop() and
 * wait() when they are misused: called from another thread than the manager's, or from a
 * start() or stop() of the manager's own graph (which they would wait for).
 */
class QLIFECYCLE_EXPORT LifecycleError : public std::exception
{
public:
    /*! An error saying \a message. */
    explicit LifecycleError(const QString &message);
    /*! What went wrong: "api is not running (Stopped)", or similar. */
    QString message() const { return QString::fromUtf8(m_what); }
    /*! message() in UTF-8. */
    const char *what() const noexcept override { return m_what.constData(); }

private:
    QByteArray m_what;
};

/*!
 * A readable description of any exception \a error: what() for a std::exception (unwrapped
 * from a QUnhandledException), the text of a thrown QString or C string, else a fallback.
 */
QLIFECYCLE_EXPORT QString describeException(const std::exception_ptr &error);

} // namespace QLifecycle
