#!/usr/bin/env bash
# tst_qmllint: runs qmllint over (1) the QML module's files (qml/*.qml), (2) every .qml under
# examples/ and (3) every ```qml block of README.md and docs/*.md: a block marked as a snippet
# in the file it is copied from, an unmarked one in a file of its own (with the imports of
# docs/qml.md when it has none). Fails on any warning (of (3): unless
# QLIFECYCLE_QMLLINT_DOCS=report).
#
#   qmllint.sh QMLLINT SOURCE_DIR WORK_DIR "IMPORT_DIR..." "QRC_FILE..."
set -uo pipefail
qmllint=$1 source=$2 work=$3
read -r -a imports <<<"$4"
read -r -a resources <<<"$5"

# A docs block marked `<!-- snippet: name -->` is a copy of a marked region of a QML file under
# examples/ or tests/ (tst_snippets holds them equal): that file is linted, in the context the
# block lives in there, and the warnings on the region's lines count. A block without a marker
# is linted alone. QLIFECYCLE_QMLLINT_DOCS=report reports the docs' warnings without failing.
docs_mode=${QLIFECYCLE_QMLLINT_DOCS:-strict}

args=()
for dir in "${imports[@]}"; do args+=(-I "$dir"); done
for qrc in "${resources[@]}"; do [ -f "$qrc" ] && args+=(--resource "$qrc"); done

# Lints the files after the first argument (a title); prints its warnings; sets `warnings`.
lint() {
  local what=$1; shift
  if [ $# -eq 0 ]; then
    echo "$what: no file to lint"; warnings=1; return
  fi
  local output rc
  output=$(cd "$source" && "$qmllint" "${args[@]}" "$@" 2>&1); rc=$?
  warnings=$(grep -c '^Warning: ' <<<"$output")
  # A syntax error is no "Warning:", but qmllint exits non-zero for it.
  [ "$warnings" -eq 0 ] && [ $rc -ne 0 ] && warnings=1
  if [ "$warnings" -gt 0 ]; then
    echo "$what: $# files, $warnings warnings (qmllint exit code $rc)"
    echo "$output"
  else
    echo "$what: $# files, no warning"
  fi
}

failures=0
mapfile -t module < <(ls "$source"/qml/*.qml)
lint "qml/ (the module)" "${module[@]}"; failures=$((failures + warnings))
mapfile -t examples < <(find "$source/examples" -name '*.qml' | sort)
lint "examples/" "${examples[@]}"; failures=$((failures + warnings))

rm -rf "$work" && mkdir -p "$work"
blocks=()
snippets=()
for md in "$source"/README.md "$source"/docs/*.md; do
  name=$(basename "$md" .md)
  # Each unmarked block to $work/<doc>_line<N>.qml (N: its opening fence); a marked one's name
  # to "snippet <name>".
  while IFS= read -r line; do
    case $line in
      snippet\ *) snippets+=("${line#snippet }") ;;
      *) blocks+=("$line") ;;
    esac
  done < <(
    awk -v dir="$work" -v name="$name" '
      !inside && match($0, /^[ \t]*<!--[ \t]*snippet:[ \t]*[A-Za-z0-9_.-]+[ \t]*-->[ \t]*$/) {
        marker = $0; sub(/^[ \t]*<!--[ \t]*snippet:[ \t]*/, "", marker); sub(/[ \t]*-->.*$/, "", marker)
        next
      }
      !inside && /^```qml[ \t]*$/ { inside = 1; start = NR; body = ""; named = marker; marker = ""; next }
      !inside && NF > 0 { marker = "" }
      inside && /^```/ {
        inside = 0
        if (named != "") { print "snippet " named; next }
        file = dir "/" name "_line" start ".qml"
        if (body !~ /(^|\n)import /)
          body = "import QtQuick\nimport QtQuick.Controls\nimport QtQuick.Layouts\nimport QLifecycle\n\n" body
        printf "%s", body > file; close(file); print file; next
      }
      inside { body = body $0 "\n" }' "$md")
done
docs_warnings=0
if [ ${#blocks[@]} -gt 0 ]; then
  lint "README.md and docs/*.md: the qml blocks without a snippet marker" "${blocks[@]}"
  docs_warnings=$((docs_warnings + warnings))
fi
# The marked blocks: the warnings of their source files on the lines of their regions.
for snippet in "${snippets[@]}"; do
  file=$(cd "$source" && grep -rl --include='*.qml' -F "[snippet:$snippet]" examples tests | head -n 1)
  if [ -z "$file" ]; then
    echo "docs: the qml snippet '$snippet' is in no .qml file under examples/ or tests/"
    docs_warnings=$((docs_warnings + 1)); continue
  fi
  from=$(grep -n -F "[snippet:$snippet]" "$source/$file" | head -n 1 | cut -d: -f1)
  to=$(grep -n -F "[/snippet:$snippet]" "$source/$file" | head -n 1 | cut -d: -f1)
  output=$(cd "$source" && "$qmllint" "${args[@]}" "$file" 2>&1)
  inside=$(awk -v from="$from" -v to="$to" -F: '
    /^Warning: / { line = $3 + 0; if (line > from && line < to) print }' <<<"$output")
  if [ -n "$inside" ]; then
    count=$(grep -c '^Warning: ' <<<"$inside")
    echo "docs: snippet '$snippet' ($file:$from-$to): $count warnings"
    echo "$inside"
    docs_warnings=$((docs_warnings + count))
  fi
done
echo "README.md and docs/*.md: ${#blocks[@]} unmarked and ${#snippets[@]} marked qml blocks, $docs_warnings warnings"
if [ "$docs_warnings" -gt 0 ] && [ "$docs_mode" = report ]; then
  echo "(reported, not counted: QLIFECYCLE_QMLLINT_DOCS=report)"
else
  failures=$((failures + docs_warnings))
fi

if [ "$failures" -gt 0 ]; then
  echo "qmllint: $failures warnings"
  exit 1
fi
echo "qmllint: no warning"
