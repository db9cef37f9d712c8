#pragma once

#include <QtCore/QString>

#include <exception>

namespace QLifecycle::detail {

// What describeException() says of `error`, and whether it is a cancellation (Cancelled, or a
// class derived from it): one rethrow for both, where a crash or a failed start needs both
// (a rethrow costs microseconds: a storm of failures pays it per failure).
QString describeFailure(const std::exception_ptr &error, bool *cancelled);

} // namespace QLifecycle::detail
