#pragma once

#include <QtCore/QLoggingCategory>

// Categories are quiet by default: warnings and errors only. Enable more with
// QT_LOGGING_RULES="qlifecycle.*.debug=true".
namespace QLifecycle {
Q_DECLARE_LOGGING_CATEGORY(lcManager) // qlifecycle.manager: runs, aggregate state, failures
Q_DECLARE_LOGGING_CATEGORY(lcService) // qlifecycle.service: every service transition
Q_DECLARE_LOGGING_CATEGORY(lcSignals) // qlifecycle.signals: Unix signals and quit handling
Q_DECLARE_LOGGING_CATEGORY(lcTask)    // qlifecycle.task: every background task; task failures
} // namespace QLifecycle
