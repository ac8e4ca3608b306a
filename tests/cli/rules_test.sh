#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `aiir rules list | lint | test`: the shipped pack loads and passes its own
# cases, the SigmaHQ AWS rules load, and broken rules and failing cases are
# reported with the right exit code.
# Run by ctest with AIIR (the binary) and AIIR_ROOT (the source tree).
set -uo pipefail
: "${AIIR:?set AIIR to the aiir binary}" "${AIIR_ROOT:?set AIIR_ROOT to the source tree}"
cd "$AIIR_ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib.sh
source "$AIIR_ROOT/tests/cli/lib.sh"
run() {  # run ARGS...: aiir with stdout in $tmp/out, stderr in $tmp/err, exit code in $rc
  "$AIIR" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}

# The shipped pack: every rule loads, every case passes, every rule has both kinds of case.
run rules lint
check "lint pack: exit 0 (got $rc)" test "$rc" = 0
check "lint pack: zero errors" grep -qE '^[0-9]+ rule\(s\) loaded, 0 error\(s\)' "$tmp/out"
pack=$(grep -oE '^[0-9]+' "$tmp/out" | head -1)
check "lint pack: rules loaded (${pack:-0})" test "${pack:-0}" -gt 0
run rules test
check "test pack: exit 0 (got $rc)" test "$rc" = 0
check "test pack: 0 failed" grep -qE '^[0-9]+ passed, 0 failed$' "$tmp/out"
check "test pack: every rule has a positive and a negative case" \
  grep -qE 'without a positive case: 0; without a negative case: 0' "$tmp/out"

# list: one line per rule, status loaded; JSON one object per line.
run rules list
check "list: exit 0" test "$rc" = 0
check "list: one line per rule" test "$(grep -c '^loaded ' "$tmp/out")" = "$pack"
run rules list --format json
check "list json: one object per rule" test "$(grep -c '^{"id":"' "$tmp/out")" = "$pack"
check "list json: status and element" grep -q '"element":"ai_changes".*"status":"loaded"' "$tmp/out"

# The SigmaHQ AWS rules (DRL 1.1) in ../shared: all 57 load with zero errors.
shared_rules=${AIIR_SIGMA_AWS:-$AIIR_ROOT/../shared/sigma-aws/rules}
if [ -d "$shared_rules" ]; then
  files=$(find "$shared_rules" -name '*.yml' | wc -l)
  check "sigma-aws: 57 rule files ($files)" test "$files" = 57
  run rules lint --no-default-rules --rules "$shared_rules"
  check "lint sigma-aws: exit 0 (got $rc)" test "$rc" = 0
  check "lint sigma-aws: 57 loaded, 0 errors" grep -q '^57 rule(s) loaded, 0 error(s)' "$tmp/out"
  run rules lint --rules "$shared_rules"
  check "lint pack + sigma-aws: all load" grep -q "^$((pack + 57)) rule(s) loaded, 0 error(s)" "$tmp/out"
  run rules list --no-default-rules --rules "$shared_rules"
  check "list sigma-aws: 57 loaded" test "$(grep -c '^loaded ' "$tmp/out")" = 57
else
  echo "SKIP sigma-aws checks ($shared_rules absent)" >&2
fi

# A rule that does not load: lint names file:line and exits 2; scan goes on and counts it.
mkdir -p "$tmp/bad"
cat >"$tmp/bad/broken_condition.yml" <<'YAML'
title: Broken condition
id: 0b7e5b7a-1111-4c1e-9d9e-000000000001
level: low
logsource: {product: aws, service: cloudtrail}
detection:
    sel: {eventName: GetObject}
    condition: sel and not
YAML
cat >"$tmp/bad/good.yml" <<'YAML'
title: Good rule
id: 0b7e5b7a-1111-4c1e-9d9e-000000000002
level: low
logsource: {product: aws, service: cloudtrail}
detection:
    sel: {eventName: GetObject}
    condition: sel
YAML
run rules lint --no-default-rules --rules "$tmp/bad"
check "lint broken: exit 2 (got $rc)" test "$rc" = 2
check "lint broken: names file:line" grep -qE 'broken_condition\.yml:[0-9]+' "$tmp/out" "$tmp/err"
check "lint broken: counts" grep -q '1 rule(s) loaded, 1 error(s)' "$tmp/out"
run scan --no-default-rules --rules "$tmp/bad" --format jsonl examples/incident
check "scan with a broken rule: still runs (exit $rc)" test "$rc" = 0
check "scan with a broken rule: counted in the summary" grep -q 'rules: 1 loaded, 1 failed' "$tmp/err"

# Case folders: a passing and a failing expectation.
mkdir -p "$tmp/cases"
cat >"$tmp/cases/pass.json" <<'JSON'
{"description": "GetObject fires the good rule", "expect": ["0b7e5b7a-1111-4c1e-9d9e-000000000002"],
 "records": [{"eventVersion": "1.09", "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventTime": "2026-03-11T00:00:00Z"}]}
JSON
run rules test --no-default-rules --rules "$tmp/bad/good.yml" --cases "$tmp/cases"
check "cases: pass (exit $rc)" test "$rc" = 0
cat >"$tmp/cases/fail.json" <<'JSON'
{"description": "PutObject does not fire it", "expect": ["0b7e5b7a-1111-4c1e-9d9e-000000000002"],
 "records": [{"eventVersion": "1.09", "eventSource": "s3.amazonaws.com", "eventName": "PutObject", "eventTime": "2026-03-11T00:00:00Z"}]}
JSON
run rules test --no-default-rules --rules "$tmp/bad/good.yml" --cases "$tmp/cases"
check "cases: a failing case exits 1 (got $rc)" test "$rc" = 1
check "cases: 1 passed, 1 failed" grep -q '1 passed, 1 failed' "$tmp/out"

echo "rules: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
