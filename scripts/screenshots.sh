#!/usr/bin/env bash
# Regenerates every screenshot in docs/images/ on a virtual X display (Xvfb, installed by
# scripts/setup.sh): the dashboard and the QML components (docs/images/shots-qml.sh), the
# widgets example (docs/images/shots-widgets.sh), the desktop tutorial's Notes application
# (docs/images/shots-notes.sh), the console example's trace as a timeline and in Chromium's
# DevTools (docs/images/shots-trace.sh, docs/images/shots-devtools.sh). Builds what they need
# first. Look at the images before committing them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --parallel "$(nproc 2>/dev/null || echo 2)"
for script in docs/images/shots-*.sh; do
  bash "$script" build/dev
done
