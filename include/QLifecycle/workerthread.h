#pragma once

#include <QtCore/QObject>
#include <QtCore/QThread>

#include <memory>
#include <type_traits>

#include <QLifecycle/qlifecycle_export.h>

namespace QLifecycle {

class QService;
class WorkerThreadPrivate;

/*!
 * A thread of a service's own, for work that must not run on the manager's thread (blocking
 * calls, a library that wants a thread of its own, heavy computation in a QObject).
 *
 * The service's lifecycle (state, signals, start() and stop()) stays on the manager's thread;
 * the worker objects live on the worker thread and talk to the service through queued
 * signals and slots:
 * \code
 * class Indexer : public QLifecycle::QService {
 *     Q_OBJECT
 * protected:
 *     QCoro::Task<> start() override {
 *         Crawler *crawler = m_thread.adopt(new Crawler);  // lives on the worker thread
 *         connect(this, &Indexer::crawlRequested, crawler, &Crawler::crawl);
 *         m_thread.start();                                  // quit and joined on stop
 *         co_return;
 *     }
 * private:
 *     QLifecycle::WorkerThread m_thread{this};
 * };
 * \endcode
 *
 * Started from start() (or later, while the service runs), the thread is one of the service's
 * background tasks, a daemon: when the service stops, its event loop is asked to quit
 * (QThread::quit() and QThread::requestInterruption()), the adopted workers are deleted on the
 * worker thread, and the thread is joined, all before the service's own stop() is called and
 * within its graceful shutdown timeout. A thread that does not end in time is abandoned
 * safely: the service ends Failed with a timeout naming it, and the QThread is kept until its
 * thread ends by itself, whenever that is (after the service, the manager or the application
 * are gone included); it is never destroyed while it runs. A thread that ends by itself while
 * the service runs is a crash of the service, as a daemon task's return is.
 *
 * A WorkerThread and its service live on the same thread; call its functions there.
 *
 * \sa QService::addTask()
 */
class QLIFECYCLE_EXPORT WorkerThread : public QObject
{
    Q_OBJECT

public:
    /*! A worker thread for \a service, which becomes its parent. The thread is named after the
     *  service (or after this object's objectName(), when set). */
    explicit WorkerThread(QService *service);
    /*! Destroys the object. A thread still running is asked to quit and abandoned safely (its
     *  workers are deleted on it when it ends): stop the service first. */
    ~WorkerThread() override;

    /*!
     * The QThread of the current or last run, for what adopt() does not cover (its signals,
     * isRunning(), a priority). After a run whose thread was abandoned, the next adopt() or
     * start() makes a new QThread.
     */
    QThread *workerThread() const;

    /*!
     * Moves \a worker (a QObject without a parent, living on this object's thread) to the
     * worker thread and returns it. It is deleted on the worker thread when the thread's run
     * ends: the end of the current run if the thread is running, else of the next one (or with
     * this object, if the thread never runs again). Its destructor is therefore the place for
     * the worker's clean-up. Adopt workers before start() so that they see the thread's first
     * events.
     */
    template<typename T>
    T *adopt(T *worker)
    {
        static_assert(std::is_base_of_v<QObject, T>, "adopt() takes QObjects");
        adoptObject(worker);
        return worker;
    }

    /*!
     * Starts the thread's event loop with \a priority, as a background task of the service: it
     * may be called while the service is Starting or Running, from the service's thread
     * (usually from start()). Returns true when the thread runs, also when it already did;
     * false, with a warning, when the service does not run: the thread is not started.
     */
    bool start(QThread::Priority priority = QThread::InheritPriority);

private:
    void adoptObject(QObject *worker);

    Q_DECLARE_PRIVATE(WorkerThread)
    std::unique_ptr<WorkerThreadPrivate> const d_ptr;
};

} // namespace QLifecycle
