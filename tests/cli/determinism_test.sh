#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Determinism: the example incident gives byte-identical reports, findings,
# manifests and event outputs for --threads 1 and 4 and across runs, with the
# run's own timestamps pinned by SOURCE_DATE_EPOCH. The manifest records the
# exact command line, so across thread counts it may differ in `command` and
# `argv` and nowhere else.
set -euo pipefail
: "${AIIR:?set AIIR to the aiir binary}" "${AIIR_ROOT:?set AIIR_ROOT to the source folder}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
in="$AIIR_ROOT/examples/incident"
export SOURCE_DATE_EPOCH=1773230400

scan() {  # run-name threads [extra flags]
  local name=$1 threads=$2
  shift 2
  mkdir -p "$tmp/$name"
  # Same relative -o in a different working folder: the command line stays identical.
  (cd "$tmp/$name" && "$AIIR" scan -q --threads "$threads" "$@" -o out "$in"; echo $? > rc) || true
}
scan t1 1
scan t4 4
scan t4b 4
scan r1 1 --redact --redact-prompts
scan r4 4 --redact --redact-prompts
for f in report.md report.json findings.jsonl; do
  cmp "$tmp/t1/out/$f" "$tmp/t4/out/$f" || fail "$f differs between --threads 1 and 4"
  cmp "$tmp/t4/out/$f" "$tmp/t4b/out/$f" || fail "$f differs between two runs"
  cmp "$tmp/r1/out/$f" "$tmp/r4/out/$f" || fail "redacted $f differs between --threads 1 and 4"
done
cmp "$tmp/t1/rc" "$tmp/t4/rc" || fail "exit code differs"
cmp "$tmp/t4/out/manifest.json" "$tmp/t4b/out/manifest.json" || fail "manifest differs between two identical runs"
for pair in "t1 t4" "r1 r4"; do
  set -- $pair
  diff <(jq -S 'del(.command, .argv)' "$tmp/$1/out/manifest.json") \
       <(jq -S 'del(.command, .argv)' "$tmp/$2/out/manifest.json") || fail "manifest differs beyond the command line ($pair)"
done
jq -e '.started_at == "2026-03-11T12:00:00Z" and .finished_at == "2026-03-11T12:00:00Z" and .time_source == "SOURCE_DATE_EPOCH"' \
  "$tmp/t1/out/manifest.json" > /dev/null || fail "SOURCE_DATE_EPOCH does not pin the manifest times"
jq -e '.generated_at == "2026-03-11T12:00:00Z"' "$tmp/t1/out/report.json" > /dev/null || fail "generated_at"
grep -q "^aiir .* generated 2026-03-11T12:00:00Z" "$tmp/t1/out/report.md" || fail "report.md time"
[ "$(wc -c < "$tmp/t1/out/findings.jsonl")" -gt 0 ] || fail "no findings: the comparison would prove nothing"

# stdout formats too.
for fmt in md json jsonl; do
  a=$("$AIIR" scan -q --threads 1 --format "$fmt" "$in" | sha256sum)
  b=$("$AIIR" scan -q --threads 4 --format "$fmt" "$in" | sha256sum)
  [ "$a" = "$b" ] || fail "scan --format $fmt differs between --threads 1 and 4"
done

# aiir events, every format, with and without --raw and --sort.
for fmt in jsonl csv timesketch; do
  for extra in "" "--raw" "--sort" "--raw --redact --redact-prompts"; do
    # shellcheck disable=SC2086
    a=$("$AIIR" events -q --threads 1 --format "$fmt" $extra "$in" | sha256sum)
    # shellcheck disable=SC2086
    b=$("$AIIR" events -q --threads 4 --format "$fmt" $extra "$in" | sha256sum)
    # shellcheck disable=SC2086
    c=$("$AIIR" events -q --threads 3 --format "$fmt" $extra "$in" | sha256sum)
    [ "$a" = "$b" ] && [ "$b" = "$c" ] || fail "events --format $fmt $extra differs between thread counts"
  done
done
[ "$("$AIIR" events -q "$in" | wc -l)" -gt 100 ] || fail "too few events to prove anything"
echo "ok"
