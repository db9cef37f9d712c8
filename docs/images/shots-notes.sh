#!/usr/bin/env bash
# The screenshots of docs/desktop.md: the Notes example (examples/notes) at the end of each step
# of the tutorial, in the Fusion style, on a virtual X display.
#
#   docs/images/shots-notes.sh [build-dir]     (default build/dev; the example must be built)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
notes=$build/examples/notes/qlifecycle-notes
[ -x "$notes" ] || { echo "shots-notes: build notes_example first ($notes)" >&2; exit 1; }

shot() { # shot <png> <arguments...>
  local png=docs/images/$1
  shift
  QT_QUICK_CONTROLS_STYLE=Fusion QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" \
    "$notes" --screenshot "$png" "$@" >/dev/null
  echo "shots-notes: $png"
}

shot notes-step1.png --step 1
shot notes-step2.png --step 2 --screenshot-when stopping
shot notes-step3.png --step 3 --screenshot-when starting
shot notes-step4.png --step 4 --modified --screenshot-when closing
shot notes-step5.png --step 5 --screenshot-when indexed
shot notes-step6.png --step 6 --screenshot-when starting
