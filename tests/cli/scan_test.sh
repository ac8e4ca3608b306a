#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `aiir scan` end to end on the example incident: formats, filters, analyzer
# choice, determinism, coverage notes, and the ground truth of
# docs/example-incident.md that the Markdown report must name.
# Run by ctest with AIIR (the binary) and AIIR_ROOT (the source tree).
set -uo pipefail
: "${AIIR:?set AIIR to the aiir binary}" "${AIIR_ROOT:?set AIIR_ROOT to the source tree}"
cd "$AIIR_ROOT"
export SOURCE_DATE_EPOCH=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib.sh
source "$AIIR_ROOT/tests/cli/lib.sh"
has() { grep -qF -- "$2" "$1"; }

inc=examples/incident
"$AIIR" scan -q --threads 1 --profile examples/profile.yaml "$inc" >"$tmp/report.md"
check "md: exit 0" test $? = 0
check "md: title" has "$tmp/report.md" "# aiir triage report"
for section in "## The methodology's questions" "## Findings by element" "## Coverage: what was read, and what could not be seen"; do
  check "md: section $section" has "$tmp/report.md" "$section"
done
for element in "Access" "Infrastructure changes" "AI changes" "Data store changes" "Invocation" "Private data" "Agency"; do
  check "md: question row for $element" grep -q "^| $element | " "$tmp/report.md"
done

# Ground truth (docs/example-incident.md) named in the Markdown report.
for fact in AKIA3EXAMPLELEAKD7Q2 AKIA3EXAMPLEPERS9T4K 198.51.100.23 203.0.113.77 198.51.100.141 \
  2026-03-11T14:07:12Z 2026-03-12T10:34:13Z anthropic.claude-3-opus-20240229-v1:0 examplecorp-support-kb \
  docs/refund-policy.md docs/billing-update-2026.md docs/security-contact.md SendEmail billing-refund-processor; do
  check "md names $fact" has "$tmp/report.md" "$fact"
done
check "md names the deleted guardrail h7k2m9p4q1zx" has "$tmp/report.md" "h7k2m9p4q1zx"
check "md names the private objects read (customers-2026-03-01.csv)" has "$tmp/report.md" "customers-2026-03-01.csv"

# JSON report and JSONL findings agree; ids are 16 hex digits.
"$AIIR" scan -q --threads 1 --format json "$inc" >"$tmp/report.json"
check "json: schema first" grep -q '^{"schema":"aiir.report/1","tool":{"name":"aiir","version":"' "$tmp/report.json"
check "json: one line" test "$(wc -l <"$tmp/report.json")" = 1
check "json: generated_at pinned by SOURCE_DATE_EPOCH" has "$tmp/report.json" '"generated_at":"1970-01-01T00:00:00Z"'
"$AIIR" scan -q --threads 1 --format jsonl "$inc" >"$tmp/findings.jsonl"
n=$(wc -l <"$tmp/findings.jsonl")
check "jsonl: findings" test "$n" -gt 5
check "jsonl: every line a finding" test "$(grep -cE '^\{"schema":"aiir.finding/1","id":"[0-9a-f]{16}(-[0-9]+)?","rule":"[a-z_]+\.' "$tmp/findings.jsonl")" = "$n"
check "json and jsonl hold the same findings" test "$(grep -o '"schema":"aiir.finding/1"' "$tmp/report.json" | wc -l)" = "$n"
if command -v jq >/dev/null; then
  check "json: valid JSON" jq -e '.questions | length >= 7' "$tmp/report.json" >/dev/null
  check "jsonl: valid JSON" jq -e -s 'all(.[]; .severity and .element)' "$tmp/findings.jsonl" >/dev/null
  check "json: every question has an allowed answer" \
    jq -e '[.questions[].answer] | all(. == "yes" or . == "no" or . == "not found" or . == "cannot tell from these logs")' "$tmp/report.json" >/dev/null
  check "json: question findings exist" \
    jq -e '([.findings[].id]) as $ids | [.questions[].findings[]] | all(. as $f | $ids | index($f))' "$tmp/report.json" >/dev/null
else
  echo "SKIP jq checks (jq not installed)" >&2
fi

# Same bytes for any thread count, and across runs.
"$AIIR" scan -q --threads 3 --format json "$inc" >"$tmp/report3.json"
sed 's/--threads [0-9]*//' "$tmp/report.json" >"$tmp/a"
sed 's/--threads [0-9]*//' "$tmp/report3.json" >"$tmp/b"
check "json: threads 1 == threads 3" cmp -s "$tmp/a" "$tmp/b"
"$AIIR" scan -q --threads 2 "$inc" >"$tmp/r2.md"
"$AIIR" scan -q --threads 1 "$inc" >"$tmp/r1.md"
check "md: threads 1 == threads 2" cmp -s "$tmp/r1.md" "$tmp/r2.md"

# --min-severity hides, and says how many.
"$AIIR" scan --threads 1 --format jsonl --min-severity high "$inc" >"$tmp/high.jsonl" 2>"$tmp/high.err"
check "min-severity: only high and critical" test "$(grep -cvE '"severity":"(high|critical)"' "$tmp/high.jsonl")" = 0
check "min-severity: some remain" test -s "$tmp/high.jsonl"
check "min-severity: hidden ones counted" grep -qE 'below --min-severity' "$tmp/high.err"

# Analyzer choice.
"$AIIR" scan -q --no-default-rules --analyzers access --format jsonl "$inc" >"$tmp/access.jsonl"
check "--analyzers access: findings" test -s "$tmp/access.jsonl"
check "--analyzers access: only access findings" test "$(grep -cv '"element":"access"' "$tmp/access.jsonl")" = 0
"$AIIR" scan -q --no-default-rules --skip access,infrastructure --format jsonl "$inc" >"$tmp/skip.jsonl"
check "--skip: no access or infrastructure findings" test "$(grep -cE '"rule":"(access|infrastructure)\.' "$tmp/skip.jsonl")" = 0
"$AIIR" scan -q --no-default-rules --analyzers invocation --format json "$inc" >"$tmp/inv.json"
check "--analyzers: the others are listed as not run" has "$tmp/inv.json" '{"id":"access","enabled":false,"error":"skipped (--skip / --analyzers)"}'
"$AIIR" scan --no-default-rules --format jsonl "$inc" >/dev/null 2>"$tmp/norules.err"
check "--no-default-rules: 0 rules" grep -q 'rules: 0 loaded, 0 failed, 0 unsupported' "$tmp/norules.err"

# Missing evidence is an answer: CloudTrail only, no invocation logs.
"$AIIR" scan -q "$inc/AWSLogs/111122223333/CloudTrail" >"$tmp/ct.md"
check "no invocation logs: said so" has "$tmp/ct.md" "No Bedrock model-invocation logs were found"
"$AIIR" scan -q "$inc" >"$tmp/noprofile.md"
check "no profile: said so" has "$tmp/noprofile.md" "No environment profile was given"

# External rules: the SigmaHQ AWS rules load beside the shipped pack.
shared_rules=${AIIR_SIGMA_AWS:-$AIIR_ROOT/../shared/sigma-aws/rules}
if [ -d "$shared_rules" ]; then
  "$AIIR" scan --format jsonl --rules "$shared_rules" "$inc" >/dev/null 2>"$tmp/ext.err"
  loaded=$(grep -o 'rules: [0-9]* loaded, 0 failed, 0 unsupported' "$tmp/ext.err" | awk '{print $2}')
  base=$(grep -o 'rules: [0-9]* loaded' "$tmp/norules.err" | awk '{print $2}')
  "$AIIR" scan --format jsonl "$inc" >/dev/null 2>"$tmp/pack.err"
  pack=$(grep -o 'rules: [0-9]* loaded' "$tmp/pack.err" | awk '{print $2}')
  check "--rules sigma-aws: 57 more rules, none failed (pack $pack, with them ${loaded:-?})" \
    test "${loaded:-0}" = $((pack + 57))
else
  echo "SKIP --rules sigma-aws ($shared_rules absent)" >&2
fi

# Skipping the content analysis says what it leaves unchecked.
"$AIIR" scan --format json --skip invocation-content examples/incident 2>/dev/null | jq -r '.coverage.notes[]' >"$tmp/skip_content.notes"
check "--skip invocation-content: a note names the leaked-key check" grep -q 'access.leaked_credential_used' "$tmp/skip_content.notes"
"$AIIR" scan --format json examples/incident 2>/dev/null | jq -r '.coverage.notes[]' >"$tmp/all.notes"
check "all analyzers: no such note" bash -c "! grep -q 'invocation-content analyzer was not run' '$tmp/all.notes'"

# A list flag takes one value (repeat it or use commas): the input paths after
# it stay input paths.
two_inputs() { "$AIIR" scan --format json "$@" examples/incident tests/data/golden/mixed 2>/dev/null | jq -e '.inputs.files > 100' >/dev/null; }
check "--skip NAME then two paths: both read" two_inputs --skip access
check "--analyzers NAME then two paths: both read" two_inputs --analyzers access,agency
check "--rules DIR then two paths: both read" two_inputs --rules rules/sigma/access

# A CloudTrail Lake get-query-results file: read in flat mode, and the report says
# what that leaves out.
mkdir -p "$tmp/lake"
cat >"$tmp/lake/query-results.json" <<'EOF'
{"QueryStatus":"FINISHED","QueryResultRows":[[{"eventID":"l1"},{"eventTime":"2026-03-10 10:00:00.000"},{"eventSource":"bedrock.amazonaws.com"},{"eventName":"DeleteModelInvocationLoggingConfiguration"},{"awsRegion":"us-east-1"},{"userIdentity":"{type=IAMUser, arn=arn:aws:iam::111122223333:user/dev, accesskeyid=AKIAEXAMPLEKEY000001}"},{"recipientAccountId":"111122223333"}]]}
EOF
"$AIIR" scan -q --format json "$tmp/lake" >"$tmp/lake.json" 2>/dev/null
check "lake: read as a table" jq -e '.inputs.files_by_shape == {"lake_results": 1} and .coverage.cloudtrail_events == 1' "$tmp/lake.json" >/dev/null
check "lake: the logging deletion found" \
  jq -e '[.findings[] | select(.rule == "ai_changes.invocation_logging_deleted")] | length == 1' "$tmp/lake.json" >/dev/null
check "lake: the report says what flat mode leaves out" \
  bash -c "\"$AIIR\" scan -q '$tmp/lake' 2>/dev/null | grep -q 'read in flat mode'"

echo "scan: $pass passed, $fail failed, $known known bug(s)"
[ "$fail" -eq 0 ]
