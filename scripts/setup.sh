#!/usr/bin/env bash
# Installs the Debian 12 packages QLifecycle needs to build, test and run its examples,
# but only those that are missing. Safe to run again; does nothing when all are present.
#
#   scripts/setup.sh [extra-package...]   # the extras too (the fuzz, coverage, valgrind and
#                                         # lint scripts name the tools they need this way)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config dpkg-dev file
  qt6-base-dev qt6-base-dev-tools qt6-declarative-dev qt6-declarative-dev-tools qcoro-qt6-dev
  libqt6concurrent6 libqt6test6 libqt6quicktest6 libgl-dev
  qml6-module-qttest qml6-module-qtquick qml6-module-qtquick-window
  qml6-module-qtqml qml6-module-qtqml-models qml6-module-qtqml-workerscript
  qml6-module-qtquick-controls qml6-module-qtquick-templates qml6-module-qtquick-layouts
  xvfb xauth
  doxygen graphviz
  lintian # the Debian packages' check (tests/package/debs.cmake)
  clang-format clang-tidy
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
