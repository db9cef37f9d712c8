#!/usr/bin/env bash
# The QLifecycle demo: installs what is missing, builds, and runs the console example, a small
# daemon of seven services. Press Ctrl-C to stop it gracefully (twice to exit at once).
# Extra arguments go to the example, e.g. --seconds 5 or --fail-start Search.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

cmake --preset dev >/dev/null
cmake --build --preset dev --parallel "$(nproc 2>/dev/null || echo 2)" --target console_example
exec ./build/dev/examples/console/qlifecycle-console "$@"
