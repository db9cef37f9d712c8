#pragma once

// What the supervision suites share (tst_supervision, tst_restartdelays).

#include <QLifecycle/RestartPolicy>

#include <QCoro/QCoroTask>

#include <chrono>
#include <stdexcept>

namespace restartkit {

using namespace std::chrono_literals;

// A policy whose delays are exact (no jitter) and short.
inline QLifecycle::RestartPolicy
quick(QLifecycle::RestartPolicy::Mode mode = QLifecycle::RestartPolicy::OnFailure,
      int maxRestarts = 5)
{
    return {.mode = mode,
            .initialDelay = 10ms,
            .multiplier = 2.0,
            .maxDelay = 1000ms,
            .jitter = 0.0,
            .maxRestarts = maxRestarts,
            .window = 60s};
}

// A task that fails as soon as it runs: a crash of its service.
inline QCoro::Task<> crashNow(const char *message)
{
    throw std::runtime_error(message);
    co_return;
}

} // namespace restartkit
