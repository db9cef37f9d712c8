#pragma once

namespace QLifecycle::Test {

// Sets a flag when the scope it lives in ends, however it ends: RAII clean-up (or a `finally`
// block) that a test can check ran when a coroutine unwound.
struct SetOnExit {
    bool *target;
    explicit SetOnExit(bool *flag) : target(flag) {}
    SetOnExit(const SetOnExit &) = delete;
    SetOnExit &operator=(const SetOnExit &) = delete;
    ~SetOnExit() { *target = true; }
};

} // namespace QLifecycle::Test
