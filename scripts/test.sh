#!/usr/bin/env bash
# The whole QLifecycle test suite: installs what is missing, runs the format and lint checks
# (scripts/lint.sh), then builds and runs every test twice, in a normal build (preset dev) and in
# an AddressSanitizer + UBSan build (preset asan). Fails when any test fails or any lint check
# fails; the tests run either way. Extra arguments go to ctest (e.g. -R tst_ordering);
# QLIFECYCLE_LINT=0 in the environment skips the lint.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# Once, before the builds: clang-tidy reads the compile database of the dev build, so that one is
# configured first (nothing is compiled for it).
lint=0
if [ "${QLIFECYCLE_LINT:-1}" != 0 ]; then
    cmake --preset dev >/dev/null
    bash scripts/lint.sh || lint=1
fi

jobs=$(nproc 2>/dev/null || echo 2)
for preset in dev asan; do
    echo "== build and test: $preset"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" --parallel "$jobs"
    ctest --preset "$preset" "$@"
done

if [ "$lint" != 0 ]; then
    echo "test.sh: the tests passed, the lint did not (report above; scripts/lint.sh runs it alone)"
    exit 1
fi
