#!/usr/bin/env bash
# The traces of docs/observability.md, recorded from the console example through
# QLIFECYCLE_TRACE: the SVG timeline of six seconds with a flaky Database (it crashes and is
# restarted, with Metrics and Api), and the critical chains of a plain two-second run.
#
#   docs/images/shots-trace.sh [BUILD_DIR]      (default build/dev; the example must be built)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
example=$build/examples/console/qlifecycle-console
images=docs/images
if [ ! -x "$example" ]; then
    echo "shots-trace: no $example (cmake --build $build --target console_example)" >&2
    exit 2
fi
QLIFECYCLE_TRACE="$images/console-trace.svg" "$example" --seconds 6 --flaky Database \
    >/dev/null 2>&1
QLIFECYCLE_TRACE="$images/console-trace.txt" "$example" --seconds 2 >/dev/null
