#pragma once

// The library's hot thread-locals (the scheduler's emission queue, the current hook and task:
// a pointer or a counter each, a few dozen bytes in all) use the initial-exec model: reaching
// one is then a single instruction instead of a call into the dynamic linker, which the
// scheduler would pay several times per service transition. The static TLS space this takes
// is far within what the C library keeps for shared libraries loaded later (dlopen, as a QML
// plugin may load the library).
#if defined(__GNUC__) && !defined(_WIN32)
#define QLC_HOT_THREAD_LOCAL [[gnu::tls_model("initial-exec")]] thread_local
#else
#define QLC_HOT_THREAD_LOCAL thread_local
#endif
