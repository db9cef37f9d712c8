#pragma once

#include "tasks/oneshot.h"

#include <QtCore/QString>

#include <exception>

namespace QLifecycle::detail {

// The race behind QService::whileRunning() (impl::Guard): the call against the service leaving
// Running. The event fires when either happens first.
struct GuardRace {
    OneShot event;
    bool completed = false;
    std::exception_ptr error;
    QString interruption; // set when the service is not running, or stopped running first
};

} // namespace QLifecycle::detail
