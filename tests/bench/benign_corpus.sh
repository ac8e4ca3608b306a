#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The bench generator's benign corpus (bench/gen_corpus.cpp: stable principals,
# company networks, steady rates, no attack) must give no finding at high or
# critical, for several seeds and invocation shares; `--fail-on high` exits 0.
# Run by ctest (when the bench programs are built) with AIIR, GEN_CORPUS and AIIR_ROOT.
set -uo pipefail
: "${AIIR:?set AIIR to the aiir binary}" "${GEN_CORPUS:?set GEN_CORPUS to bench gen_corpus}" "${AIIR_ROOT:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=../cli/lib.sh
source "$AIIR_ROOT/tests/cli/lib.sh"
for run in "7 0.10" "11 0.10" "23 0.60"; do
  read -r seed share <<<"$run"
  dir=$tmp/c$seed
  "$GEN_CORPUS" --out "$dir" --size-mb 12 --seed "$seed" --invocation-share "$share" >/dev/null
  rc=0
  "$AIIR" scan -q --threads 2 --format jsonl --fail-on high "$dir" >"$tmp/f$seed.jsonl" || rc=$?
  check "seed $seed: scan exits 0 with --fail-on high (no high or critical finding)" test "$rc" -eq 0
  check "seed $seed: no finding at high or critical" \
    bash -c "! jq -e 'select(.severity == \"high\" or .severity == \"critical\")' '$tmp/f$seed.jsonl' >/dev/null"
  # What fires at medium on benign traffic is listed, for whoever tunes the rules.
  jq -r 'select(.severity == "medium") | .rule' "$tmp/f$seed.jsonl" | sort | uniq -c | sed "s/^/seed $seed medium: /" >&2
done
echo "benign corpus: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
