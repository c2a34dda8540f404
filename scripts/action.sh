#!/usr/bin/env bash
# The logic of the GitHub Action (action.yml), one function per step, so that it can be run
# and tested outside GitHub (crates/shipcheck/tests/distribution.rs runs the action's steps
# under a faked GitHub environment).
#
#   action.sh install   put shipcheck on PATH: the one there if it is the wanted version, else a
#                       release binary for this runner, else `cargo install --locked`
#   action.sh run       run the command; save the report, write the step summary, write SARIF
#                       when asked; outputs exit-code, report, sarif-file. Always exits 0 so
#                       that SARIF is uploaded before the step that fails.
#   action.sh finish    exit with shipcheck's status
#   action.sh target    print the release target for RUNNER_OS/RUNNER_ARCH (empty: none)
#
# Environment: what GitHub sets (RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH,
# GITHUB_OUTPUT, GITHUB_STEP_SUMMARY), ACTION_PATH (the action's checkout) and the INPUT_*
# variables action.yml passes.
set -o pipefail

action_path=${ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
work=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/shipcheck-action
# GitHub's limit on one step's summary is 1 MiB; leave room for the heading and the notes.
summary_limit=1000000

die() {
    echo "::error title=shipcheck action::$*" >&2
    exit 2
}

# The Rust target of each GitHub-hosted runner that a release publishes a binary for.
target() {
    case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
        Linux/X64) echo x86_64-unknown-linux-musl ;;
        Linux/ARM64) echo aarch64-unknown-linux-musl ;;
        macOS/X64) echo x86_64-apple-darwin ;;
        macOS/ARM64) echo aarch64-apple-darwin ;;
        Windows/X64) echo x86_64-pc-windows-msvc ;;
        *) echo "" ;;
    esac
}

# The workspace version of the action's own checkout.
own_version() {
    sed -n '/^\[workspace\.package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$action_path/Cargo.toml" | head -n 1
}

installed_version() {
    command -v shipcheck >/dev/null 2>&1 || return 1
    shipcheck --version 2>/dev/null | awk '{print $2}'
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | awk '{print $1}'; else shasum -a 256 "$1" | awk '{print $1}'; fi
}

# Downloads and unpacks RELEASE-URL/vV/shipcheck-vV-TARGET.(tar.gz|zip) into $1; fails quietly
# when no such asset is published. A published .sha256 beside the asset is checked.
download() {
    local bin=$1 version=$2 target ext asset url
    target=$(target)
    [ -n "$target" ] || return 1
    ext=tar.gz
    [ "${RUNNER_OS:-}" = Windows ] && ext=zip
    asset="shipcheck-v$version-$target.$ext"
    url="${INPUT_RELEASE_URL:-https://github.com/shipcheck/shipcheck/releases/download}/v$version/$asset"
    mkdir -p "$work/download" "$bin" || return 1
    echo "Downloading $url"
    curl -fsSL --retry 3 -o "$work/download/$asset" "$url" || return 1
    if curl -fsSL --retry 3 -o "$work/download/$asset.sha256" "$url.sha256" 2>/dev/null; then
        local want got
        want=$(awk '{print $1; exit}' "$work/download/$asset.sha256")
        got=$(sha256_of "$work/download/$asset")
        [ "$want" = "$got" ] || die "$asset: sha256 $got, the release says $want"
    else
        echo "::warning title=shipcheck action::$asset has no .sha256 beside it; not checked"
    fi
    if [ "$ext" = zip ]; then
        unzip -o -q "$work/download/$asset" -d "$work/download/unpacked" || return 1
    else
        mkdir -p "$work/download/unpacked" && tar -xzf "$work/download/$asset" -C "$work/download/unpacked" || return 1
    fi
    local exe
    exe=$(find "$work/download/unpacked" -type f \( -name shipcheck -o -name shipcheck.exe \) | head -n 1)
    [ -n "$exe" ] || return 1
    install -m 0755 "$exe" "$bin/" || return 1
}

install_shipcheck() {
    local requested=${INPUT_VERSION:-} version have root="$work/root"
    requested=${requested#v}
    version=${requested:-$(own_version)}
    [ -n "$version" ] || die "no version requested and none in $action_path/Cargo.toml"
    if have=$(installed_version) && [ "$have" = "$version" ]; then
        echo "shipcheck $have is already on PATH: $(command -v shipcheck)"
        return 0
    fi
    if download "$root/bin" "$version"; then
        echo "Installed the release binary of shipcheck $version"
    elif [ -n "$requested" ]; then
        echo "No release binary of shipcheck $version for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: cargo install --locked shipcheck@$version"
        cargo install --locked --root "$root" shipcheck --version "=$version" || die "cargo install of shipcheck $version failed"
    else
        echo "No release binary of shipcheck $version for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: cargo install --locked from $action_path"
        cargo install --locked --root "$root" --path "$action_path/crates/shipcheck" || die "cargo install from $action_path failed"
    fi
    [ -n "${GITHUB_PATH:-}" ] && echo "$root/bin" >>"$GITHUB_PATH"
    export PATH="$root/bin:$PATH"
    shipcheck --version || die "the installed shipcheck does not run"
}

# Commands that only read, so that running them again for another format changes nothing.
rerunnable() {
    case "$1" in
        check | image | workflows | dockerfile | package | runtime) return 0 ;;
        diagnose)
            # A log read from stdin cannot be read twice.
            local a
            for a in "${args[@]}"; do [ "$a" = - ] && return 1; done
            [ "${#args[@]}" -gt 0 ] ;;
        *) return 1 ;;
    esac
}

# Whether this shipcheck's help lists the format, read at run time.
lists_format() {
    shipcheck "$command" --help 2>/dev/null | grep -Eq "^ *- $1:|possible values:.*\b$1\b"
}

extension() {
    case "$1" in
        json) echo json ;; sarif) echo sarif ;; markdown) echo md ;; *) echo txt ;;
    esac
}

# A code fence longer than any run of backticks in the file.
fence_for() {
    local longest
    longest=$(grep -Eo '`+' "$1" 2>/dev/null | awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }')
    local n=$((longest < 3 ? 3 : longest + 1))
    printf '%*s' "$n" '' | tr ' ' '`'
}

write_summary() {
    local body="$work/summary.md" code=$1 meaning
    case "$code" in
        0) meaning="nothing at or above fail-on" ;;
        1) meaning="findings at or above fail-on" ;;
        2) meaning="could not check" ;;
        3) meaning="nothing to check" ;;
        *) meaning="unexpected" ;;
    esac
    {
        echo "### shipcheck $command"
        echo
        if [ "$format" = markdown ]; then
            cat "$report"
        elif rerunnable "$command" && lists_format markdown; then
            shipcheck "$command" "${args[@]}" "${fail_on[@]}" --format markdown 2>/dev/null
        else
            local text="$report"
            if [ "$format" != human ] && rerunnable "$command"; then
                text="$work/summary.txt"
                shipcheck "$command" "${args[@]}" "${fail_on[@]}" --format human --color never >"$text" 2>/dev/null
            fi
            cat "$errors" >>"$text"
            local fence
            fence=$(fence_for "$text")
            echo "$fence"
            cat "$text"
            echo "$fence"
        fi
        echo
        echo "Exit status $code: $meaning."
    } >"$body"
    if [ "$(wc -c <"$body")" -gt "$summary_limit" ]; then
        head -c "$summary_limit" "$body" >"$body.cut"
        printf '\n\n(cut at %s bytes: the whole report is the `report` output, %s)\n' "$summary_limit" "$report" >>"$body.cut"
        mv "$body.cut" "$body"
    fi
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$body" >>"$GITHUB_STEP_SUMMARY"; fi
}

run_shipcheck() {
    command=${INPUT_COMMAND:-check}
    format=${INPUT_FORMAT:-human}
    read -r -a args <<<"${INPUT_ARGS:-}"
    fail_on=()
    [ -n "${INPUT_FAIL_ON:-}" ] && fail_on=(--fail-on "$INPUT_FAIL_ON")
    command -v shipcheck >/dev/null 2>&1 || die "shipcheck is not on PATH (the install step did not run?)"
    mkdir -p "$work" || die "cannot create $work"
    report="$work/shipcheck-report.$(extension "$format")"
    errors="$work/shipcheck-stderr.txt"
    local code sarif=""
    shipcheck "$command" "${args[@]}" "${fail_on[@]}" --format "$format" >"$report" 2>"$errors"
    code=$?
    cat "$report"
    cat "$errors" >&2
    write_summary "$code"
    if [ "${INPUT_UPLOAD_SARIF:-false}" = true ]; then
        if [ "$format" = sarif ]; then
            sarif=$report
        elif rerunnable "$command"; then
            sarif="$work/shipcheck.sarif"
            shipcheck "$command" "${args[@]}" "${fail_on[@]}" --format sarif -o "$sarif" 2>/dev/null
            [ -s "$sarif" ] || sarif=""
        else
            echo "::warning title=shipcheck action::upload-sarif: \`$command\` is not run twice; set format: sarif to upload its report"
        fi
    fi
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        {
            echo "exit-code=$code"
            echo "report=$report"
            echo "sarif-file=$sarif"
        } >>"$GITHUB_OUTPUT"
    fi
    return 0
}

finish() {
    case "${EXIT_CODE:-}" in
        0) exit 0 ;;
        '') die "shipcheck did not run" ;;
        *)
            echo "::error title=shipcheck::shipcheck $INPUT_COMMAND exited with status $EXIT_CODE (see the step summary)" >&2
            exit "$EXIT_CODE" ;;
    esac
}

case "${1:-}" in
    install) install_shipcheck ;;
    run) run_shipcheck ;;
    finish) INPUT_COMMAND=${INPUT_COMMAND:-shipcheck} finish ;;
    target) target ;;
    *) echo "usage: $0 install|run|finish|target" >&2; exit 2 ;;
esac
