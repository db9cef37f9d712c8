#!/usr/bin/env bash
# The whole QLifecycle test suite: installs what is missing, then builds and runs every test
# twice, in a normal build (preset dev) and in an AddressSanitizer + UBSan build (preset asan).
# Fails when any test fails. Extra arguments go to ctest (e.g. -R tst_ordering).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

jobs=$(nproc 2>/dev/null || echo 2)
for preset in dev asan; do
    echo "== build and test: $preset"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" --parallel "$jobs"
    ctest --preset "$preset" "$@"
done
