#!/usr/bin/env bash
# The screenshots of docs/widgets.md, taken from the widgets example on a virtual X server
# (xvfb-run, installed by scripts/setup.sh): the running window in the Fusion and Windows
# styles with a light and a dark palette, the splash while the services start, the shutdown
# progress after the window was closed, the table after a failed start, and a flaky service
# waiting for its restart.
#
#   docs/images/shots-widgets.sh [BUILD_DIR]      (default build/dev; the example must be built)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
example=$build/examples/widgets/qlifecycle-widgets
images=docs/images
if [ ! -x "$example" ]; then
    echo "shots-widgets: no $example (cmake --build $build --target widgets_example)" >&2
    exit 2
fi

shot() { # FILE MOMENT STYLE PALETTE [OPTION...]
    local file=$1 moment=$2 style=$3 palette=$4
    shift 4
    xvfb-run -a -s "-screen 0 1280x1024x24" env QT_QPA_PLATFORM=xcb \
        "$example" --screenshot "$images/$file" --screenshot-when "$moment" -style "$style" \
        --palette "$palette" "$@"
}

for style in Fusion Windows; do
    for palette in light dark; do
        shot "widgets-${style,,}-$palette.png" running "$style" "$palette"
    done
done
shot widgets-splash.png starting Fusion light
shot widgets-stopping.png stopping Fusion light
# A failed start: the window with the error and Retry (the run's exit code is 1).
shot widgets-failed.png failed Fusion light --fail-start Cache || [ $? = 1 ]
# A flaky service that failed again after a restart, waiting for the next one.
shot widgets-flaky.png restart Fusion light --flaky Network
