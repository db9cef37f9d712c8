#!/usr/bin/env bash
# The format and lint checks of QLifecycle; scripts/test.sh runs them once, before the builds.
# Each check prints what fails and a count; the script exits 1 when any check fails.
#
#   format    clang-format --dry-run --Werror over every .h and .cpp of the repository
#   tidy      clang-tidy (.clang-tidy) over src/, testkit/, qml/ and widgets/, with the compile
#             database of a dev build (configured when missing; nothing is compiled)
#   layers    the doors between the layers of src/ (docs/architecture.md), as greps
#   size      no .h, .cpp or .qml over 500 lines in src, include, qml, tests, examples,
#             benchmarks and testkit
#   comments  no comment that cites a design document kept outside the repository
#   spelling  codespell (.codespellrc)
#   reuse     every file has its copyright and license (REUSE.toml, LICENSES/)
#
#   scripts/lint.sh [--analyzer] [--no-cache] [CHECK...]     (default: every check)
#       --analyzer  clang-tidy runs the static analyzer too (half as long again, or more)
#       --no-cache  clang-tidy runs on every file; otherwise a file whose inputs have not changed
#                   since the last run (the file, the project's headers, the compile command,
#                   .clang-tidy, the tools and Qt) reuses its result, kept in BUILD_DIR/lint/
#   Environment: QLIFECYCLE_LINT_BUILD (build directory, default build/dev),
#                QLIFECYCLE_LINT_JOBS (clang-tidy processes at once, default 2)
# "Files of the repository": those git tracks, and new ones it does not ignore.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
root=$(pwd -P)
build=${QLIFECYCLE_LINT_BUILD:-build/dev}
jobs=${QLIFECYCLE_LINT_JOBS:-2}

all_checks=(format tidy layers size comments spelling reuse)
analyzer=0
cache=1
checks=()
for arg in "$@"; do
    case $arg in
    --analyzer) analyzer=1 ;;
    --no-cache) cache=0 ;;
    -h | --help)
        sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        if [[ " ${all_checks[*]} " == *" $arg "* ]]; then
            checks+=("$arg")
        else
            echo "lint: unknown argument '$arg' (checks: ${all_checks[*]})" >&2
            exit 2
        fi
        ;;
    esac
done
[ ${#checks[@]} -gt 0 ] || checks=("${all_checks[@]}")

bash scripts/setup.sh codespell reuse

# The files of the repository that match the patterns (git pathspecs: '*.h', 'src/*.cpp'; a
# star matches slashes too), one a line, relative to the top.
repo_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files --cached --others --exclude-standard -- "$@" | sort -u |
            while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done
    else
        local args=() p
        for p in "$@"; do args+=(-o -path "./$p"); done
        find . \( -path ./build -o -path ./.git \) -prune -o -type f \( -false "${args[@]}" \) \
            -print | sed 's|^\./||' | sort
    fi
}

failed=()
summary=()
pass() {
    echo "   ok${1:+: $1}"
    summary+=("$current ok")
}
fail() { # $1: count, $2: what
    echo "   FAILED: $1 $2"
    failed+=("$current")
    summary+=("$current FAILED ($1)")
}
section() {
    current=$1
    echo "== lint: $*"
}

check_format() {
    section format "($(clang-format --version | grep -o 'version [0-9.]*'))"
    local -a files
    mapfile -t files < <(repo_files '*.h' '*.cpp')
    local out
    out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1 >/dev/null)
    local bad
    bad=$(grep -E '^[^ ].*: (error|warning): ' <<<"$out" | cut -d: -f1 | sort | uniq -c)
    if [ -z "$bad" ]; then
        pass "${#files[@]} files"
    else
        awk '{printf "   %s: %d place(s) to reformat\n", $2, $1}' <<<"$bad"
        echo "   (clang-format -i FILE reformats a file)"
        fail "$(wc -l <<<"$bad")" "of ${#files[@]} files not formatted"
    fi
}

# Configures the build directory when it has no compile database, or when one of the files is
# missing from it (a file added since the last configuration).
compile_database() {
    local log="$1"
    shift
    local db="$build/compile_commands.json"
    if [ -f "$db" ]; then
        local f missing=0
        for f in "$@"; do grep -qF "\"file\": \"$root/$f\"" "$db" || missing=1; done
        [ "$missing" = 0 ] && return 0
    fi
    echo "   configuring $build for its compile database"
    if [ -f "$build/CMakeCache.txt" ]; then
        cmake -S . -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$log" 2>&1
    else
        cmake --preset dev -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$log" 2>&1
    fi || {
        tail -20 "$log" | sed 's/^/   /'
        return 1
    }
}

check_tidy() {
    section tidy "($(clang-tidy --version | grep -o 'version [0-9.]*'), $jobs at once)"
    local -a files
    mapfile -t files < <(repo_files 'src/*.cpp' 'testkit/*.cpp' 'qml/*.cpp' 'widgets/*.cpp')
    local dir="$build/lint"
    mkdir -p "$dir/tidy"
    compile_database "$dir/configure.log" "${files[@]}" || {
        fail 1 "configuration of $build"
        return
    }
    local f db="$build/compile_commands.json" notindb=()
    for f in "${files[@]}"; do
        grep -qF "\"file\": \"$root/$f\"" "$db" || notindb+=("$f")
    done
    for f in "${notindb[@]}"; do echo "   $f: in no target of $build"; done

    # The project's own headers (as .clang-tidy, anchored to this checkout); the analyzer.
    local top headers more=''
    top=$(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$root")
    headers="--header-filter=^$top/(include/QLifecycle|src|qml|testkit|widgets)/"
    # Not NewDeleteLeaks: QObject::connect() and QMetaObject::invokeMethod() take the functor
    # they are given into Qt, where the analyzer cannot follow it, and every call is a "leak".
    [ "$analyzer" = 1 ] && more="--checks=clang-analyzer-core.*,clang-analyzer-cplusplus.*,\
-clang-analyzer-cplusplus.NewDeleteLeaks,clang-analyzer-deadcode.*,\
clang-analyzer-optin.cplusplus.VirtualCall"

    # What a result depends on besides its file: the tools, the configuration, the project's
    # headers (tracked and generated), the libraries' versions.
    local common
    common=$({
        clang-tidy --version
        echo "$headers $more"
        cat .clang-tidy
        repo_files '*.h' | xargs -r sha256sum
        find "$build" -maxdepth 5 -path '*/include/QLifecycle/*.h' -type f -print0 | sort -z |
            xargs -0r sha256sum
        dpkg-query -W qt6-base-dev qt6-declarative-dev qcoro-qt6-dev libstdc++-12-dev 2>/dev/null
    } | sha256sum | cut -c1-64)

    local todo=() keys=()
    for f in "${files[@]}"; do
        [[ " ${notindb[*]} " == *" $f "* ]] && continue
        local key
        key=$({
            echo "$common"
            grep -F -B3 -A2 "\"file\": \"$root/$f\"" "$db"
            cat "$f"
        } | sha256sum | cut -c1-64)
        keys+=("$key")
        if [ "$cache" = 0 ] || [ ! -f "$dir/tidy/$key.log" ]; then
            todo+=("$f" "$dir/tidy/$key")
        fi
    done
    # Results no run has used for a month go.
    find "$dir/tidy" -type f -mtime +30 -delete
    local ran=$((${#todo[@]} / 2)) start=$SECONDS
    if [ "$ran" -gt 0 ]; then
        # Each result goes to KEY.out, and becomes KEY.log only when clang-tidy ran to the end
        # (findings or not), so that an interrupted or crashed run is not kept.
        printf '%s\0' "${todo[@]}" | xargs -0 -n2 -P "$jobs" sh -c '
            clang-tidy -p "$0" --quiet "$1" ${2:+"$2"} "$3" >"$4.out" 2>&1
            rc=$?
            if [ $rc -eq 0 ] || grep -qE "^/.*: (warning|error): .*\]\$" "$4.out"; then
                mv "$4.out" "$4.log"
            else
                echo "clang-tidy exited with $rc on $3" >>"$4.out"
            fi' "$build" "$headers" "$more"
    fi
    echo "   ${#keys[@]} files: clang-tidy ran on $ran in $((SECONDS - start)) s," \
        "$((${#keys[@]} - ran)) unchanged since their last run"

    local logs=() crashed=() key
    for key in "${keys[@]}"; do
        if [ -f "$dir/tidy/$key.log" ]; then
            logs+=("$dir/tidy/$key.log")
            touch "$dir/tidy/$key.log"
        else
            crashed+=("$dir/tidy/$key.out")
        fi
    done
    for f in "${crashed[@]}"; do
        tail -5 "$f" | sed 's/^/   /'
    done
    # A header's finding shows once per file that includes it: each is listed once. The
    # analyzer may end a path in a Qt header: only warnings in the repository count (errors,
    # such as a header that does not compile, count wherever they are).
    local findings
    findings=$(cat "${logs[@]}" /dev/null |
        grep -E "^$top/.*: warning: .*\]\$|^/.*: error: .*\]\$" |
        sed "s|^$root/||" | sort -u | sort -t: -k1,1 -k2,2n -k3,3n)
    local count=0
    [ -n "$findings" ] && count=$(wc -l <<<"$findings")
    count=$((count + ${#crashed[@]} + ${#notindb[@]}))
    if [ "$count" = 0 ]; then
        pass
    else
        if [ -n "$findings" ]; then
            sed 's/^/   /' <<<"$findings"
            echo "   by check:"
            grep -oE '\[[^]]+\]$' <<<"$findings" | tr -d '[]' | sort | uniq -c | sort -rn |
                sed 's/^ */      /'
        fi
        fail "$count" "finding(s) (full output: $dir/tidy/*.log)"
    fi
}

# The doors of docs/architecture.md: which folders of src/ each layer may include.
check_layers() {
    section layers "(docs/architecture.md)"
    declare -A may=(
        [service]='^service/'
        [graph]='^(service|graph)/'
        [tasks]='^(service|tasks)/'
        [manager]='^(service|graph|tasks|manager)/'
        [observe]='^(service|graph|manager|observe)/'
        [app]='^(app/|manager/applicationmanager_p\.h$|service/(logging|qservice_p)\.h$)'
    )
    declare -A says=(
        [service]='service/ only'
        [graph]='service/ and graph/'
        [tasks]='service/ and tasks/'
        [manager]='graph/, tasks/, service/ and manager/'
        [observe]='service/, graph/, manager/ and observe/'
        [app]='app/, manager/applicationmanager_p.h, service/logging.h and service/qservice_p.h'
    )
    local bad=() folder sources=()
    for folder in src/*/; do
        folder=${folder#src/}
        folder=${folder%/}
        [ -n "${may[$folder]:-}" ] ||
            bad+=("src/$folder/: a folder that is no layer of docs/architecture.md")
    done
    local layer hit file line target
    local include='^([^:]*):([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]*)[>"]'
    for layer in "${!may[@]}"; do
        mapfile -t sources < <(repo_files "src/$layer/*.h" "src/$layer/*.cpp")
        [ ${#sources[@]} -gt 0 ] || continue
        while IFS= read -r hit; do
            [[ $hit =~ $include ]] || continue
            file=${BASH_REMATCH[1]}
            line=${BASH_REMATCH[2]}
            target=${BASH_REMATCH[3]}
            if [[ $target == *../* ]]; then
                bad+=("$file:$line: includes $target (a relative path around the doors)")
            elif [[ $target =~ ^(service|graph|tasks|manager|observe|app)/ ]] &&
                ! [[ $target =~ ${may[$layer]} ]]; then
                local door="$layer/ may include ${says[$layer]}"
                bad+=("$file:$line: $layer/ includes $target ($door)")
            fi
        done < <(grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "${sources[@]}")
    done
    if [ ${#bad[@]} -eq 0 ]; then
        pass
    else
        printf '   %s\n' "${bad[@]}" | sort
        fail "${#bad[@]}" "include(s) through no door"
    fi
}

check_size() {
    section size "(at most 500 lines)"
    local dirs=(src include qml tests examples benchmarks testkit) pats=() d files=()
    for d in "${dirs[@]}"; do pats+=("$d/*.h" "$d/*.cpp" "$d/*.qml"); done
    mapfile -t files < <(repo_files "${pats[@]}")
    local long
    long=$(printf '%s\0' "${files[@]}" | xargs -0 wc -l | awk '$2 != "total" && $1 > 500' |
        sort -rn)
    if [ -z "$long" ]; then
        pass "${#files[@]} files"
    else
        awk '{printf "   %s: %d lines\n", $2, $1}' <<<"$long"
        fail "$(wc -l <<<"$long")" "file(s) over 500 lines"
    fi
}

check_comments() {
    section comments "(no citation of documents outside the repository)"
    local -a files
    mapfile -t files < <(repo_files '*.h' '*.cpp' '*.qml' '*.in' '*.cmake' '*CMakeLists.txt' \
        '*.sh' '*.py' | grep -vx 'scripts/lint.sh')
    local hits
    hits=$(grep -HnE '(//|/\*|^[[:space:]]*\*|#).*\b(CONTRACT|QT-NOTES|SCENARIOS)\b' "${files[@]}")
    if [ -z "$hits" ]; then
        pass
    else
        # file:line: the documents it cites
        while IFS= read -r hit; do
            printf '   %s: cites %s\n' "$(cut -d: -f1,2 <<<"$hit")" \
                "$(cut -d: -f3- <<<"$hit" | grep -oE '\b(CONTRACT|QT-NOTES|SCENARIOS)\b' |
                    sort -u | paste -sd, - | sed 's/,/, /g')"
        done <<<"$hits"
        echo "   (cite the project's own docs instead: docs/lifecycle.md, docs/guarantees.md...)"
        fail "$(wc -l <<<"$hits")" "comment(s)"
    fi
}

check_spelling() {
    section spelling "(codespell $(codespell --version))"
    local out
    out=$(codespell 2>/dev/null)
    if [ -z "$out" ]; then
        pass
    else
        sed 's/^/   /' <<<"$out"
        echo "   (a word that is right: add it to ignore-words-list in .codespellrc)"
        fail "$(wc -l <<<"$out")" "word(s)"
    fi
}

# reuse reads REUSE.toml from its version 3.1; Debian 12 has 1.1, which reads .reuse/dep5: it
# then lints a copy of the files with REUSE.toml's annotations written as .reuse/dep5.
check_reuse() {
    section reuse "($(reuse --version | head -1))"
    local out rc
    local version
    version=$(reuse --version | grep -oE '[0-9]+\.[0-9]+' | head -1)
    if printf '3.1\n%s\n' "$version" | sort -V -C || [ ! -f REUSE.toml ]; then
        out=$(reuse lint 2>&1)
        rc=$?
    else
        local copy
        copy=$(mktemp -d)
        repo_files '*' | grep -vx 'REUSE.toml' | tar -cf - -T - | tar -xf - -C "$copy"
        mkdir -p "$copy/.reuse"
        python3 - REUSE.toml >"$copy/.reuse/dep5" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    data = tomllib.load(f)
print("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
print("Upstream-Name:", data.get("SPDX-PackageName", ""))
for a in data.get("annotations", []):
    paths = a["path"] if isinstance(a["path"], list) else [a["path"]]
    texts = a["SPDX-FileCopyrightText"]
    texts = texts if isinstance(texts, list) else [texts]
    print()
    print("Files:", " ".join(p.replace("**", "*") for p in paths))
    print("Copyright:", "\n ".join(texts))
    print("License:", a["SPDX-License-Identifier"])
PY
        out=$(cd "$copy" && reuse lint 2>&1)
        rc=$?
        out=${out//"$copy/"/}
        rm -rf "$copy"
    fi
    if [ "$rc" = 0 ]; then
        pass "$(grep -oE 'Files with license information: [0-9]+ / [0-9]+' <<<"$out")"
    else
        sed -n '/^# /,$p' <<<"$out" | grep -v '^$' | sed 's/^/   /' | head -60
        fail "$(awk '/^# / { section = $0 } section != "# SUMMARY" && /^\* / { n++ }
                     END { print n + 0 }' <<<"$out")" "file(s) or license(s) at fault"
    fi
}

start=$SECONDS
for c in "${checks[@]}"; do
    "check_$c"
done
echo "== lint: ${summary[*]/%/,} in $((SECONDS - start)) s" | sed 's/, in / in /'
[ ${#failed[@]} -eq 0 ]
