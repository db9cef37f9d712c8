#!/usr/bin/env bash
# The pictures of the dashboard example and of the QML components (docs/qml.md), taken on a
# virtual X display: styles Fusion and Material, light and dark palettes, the start, the
# shutdown, a crash, a flaky service's restarts, a narrow window, and each component alone
# (--gallery). Run from anywhere after a build of the dev preset; it writes the PNGs next to
# itself.
#
#   docs/images/shots-qml.sh [BUILD_DIR]      (default build/dev; needs xvfb-run, xauth)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
build=${1:-$root/build/dev}
dashboard=$build/examples/dashboard/qlifecycle-dashboard
[ -x "$dashboard" ] || { echo "shots-qml: no $dashboard (build the dev preset first)" >&2; exit 2; }

# Without a display, run again on a virtual one.
if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1600x1200x24" "$0" "$build"
fi
export QT_QPA_PLATFORM=xcb QT_QUICK_BACKEND=software
# The palette is the one asked for, not a desktop theme's; Material's theme follows --palette.
unset QT_QUICK_CONTROLS_STYLE QT_QUICK_CONTROLS_MATERIAL_THEME

# shot NAME ARGUMENTS...: one run of the dashboard, its screenshot saved as NAME.png. A run
# that shows a failure exits with 1: the picture is what counts.
shot() {
  local name=$1 rc=0; shift
  echo "shots-qml: $name.png"
  rm -f "$here/$name.png"
  "$dashboard" "$@" --screenshot "$here/$name.png" >/dev/null || rc=$?
  [ -s "$here/$name.png" ] || { echo "shots-qml: $name.png not written (exit code $rc)" >&2; exit 1; }
}

for style in Fusion Material; do
  for palette in light dark; do
    lower=$(tr '[:upper:]' '[:lower:]' <<<"$style")
    shot "dashboard-$lower-$palette" -style "$style" --palette "$palette" --size 1100x720
  done
done
cp "$here/dashboard-fusion-light.png" "$here/dashboard.png" # the README's picture

shot dashboard-starting --palette light --size 1100x720 --screenshot-when starting
shot dashboard-stopping --palette light --size 1100x720 --screenshot-when stopping
shot dashboard-crash --palette light --size 1100x720 --crash Sync --crash-after-ms 1500 \
  --screenshot-when stopped
shot dashboard-narrow --palette dark --size 520x820
# A flaky service, shot when it has failed again after a restart and waits for the next one.
shot dashboard-flaky --palette light --size 1100x720 --flaky Network --screenshot-when restart
shot dashboard-flaky-dark --palette dark --size 1100x720 --flaky Network --screenshot-when restart

# Each component alone, light and dark.
for palette in light dark; do
  shot "component-progress-$palette" --gallery progress --palette "$palette" --size 640x190 \
    --screenshot-when starting
  shot "component-compact-$palette" --gallery compact --palette "$palette" --size 420x56 \
    --screenshot-when starting
  shot "component-table-$palette" --gallery table --palette "$palette" --size 1000x330 \
    --fail-start Cache
  shot "component-shutdown-$palette" --gallery shutdown --palette "$palette" --size 640x360 \
    --screenshot-when stopping
done
echo "shots-qml: done"
