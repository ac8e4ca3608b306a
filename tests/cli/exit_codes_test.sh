#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Exit codes of aiir (README "Exit codes"): 0 all input read; 1 --fail-on
# reached; 2 usage error or nothing readable matched; 3 some input unreadable;
# 4 verify failed. Run by ctest with AIIR (the binary) and AIIR_ROOT (the source tree).
set -uo pipefail
: "${AIIR:?set AIIR to the aiir binary}" "${AIIR_ROOT:?set AIIR_ROOT to the source tree}"
cd "$AIIR_ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# expect CODE NAME -- ARGS...: runs aiir, checks the exit code; stderr kept in $tmp/err.
expect() {
  local want=$1 name=$2
  shift 3
  "$AIIR" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" = "$want" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $name: exit $got, expected $want: aiir $*" >&2
    sed 's/^/  stderr: /' "$tmp/err" | head -8 >&2
  fi
}
# stderr_has NAME PATTERN: the last command's stderr matches (grep -E).
stderr_has() {
  if grep -qE -- "$2" "$tmp/err"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL $1: stderr lacks /$2/" >&2; sed 's/^/  stderr: /' "$tmp/err" | head -8 >&2; fi
}

inc=examples/incident

# 0: everything read.
expect 0 "events on the example" -- events -q "$inc"
expect 0 "scan on the example" -- scan -q "$inc"
expect 0 "analyzers" -- analyzers
expect 0 "--version" -- --version
expect 0 "--help" -- --help

# 1: --fail-on threshold reached (the example holds high findings); not reached at a level above them.
expect 1 "scan --fail-on high" -- scan -q --fail-on high "$inc"
expect 1 "scan --fail-on medium --format jsonl" -- scan -q --fail-on medium --format jsonl "$inc"

# 2: usage errors.
expect 2 "no subcommand" --
expect 2 "unknown subcommand" -- frobnicate
expect 2 "unknown flag" -- events --bogus "$inc"
stderr_has "unknown flag names it" "bogus"
expect 2 "no path" -- events
expect 2 "missing path" -- events -q "$tmp/does-not-exist"
stderr_has "missing path is named" "no such file or folder"
expect 2 "missing path among good ones" -- events -q "$inc" "$tmp/does-not-exist"
expect 2 "bad --format" -- events --format xml "$inc"
expect 2 "bad --from" -- events -q --from yesterday "$inc"
stderr_has "bad --from explained" "RFC 3339"
expect 2 "--from without zone" -- events -q --from 2026-03-11T00:00:00 "$inc"
expect 2 "bad --to" -- events -q --to 2026-13-01T00:00:00Z "$inc"
expect 2 "--from after --to" -- events -q --from 2026-03-12T00:00:00Z --to 2026-03-11T00:00:00Z "$inc"
expect 2 "bad --threads" -- events -q --threads many "$inc"
expect 2 "bad --min-severity" -- scan -q --min-severity severe "$inc"
expect 2 "bad --fail-on" -- scan -q --fail-on loud "$inc"
expect 2 "unknown analyzer" -- scan -q --analyzers acess "$inc"
stderr_has "unknown analyzer suggests" "did you mean 'access'"
expect 2 "bad --baseline-until" -- scan -q --baseline-until soon "$inc"
expect 2 "missing --profile" -- scan -q --profile "$tmp/nope.yaml" "$inc"
expect 2 "bad rules action" -- rules frob
expect 2 "verify missing path" -- verify "$tmp/does-not-exist"

# 2: nothing readable matched (never a clean 0 when nothing was scanned).
mkdir -p "$tmp/notlogs/sub"
printf '# notes\nnothing to see\n' >"$tmp/notlogs/README.md"
printf 'key: value\n' >"$tmp/notlogs/sub/config.yaml"
printf '\x00\x01\x02binary' >"$tmp/notlogs/blob.bin"
expect 2 "folder without logs (events)" -- events "$tmp/notlogs"
stderr_has "folder without logs says so" "no events found"
expect 2 "folder without logs (scan)" -- scan -q "$tmp/notlogs"
mkdir -p "$tmp/empty"
expect 2 "empty folder" -- events -q "$tmp/empty"
expect 2 "window outside the logs" -- events --from 2030-01-01T00:00:00Z "$inc"
stderr_has "window outside the logs says so" "no events found"

# 3: finished, but some input could not be read (truncated gzip beside good files).
mkdir -p "$tmp/partial"
good=$(find "$inc" -path '*CloudTrail/us-east-1*' -name '*.json.gz' | sort | head -2)
i=0
for f in $good; do cp "$f" "$tmp/partial/good$i.json.gz"; i=$((i + 1)); done
big=$(find "$inc" -path '*CloudTrail*' -name '*.json.gz' -size +2k | sort | head -1)
size=$(wc -c <"$big")
head -c $((size / 2)) "$big" >"$tmp/partial/truncated.json.gz"
expect 3 "truncated gzip + good files (events)" -- events "$tmp/partial"
stderr_has "truncated gzip is named" "truncated\.json\.gz"
expect 3 "truncated gzip + good files (scan)" -- scan -q "$tmp/partial"
printf '{"Records":[{"eventVersion":"1.09","eventTime":"2026-03-11T14:07:12Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity"},{"eventVer' \
  >"$tmp/partial/cut.json"
expect 3 "cut-off JSON + good files" -- events -q "$tmp/partial"
if [ "$(id -u)" != 0 ]; then
  cp "$tmp/partial/good0.json.gz" "$tmp/partial/locked.json.gz" && chmod 000 "$tmp/partial/locked.json.gz"
  expect 3 "unreadable file" -- events -q "$tmp/partial"
fi

# The exit code does not depend on the thread count.
expect 3 "truncated gzip, 1 thread" -- events -q --threads 1 "$tmp/partial"
expect 3 "truncated gzip, 4 threads" -- events -q --threads 4 "$tmp/partial"

echo "exit_codes: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
