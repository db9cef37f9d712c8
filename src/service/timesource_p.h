#pragma once

#include <QtCore/QtGlobal>

namespace QLifecycle::detail {

// Bumped by every TimeSource::install(): a timer kept across calls (the sleep queue of a
// thread) re-arms with the source in use once it has changed.
quint64 timeSourceEpoch();

} // namespace QLifecycle::detail
