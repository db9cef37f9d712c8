#!/usr/bin/env bash
# The QLifecycle demo: installs what is missing, builds, and runs one example.
#
# With a display (DISPLAY or WAYLAND_DISPLAY set), the dashboard: six services shown live in a
# Qt Quick window; close the window to stop them gracefully. Without one (a server, an SSH
# session, CI), the console example, a small daemon of seven services: press Ctrl-C to stop it
# gracefully (twice to exit at once). The first line says which runs and why.
#
#   scripts/demo.sh [--console | --dashboard] [example arguments...]
#
# --console or --dashboard picks one whatever the display. Other arguments go to the example,
# e.g. --seconds 5, --fail-start Search or --flaky Database (console), --crash Sync or
# --flaky Network (dashboard).
set -euo pipefail
cd "$(dirname "$0")/.."

example=
case "${1:-}" in
  --console) example=console; shift ;;
  --dashboard) example=dashboard; shift ;;
esac
if [ -z "$example" ]; then
  if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    example=dashboard
    why="a display is available (${WAYLAND_DISPLAY:+WAYLAND_DISPLAY=$WAYLAND_DISPLAY}${WAYLAND_DISPLAY:+ }${DISPLAY:+DISPLAY=$DISPLAY})"
  else
    example=console
    why="no display (neither DISPLAY nor WAYLAND_DISPLAY is set); --dashboard runs the window anyway"
  fi
else
  why="asked for with --$example"
fi

bash scripts/setup.sh

cmake --preset dev >/dev/null
if [ "$example" = dashboard ]; then
  echo "demo: the dashboard example, because $why"
  cmake --build --preset dev --parallel "$(nproc 2>/dev/null || echo 2)" --target dashboard_example
  exec ./build/dev/examples/dashboard/qlifecycle-dashboard "$@"
fi
echo "demo: the console example, because $why"
cmake --build --preset dev --parallel "$(nproc 2>/dev/null || echo 2)" --target console_example
exec ./build/dev/examples/console/qlifecycle-console "$@"
