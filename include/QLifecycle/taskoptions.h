#pragma once

#include <QtCore/QString>

class QThreadPool;

namespace QLifecycle {

/*!
 * How a background task is run: see QService::addTask().
 * \code
 * addTask(pollUpstream(), {.name = u"poll"_s, .daemon = true});
 * \endcode
 */
struct TaskOptions {
    /*! Used in logs and errors. Default: the callable's name() or toString() if it has one,
     *  else its type; "coroutine #N" or "future #N" for coroutines and adopted futures. */
    QString name;
    /*! A daemon lives as long as its service: ending while the service runs is a crash. */
    bool daemon = false;
    /*! For callables only: the pool to run on. Default: the manager's own pool. */
    QThreadPool *pool = nullptr;
};

} // namespace QLifecycle
