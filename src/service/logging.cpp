#include "service/logging.h"

namespace QLifecycle {
Q_LOGGING_CATEGORY(lcManager, "qlifecycle.manager", QtWarningMsg)
Q_LOGGING_CATEGORY(lcService, "qlifecycle.service", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSignals, "qlifecycle.signals", QtWarningMsg)
Q_LOGGING_CATEGORY(lcTask, "qlifecycle.task", QtWarningMsg)
} // namespace QLifecycle
