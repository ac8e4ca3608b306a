#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The portable loops: the text normalizer, the secrets prefilters and the
# prompt model have a 64-byte AVX-512 version of their hot loop, chosen at run
# time. AIIR_NO_AVX512 makes aiir take the portable ones; both must give the
# same prompts (scores as printed), findings and report, byte for byte, on
# texts with attacks, secrets and hidden text. (On a CPU without AVX-512 both
# runs take the portable loops: the test then shows nothing, and says so.)
set -euo pipefail
: "${AIIR:?set AIIR to the aiir binary}" "${AIIR_ROOT:?set AIIR_ROOT to the source folder}"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The hash of a run's stdout and its exit code (the scenarios hold damaged files: 3).
run() {
  local rc=0
  "$@" > "$tmp/out" || rc=$?
  echo "$(sha256sum < "$tmp/out") rc=$rc"
}
export SOURCE_DATE_EPOCH=1773230400
grep -q avx512bw /proc/cpuinfo 2>/dev/null || echo "note: no AVX-512 here; both runs take the portable loops"

inputs=("$AIIR_ROOT/examples/incident" "$AIIR_ROOT/tests/data/scenarios")
for in in "${inputs[@]}"; do
  [ -d "$in" ] || fail "missing $in"
  a=$(run "$AIIR" prompts -q --threads 1 "$in")
  b=$(AIIR_NO_AVX512=1 run "$AIIR" prompts -q --threads 1 "$in")
  [ "$a" = "$b" ] || fail "aiir prompts differs with the portable loops on $in"
  for fmt in json jsonl; do
    a=$(run "$AIIR" scan -q --threads 1 --format "$fmt" "$in")
    b=$(AIIR_NO_AVX512=1 run "$AIIR" scan -q --threads 1 --format "$fmt" "$in")
    [ "$a" = "$b" ] || fail "scan --format $fmt differs with the portable loops on $in"
  done
done
# Not an empty comparison: the prompts carry signature hits and secrets.
"$AIIR" prompts -q "$AIIR_ROOT/examples/incident" | jq -s -e 'any(.[]; (.signatures // []) | length > 0)' >/dev/null ||
  fail "no signature hit in the example's prompts: the comparison would prove little"
echo "portable: ok"
