#!/usr/bin/env bash
# Valgrind memcheck over the test programs and the examples of a dev build (LeakSanitizer already
# runs in the ASan build; this catches what it cannot: uninitialised reads, leaks of a normal
# optimised build). Prints the definitely and indirectly lost bytes of every program, and fails
# when a "definitely lost" block was allocated by QLifecycle's code (a stack with a QLifecycle
# frame), or when memcheck reports an error in it. Leaks of Qt, QCoro, fontconfig and Mesa
# internals are suppressed by scripts/valgrind.supp, each entry with the reason.
#
#   scripts/valgrind.sh [--no-build] [BUILD_DIR]
#       BUILD_DIR: default build/dev (preset dev), configured when missing, then brought up to
#       date unless --no-build is given.
#
# Skipped, because valgrind makes them too slow or pointless:
#   tst_property      (thousands of random runs: 50 s natively, far too long under valgrind; its
#                      invariants run under AddressSanitizer and LeakSanitizer instead)
#   tst_signalstorm, tst_process, tst_dashboard, tst_package, tst_debs, tst_docs
#                     (they drive other processes or tools; the examples are run directly below)
# Logs: BUILD_DIR/valgrind/<program>.log
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh valgrind

update=1
if [ "${1:-}" = --no-build ]; then
    update=0
    shift
fi
build=${1:-build/dev}
if [ ! -f "$build/build.ninja" ]; then
    cmake --preset dev >/dev/null
    build=build/dev
    update=1
fi
if [ "$update" = 1 ]; then
    cmake --build "$build" --parallel 2 >/dev/null
fi

logs="$build/valgrind"
mkdir -p "$logs"
suppressions="$PWD/scripts/valgrind.supp"
skip='^(tst_property|tst_signalstorm|tst_process|tst_dashboard)$'

programs=()
for exe in "$build"/tests/tst_* "$build"/tests/*/tst_*; do
    name=$(basename "$exe")
    [ -x "$exe" ] && [ -f "$exe" ] || continue
    [[ $name =~ $skip ]] && continue
    programs+=("$exe")
done

failed=0
printf '%-28s %14s %14s %7s  %s\n' program "definitely" "indirectly" errors verdict

# Runs one program under memcheck; $1 is the log name, the rest the command line.
check() {
    local name=$1
    shift
    local log="$logs/$name.log"
    # No PCRE2 JIT for QRegularExpression: memcheck cannot follow JIT code (false errors).
    QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software QT_ENABLE_REGEXP_JIT=0 \
        valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite --num-callers=40 --track-origins=no \
        --suppressions="$suppressions" --gen-suppressions=all --log-file="$log" \
        "$@" >"$logs/$name.out" 2>&1 || true
    local definite indirect errors ours
    definite=$(awk '/definitely lost:/ {gsub(",", "", $4); print $4; exit}' "$log")
    indirect=$(awk '/indirectly lost:/ {gsub(",", "", $4); print $4; exit}' "$log")
    errors=$(awk '/ERROR SUMMARY:/ {print $4; exit}' "$log")
    # Each definitely-lost record or memcheck error, from its first line to the blank line that
    # ends it: ours if a frame of its stack is QLifecycle's.
    ours=$(awk '
        /^==[0-9]+== [^ ]/ && !inside { inside = 1; text = "" }
        inside { text = text "\n" $0 }
        /^==[0-9]+== $/ && inside {
            inside = 0
            if (text ~ /are definitely lost|Invalid (read|write|free)|uninitialised|Mismatched/ &&
                text ~ /QLifecycle|libQLifecycle/ && text !~ /ERROR SUMMARY|LEAK SUMMARY/)
                n++
        }
        END { print n + 0 }' "$log")
    local verdict=ok
    if ! grep -q "ERROR SUMMARY" "$log"; then
        verdict="did not finish (see $log)"
        failed=1
    elif [ "$ours" != 0 ]; then
        verdict="$ours record(s) from QLifecycle (see $log)"
        failed=1
    elif grep -q '^FAIL!' "$logs/$name.out"; then
        verdict="ok, but a test failed under valgrind (see $logs/$name.out)"
    fi
    printf '%-28s %14s %14s %7s  %s\n' "$name" "${definite:-0} B" "${indirect:-0} B" \
        "${errors:-?}" "$verdict"
}

for exe in "${programs[@]}"; do
    check "$(basename "$exe")" "$exe"
done
check console "$build/examples/console/qlifecycle-console" --seconds 1
if [ -x "$build/examples/dashboard/qlifecycle-dashboard" ]; then
    check "dashboard" "$build/examples/dashboard/qlifecycle-dashboard" --quit-after-ms 500
fi
if [ -x "$build/examples/notes/qlifecycle-notes" ]; then # its worker thread and quit guard
    check "notes" "$build/examples/notes/qlifecycle-notes" --modified \
        --screenshot "$logs/notes.png" --screenshot-when closing
fi
if [ -x "$build/examples/widgets/qlifecycle-widgets" ]; then
    check "widgets" "$build/examples/widgets/qlifecycle-widgets" \
        --screenshot "$logs/widgets.png"
fi

if [ "$failed" != 0 ]; then
    echo "valgrind: QLifecycle leaks or memory errors, see $logs" >&2
    exit 1
fi
echo "valgrind: no definitely lost block and no memory error from QLifecycle"
