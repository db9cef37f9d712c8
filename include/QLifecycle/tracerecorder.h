#pragma once

#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <memory>

#include <QLifecycle/qlifecycle_export.h>

QT_BEGIN_NAMESPACE
class QIODevice;
QT_END_NAMESPACE

namespace QLifecycle {

class ServiceManager;
class TraceRecorderPrivate;

/*!
 * Records where the time of a manager's runs goes, and exports it (docs/observability.md).
 * Attached to a ServiceManager, the recorder follows the manager's and its services' public
 * signals: every transition with a monotonic timestamp (in nanoseconds; under another
 * TimeSource, such as the test kit's VirtualClock, its milliseconds) and its thread, every
 * failure, restart and health change, the dependency edges of the run (required or optional),
 * and for each start the dependency whose Running released it: the last of its dependencies to
 * become Running before it began Starting.
 *
 * Nothing is recorded, and nothing costs, while no recorder is attached. Setting the
 * environment variable \c QLIFECYCLE_TRACE to a file name makes ServiceManager::run() record
 * its run and write it there when it returns, also after a failure.
 *
 * \code
 * TraceRecorder recorder(&manager);
 * // ... run the manager ...
 * recorder.save(QStringLiteral("startup.json"));
 * \endcode
 */
class QLIFECYCLE_EXPORT TraceRecorder : public QObject
{
    Q_OBJECT

public:
    /*! Constructs a recorder attached to no manager. */
    explicit TraceRecorder(QObject *parent = nullptr);
    /*! Constructs a recorder attached to \a manager (see attach()). */
    explicit TraceRecorder(ServiceManager *manager, QObject *parent = nullptr);
    /*! Detaches and destroys the recorder (the recording goes with it). */
    ~TraceRecorder() override;

    /*!
     * Records \a manager from now on: attach before start() to see the whole run. Attaching
     * to another manager detaches from the first and keeps what was recorded; nullptr detaches.
     */
    void attach(ServiceManager *manager);
    /*! Stops recording; what was recorded stays and can still be saved. */
    void detach();
    /*! The manager being recorded, or nullptr. */
    ServiceManager *manager() const;
    /*! Forgets everything recorded so far. */
    void clear();
    /*! True while nothing was recorded. */
    bool isEmpty() const;

    /*!
     * Writes the recording to \a path, in the format its extension names: \c .json (Chrome
     * trace events, for Perfetto and chrome://tracing), \c .svg (a timeline), \c .dot (the
     * graph, for Graphviz) or \c .txt (the critical chains and the blame). Returns false, with
     * a warning naming the problem, for another extension or a file that cannot be written.
     */
    bool save(const QString &path) const;
    /*! Writes the Chrome trace-event JSON to \a device; false if it cannot be written. */
    bool writeChromeTrace(QIODevice *device) const;
    /*! Writes the SVG timeline to \a device; false if it cannot be written. */
    bool writeTimeline(QIODevice *device) const;
    /*! Writes the Graphviz DOT graph to \a device; false if it cannot be written. */
    bool writeGraph(QIODevice *device) const;
    /*! Writes the critical chains and the blame as text to \a device; false if it cannot be
     *  written. */
    bool writeCriticalChain(QIODevice *device) const;

    /*!
     * The critical chain of the last start: the last service to become Running, then the
     * dependency that released its start, and so on back to a service that waited for none.
     * Names, last service first; empty when no start was recorded.
     */
    QStringList startCriticalChain() const;
    /*!
     * The critical chain of the last stop: the last service to stop, then the dependent whose
     * stop released it, and so on. Names, last service first; empty when no stop was recorded.
     */
    QStringList stopCriticalChain() const;
    /*!
     * The sum of the durations of the starts along the critical chain of the last start (see
     * startCriticalChain()), in nanoseconds (under another TimeSource, its milliseconds times a
     * million): the least the start could take with unlimited parallelism and no scheduling
     * cost. 0 when no start was recorded.
     */
    qint64 startCriticalPathNs() const;
    /*!
     * The sum of the durations of the stops along the critical chain of the last stop (see
     * stopCriticalChain()), in nanoseconds: the least the stop could take with unlimited
     * parallelism and no scheduling cost. 0 when no stop was recorded.
     */
    qint64 stopCriticalPathNs() const;
    /*!
     * The name of the dependency whose Running released the last recorded start of the
     * service named \a service; empty when it waited for none (or no start was recorded).
     */
    QString releasedBy(const QString &service) const;

private:
    Q_DECLARE_PRIVATE(TraceRecorder)
    std::unique_ptr<TraceRecorderPrivate> const d_ptr;
};

} // namespace QLifecycle
