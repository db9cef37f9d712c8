#!/usr/bin/env bash
# Builds the libFuzzer target fuzz_lifecycle with clang in build/fuzz (library and target
# instrumented, ASan + UBSan) and runs it for SECONDS seconds (default 600), starting from the
# corpus kept in tests/fuzz/corpus. New inputs go to build/fuzz/corpus; crashes to
# build/fuzz/artifacts.
#
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer options...]
#   scripts/fuzz.sh --merge     # minimizes build/fuzz/corpus into tests/fuzz/corpus
#   scripts/fuzz.sh --replay F  # runs one input (a crash artifact, say) and prints its report
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh clang libclang-rt-14-dev

build=build/fuzz
# -fno-sanitize=function: with -fsanitize=fuzzer-no-link, clang 14 fails on the coroutines with
# "error: Cannot represent a difference across sections" (UBSan's function prologue data).
sanitizers="-fsanitize=address,undefined -fno-sanitize=function -fno-sanitize-recover=undefined"
cmake -S . -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ \
    -DQLIFECYCLE_BUILD_FUZZER=ON \
    -DQLIFECYCLE_BUILD_QML=OFF \
    -DQLIFECYCLE_BUILD_EXAMPLES=OFF \
    -DQLIFECYCLE_BUILD_BENCHMARKS=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link $sanitizers -fno-omit-frame-pointer" \
    "-DCMAKE_EXE_LINKER_FLAGS=$sanitizers" \
    "-DCMAKE_SHARED_LINKER_FLAGS=$sanitizers" >/dev/null
cmake --build "$build" --target fuzz_lifecycle --parallel 2

fuzzer="$build/tests/fuzz/fuzz_lifecycle"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$build/corpus" "$build/artifacts"

case "${1:-}" in
--merge)
    # Merges the new inputs into the kept corpus, then keeps the few inputs (at most 36) that
    # cover the most edges, chosen greedily from libFuzzer's merge control file. Edges only,
    # not hit counts: timing makes counts vary from one run to the next.
    control=$(mktemp)
    merged=$(mktemp -d)
    "$fuzzer" -merge=1 -use_counters=0 -timeout=60 -merge_control_file="$control" \
        "$merged" tests/fuzz/corpus "$build/corpus"
    keep=$(python3 - "$control" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
count = int(lines[0])
files = lines[2:2 + count]
edges = {int(p[1]): set(p[2:]) for p in (l.split() for l in lines[2 + count:]) if p and p[0] == "COV"}
chosen, covered = [], set()
while len(chosen) < 36 and edges:
    best = max(edges, key=lambda i: len(edges[i] - covered))
    if not edges[best] - covered:
        break
    chosen.append(files[best])
    covered |= edges.pop(best)
print("\n".join(chosen))
PY
)
    kept=$(mktemp -d)
    while IFS= read -r file; do cp "$file" "$kept/"; done <<<"$keep"
    rm -f tests/fuzz/corpus/*
    cp "$kept"/* tests/fuzz/corpus/
    rm -rf "$merged" "$kept" "$control"
    echo "fuzz: tests/fuzz/corpus has $(ls tests/fuzz/corpus | wc -l) input(s)"
    ;;
--replay)
    QLIFECYCLE_FUZZ_VERBOSE=${QLIFECYCLE_FUZZ_VERBOSE:-} "$fuzzer" -runs=1 "$2"
    ;;
*)
    seconds=${1:-600}
    shift || true
    # -timeout: one input runs a few cycles of at most 40 services; only a hang takes 60 s.
    "$fuzzer" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/" "$@" "$build/corpus" tests/fuzz/corpus
    ;;
esac
