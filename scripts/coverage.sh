#!/usr/bin/env bash
# Line coverage of the library (src/) by the test suite: a --coverage -O0 build in
# build/coverage, ctest, then lcov over src/ only. Prints the percentage and fails below 90 %.
# The HTML report (when genhtml is there) goes to build/coverage/html.
#
#   scripts/coverage.sh [extra ctest arguments]
#
# Left out of the run: tst_package and tst_debs (they install and build a separate project),
# tst_docs (Doxygen). The signal storm runs 40 times rather than 200: the same code paths.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh lcov

build=build/coverage
minimum=90
cmake -S . -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Debug \
    -DQLIFECYCLE_DEVELOPER_WARNINGS=ON \
    -DQLIFECYCLE_BUILD_BENCHMARKS=OFF \
    -DCMAKE_CXX_FLAGS="--coverage -O0" \
    -DCMAKE_EXE_LINKER_FLAGS=--coverage \
    -DCMAKE_SHARED_LINKER_FLAGS=--coverage >/dev/null
cmake --build "$build" --parallel 2

lcov --quiet --zerocounters --directory "$build"
QLIFECYCLE_STORM_RUNS=40 ctest --test-dir "$build" --output-on-failure --timeout 900 \
    -E '^(tst_package|tst_debs|tst_docs)$' "$@"

info="$build/coverage.info"
lcov --quiet --capture --directory "$build" --output-file "$build/all.info"
lcov --quiet --extract "$build/all.info" "$PWD/src/*" --output-file "$info"
lcov --summary "$info" 2>&1 | tee "$build/summary.txt"
if command -v genhtml >/dev/null; then
    genhtml --quiet "$info" --output-directory "$build/html" || true
fi

percent=$(awk '/lines\.*:/ {sub("%", "", $2); print $2; exit}' "$build/summary.txt")
if [ -z "$percent" ]; then
    echo "coverage: no line coverage figure" >&2
    exit 1
fi
echo "coverage: ${percent}% of the lines of src/ (minimum ${minimum}%)"
if awk -v p="$percent" -v m="$minimum" 'BEGIN { exit !(p < m) }'; then
    echo "coverage: below ${minimum}%" >&2
    exit 1
fi
