#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One LLMjacking incident (tests/data/scenarios/export-shapes, written by its make.py) delivered
# in every export shape: an organization trail's S3 delivery with a digest, lookup-events pages,
# CloudWatch Logs filter-log-events and export-to-S3, JSON Lines, CloudTrail Lake query results,
# the console's Event history CSV and JSON, and a messy folder (org and account trail
# overlapping, a truncated .json.gz, a UTF-8 BOM, an empty file, a README, a > 1 MB record, a
# file downloaded twice). Each shape must be read without silent loss and give the same answers,
# except where the shape does not carry what a finding needs: then the report must say so.
# The expectations come from the methodology and docs/formats (counts from expected.json).
# Run by ctest with AIIR (the binary) and AIIR_ROOT (the source tree).
set -uo pipefail
# shellcheck source=scenario_lib.sh
source "${AIIR_ROOT:?set AIIR_ROOT to the source tree}/tests/cli/scenario_lib.sh"
export SOURCE_DATE_EPOCH=1775174400
# jq -s: the findings as one array (with -e, a select over lines exits by the last line).
finding() { jq -s -e --arg r "$2" "map(select(.rule == \$r)) | length >= 1 and any(.[]; $3)" "$1" >/dev/null; }
report() { jq -e "$2" "$1" >/dev/null; }
nfiles() { find "$1" -type f "${@:2}" | wc -l; }

root=tests/data/scenarios/export-shapes
exp=$root/expected.json
key=AKIA5SVCREPORTLEAK01
ip=203.0.113.45
user=arn:aws:iam::444455556666:user/svc-reporting
opus=anthropic.claude-3-opus-20240229-v1:0
ct_all=$(jq .cloudtrail_events "$exp")      # 76: 72 management events and 4 S3 data events
ct_mgmt=$(jq .management_events "$exp")     # what lookup-events and Event history return
inv=$(jq .invocation_records "$exp")        # 28 invocation-log records
regions=$(jq -c .regions "$exp")
first=$(jq -r .time_range.first "$exp")
last=$(jq -r .time_range.last "$exp")
calls=$(jq .attacker_invoke_calls "$exp")   # 16 model calls by the leaked key (15 and the probe)

check "export shapes: make.py is deterministic and up to date" bash -c "
  cp -r '$root' '$tmp/regen' && python3 '$tmp/regen/make.py' >/dev/null &&
  diff -r -q -x __pycache__ '$root' '$tmp/regen' >/dev/null"

# Scan each folder: the report (json, with the reading summary), the findings with 1 and 2 threads.
shapes="s3-org-trail lookup-events cloudwatch-api cloudwatch-export jsonl lake event-history-csv event-history-json messy"
for s in $shapes; do
  "$AIIR" scan -q --stats "$tmp/$s.stats.json" --format json "$root/$s" >"$tmp/$s.json"
  echo $? >"$tmp/$s.rc"
  for threads in 1 2; do
    "$AIIR" scan -q --threads "$threads" --format jsonl "$root/$s" >"$tmp/$s.$threads.jsonl"
  done
  "$AIIR" scan -q --threads 1 --format json "$root/$s" >"$tmp/$s.t1.json"
  "$AIIR" scan -q --threads 2 --format json "$root/$s" >"$tmp/$s.t2.json"
done

for s in $shapes; do
  d=$root/$s
  j=$tmp/$s.json
  f=$tmp/$s.1.jsonl
  check "$s: same findings for 1 and 2 threads" cmp -s "$tmp/$s.1.jsonl" "$tmp/$s.2.jsonl"
  check "$s: same report for 1 and 2 threads" \
    bash -c "cmp -s <(jq -S 'del(.command)' '$tmp/$s.t1.json') <(jq -S 'del(.command)' '$tmp/$s.t2.json')"
  # No silent loss: every file is considered and given a shape, the summary lists each one.
  check "$s: every file counted" report "$j" ".inputs.files == $(nfiles "$d")"
  check "$s: every file has a shape" report "$j" '(.inputs.files_by_shape | add) == .inputs.files'
  check "$s: the reading summary lists every file" \
    jq -e --argjson n "$(nfiles "$d")" '(.files | length) == $n and all(.files[]; (.shape // "") != "")' "$tmp/$s.stats.json" >/dev/null
  check "$s: every invocation record read" report "$j" ".coverage.invocation_records == $inv"
  check "$s: the five regions" report "$j" ".coverage.regions == $regions"
  check "$s: the time range" report "$j" ".time_range == {\"first\": \"$first\", \"last\": \"$last\"}"
done

# What each clean folder holds, shape by shape, and all of it read (exit 0). An invocation-log
# object with one line is a single record: objects are counted as JSON Lines or single records.
inv_objs() { nfiles "$root/$1" -path '*BedrockModelInvocationLogs*' -name '*.json.gz'; }
shape_is() { # FILE JQ-OBJECT INVOCATION-OBJECTS: files_by_shape is OBJECT plus the invocation objects
  jq -e --argjson want "$2" --argjson inv "$3" \
    '.inputs.files_by_shape as $s | ($s | del(.json_lines, .single_record)) == ($want | del(.json_lines)) and
     (($s.json_lines // 0) + ($s.single_record // 0)) == (($want.json_lines // 0) + $inv)' "$1" >/dev/null
}
for s in s3-org-trail lookup-events cloudwatch-api cloudwatch-export jsonl lake event-history-csv event-history-json; do
  check "$s: every file read without a problem, exit 0" \
    bash -c "[ \"\$(cat '$tmp/$s.rc')\" = 0 ] && jq -e '.inputs.files_failed == 0 and .inputs.warnings == 0 and (.inputs.skipped | length) == 0' '$tmp/$s.json' >/dev/null"
done
check "s3-org-trail: log files, the digest, invocation objects and the Bedrock marker" \
  shape_is "$tmp/s3-org-trail.json" "{\"cloudtrail_records\": $(nfiles $root/s3-org-trail -path '*/CloudTrail/*'), \"cloudtrail_digest\": 1, \"marker\": 1}" "$(inv_objs s3-org-trail)"
check "lookup-events: the pages (one file holds two documents) and the invocation tree" \
  shape_is "$tmp/lookup-events.json" "{\"lookup_events\": $(nfiles $root/lookup-events -name 'lookup-events_*'), \"marker\": 1}" "$(inv_objs lookup-events)"
check "cloudwatch-api: filter-log-events of both log groups" \
  report "$tmp/cloudwatch-api.json" '.inputs.files_by_shape == {"cloudwatch_api": 5}'
check "cloudwatch-export: the exported objects and the write-test marker" \
  report "$tmp/cloudwatch-export.json" '.inputs.files_by_shape == {"cloudwatch_export": 8, "marker": 1}'
check "jsonl: the .jsonl and the .json.gz" report "$tmp/jsonl.json" '.inputs.files_by_shape == {"json_lines": 3}'
check "lake: the two get-query-results pages, in flat mode" \
  shape_is "$tmp/lake.json" '{"lake_results": 2, "marker": 1}' "$(inv_objs lake)"
check "event-history-csv: the CSV downloads, in flat mode" \
  shape_is "$tmp/event-history-csv.json" '{"csv_columns": 5, "marker": 1}' "$(inv_objs event-history-csv)"
check "event-history-json: the JSON downloads" \
  shape_is "$tmp/event-history-json.json" '{"cloudtrail_records": 5, "marker": 1}' "$(inv_objs event-history-json)"

# The same CloudTrail events: all of them where the shape holds data events, the management
# events where it cannot (lookup-events and Event history never return data events).
for s in s3-org-trail cloudwatch-api cloudwatch-export jsonl lake; do
  check "$s: all $ct_all CloudTrail events, the 4 S3 data events among them" \
    report "$tmp/$s.json" ".coverage.cloudtrail_events == $ct_all and .coverage.data_events == 4 and .coverage.s3_data_events == 4 and .inputs.events == $ct_all + $inv"
done
for s in lookup-events event-history-csv event-history-json; do
  check "$s: the $ct_mgmt management events, no data events" \
    report "$tmp/$s.json" ".coverage.cloudtrail_events == $ct_mgmt and .coverage.data_events == 0 and .inputs.events == $ct_mgmt + $inv"
  check "$s: the report says data events cannot be seen" \
    report "$tmp/$s.json" '.coverage.notes | any(test("data event"; "i"))'
done
check "s3-org-trail: the digest verifies the log files it lists" \
  bash -c "\"$AIIR\" verify '$root/s3-org-trail' >/dev/null 2>&1"

# The findings, in every shape that carries the fields they need. The Event history CSV carries
# no identity ARN or account: its rows get the actor IAMUser:<User name> from their long-term key
# (docs/event-schema.md §3.2), which the access and AI-changes analyzers group by.
full="s3-org-trail lookup-events cloudwatch-api cloudwatch-export jsonl lake event-history-json messy"
for s in $full event-history-csv; do
  f=$tmp/$s.1.jsonl
  check "$s: the LLMjacking chain of the leaked key, with enablement and burst: critical" \
    finding "$f" ai_changes.llmjacking_chain ".severity == \"critical\" and .access_key_id == \"$key\""
  check "$s: the chain names the attacker's address" \
    finding "$f" ai_changes.llmjacking_chain ".source_ips == [\"$ip\"]"
  check "$s: model access enabled outside the console" \
    finding "$f" ai_changes.model_access_enabled_programmatically ".severity == \"high\" and .access_key_id == \"$key\""
  check "$s: the guardrail deleted" \
    finding "$f" ai_changes.guardrail_deleted ".severity == \"high\" and .source_ips == [\"$ip\"]"
  check "$s: models listed in five regions" \
    finding "$f" ai_changes.model_enumeration_regions ".access_key_id == \"$key\" or .principal == \"$user\""
  check "$s: the leaked key from a new address" \
    finding "$f" access.long_term_key_new_ip ".access_key_id == \"$key\" and .source_ips == [\"$ip\"]"
  check "$s: the leaked key's user is a new caller of models" \
    finding "$f" invocation.new_principal ".principal == \"$user\""
  check "$s: the administrator, developer, responder and application are not flagged above low" \
    jq -s -e 'any(.[]; (.severity | IN("medium", "high", "critical")) and (((.principal // "") | test("assumed-role/(Admin|Developer|IR-Responder|chat-app-task-role)/")) or ((.access_key_id // "") | test("^ASIA5(ADMIN|DEVDAVE|IRRESP|CHATAPP)")))) | not' "$f" >/dev/null
  check "$s: the report's principals name the key with the attacker's address" \
    report "$tmp/$s.json" "any(.principals[]; .access_key_id == \"$key\" and any(.source_ips[]; .value == \"$ip\"))"
done
for s in $full; do
  check "$s: each of the leaked key's $calls model calls counted once across CloudTrail and the invocation logs" \
    report "$tmp/$s.json" "[.model_usage.rows[] | select(.principal == \"$user\" and .model == \"$opus\") | .calls] | add == $calls"
  check "$s: the same findings at medium and above as the S3 delivery" \
    bash -c "diff <(jq -c 'select(.severity | IN(\"medium\",\"high\",\"critical\")) | [.rule, .severity, .principal, .access_key_id, .source_ips]' '$tmp/s3-org-trail.1.jsonl' | sort) \
                  <(jq -c 'select(.severity | IN(\"medium\",\"high\",\"critical\")) | [.rule, .severity, .principal, .access_key_id, .source_ips]' '$tmp/$s.1.jsonl' | sort) >/dev/null"
done

# The Event history CSV has no request id, no principal ARN, no account, no user agent, no
# request parameters: what needs them may be lost, and the report must say what it cannot see
# (docs/formats: "treat CSV as a lossy summary (no nested fields) and warn").
c=$tmp/event-history-csv.json
check "event-history-csv: the report says the CSV lacks the records' fields" \
  report "$c" '.coverage.notes | any(test("CSV|column|Event history|flat"; "i"))'
# Was a gap: the CSV has no request ids; the report now says the two sources could not be joined.
check "event-history-csv: model calls counted once, or the report says they could not be joined" \
  report "$c" "([.model_usage.rows[].calls] | add == $inv) or (.coverage.notes | any(test(\"join|twice|double\"; \"i\")))"
# Was a gap: the "Resource type"/"Resource name" columns are read as resources[], and a Bedrock
# model named only there is the call's model.
check "event-history-csv: the model of each call, from the Resource name column" \
  report "$c" 'all(.model_usage.rows[]; .model != null)'
check "lake: the report says the query results hold only the selected columns" \
  report "$tmp/lake.json" '.coverage.notes | any(test("flat mode|table|column"; "i"))'

# The messy folder: duplicates dropped, damaged files read as far as they go and counted.
m=$tmp/messy.json
ms=$tmp/messy.stats.json
check "messy: exit 3, some input could not be read" bash -c "[ \"\$(cat '$tmp/messy.rc')\" = 3 ]"
check "messy: each event once, the > 1 MB record and the BOM file's included" \
  report "$m" ".coverage.cloudtrail_events == $(jq .messy_cloudtrail_events "$exp") and .coverage.invocation_records == $inv"
check "messy: the overlapping trails and the second download dropped as duplicates" \
  report "$m" ".inputs.skipped.duplicate >= $(jq .messy_duplicates_at_least "$exp")"
check "messy: the truncated .json.gz is the one failed file, with a warning" \
  jq -e '.files_failed == 1 and any(.warnings[]; (.file | endswith(".partial.json.gz")) and (.kind | IN("gzip_corrupt", "truncated_json", "read_failed")))' "$ms" >/dev/null
check "messy: the truncated file is marked failed in the summary" \
  jq -e 'any(.files[]; (.path | endswith(".partial.json.gz")) and .failed == true)' "$ms" >/dev/null
check "messy: the warnings are counted in the report" report "$m" '.inputs.warnings >= 1 and .inputs.files_failed == 1'
check "messy: README.txt and the empty file are warned about, and not failures" \
  jq -e '([.warnings[] | select(.file | endswith("README.txt") or endswith("empty.json")) | .kind] | sort) == ["unrecognised", "unrecognised"]' "$ms" >/dev/null
check "messy: --fail-on critical exits 1, before the 3 of the partial read" \
  bash -c "\"$AIIR\" scan -q --fail-on critical --format jsonl '$root/messy' >/dev/null 2>&1; [ \$? = 1 ]"
check "messy: the report's notes say files could not be read" report "$m" '.coverage.notes | any(test("could not be read|not be read|unreadable|failed"; "i"))'
# The BOM file holds an array of two lookup-events pages (docs: "arrays of pages").
check "messy: the BOM file's array of lookup-events pages is read, without a UTF-8 repair" \
  jq -e 'any(.files[]; (.path | endswith("lookup-events_ap-northeast-1_eu-central-1.json")) and (.shape | IN("lookup_events", "json_array")) and .records == 2 and .failed == false) and (any(.warnings[]; .file | endswith("eu-central-1.json")) | not)' "$ms" >/dev/null
check "messy: README.txt counted, not read as a log, not a failure" \
  jq -e 'any(.files[]; (.path | endswith("README.txt")) and (.shape | IN("unrecognised", "unsupported")) and .failed == false)' "$ms" >/dev/null
check "messy: the empty file counted, not a failure" \
  jq -e 'any(.files[]; (.path | endswith("empty.json")) and .failed == false and .records == 0)' "$ms" >/dev/null
check "messy: the > 1 MB single-line record read" \
  bash -c "\"$AIIR\" events -q --action CreateStack '$root/messy' 2>/dev/null | jq -s -e 'length == 1 and .[0].request_id != null' >/dev/null"
check "messy: a file and its second download give its 2 events once" \
  jq -e '[.files[] | select(.path | contains("_us-west-2_20260402T1413Z_")) | .records] | length == 2 and add == 2' "$ms" >/dev/null

echo "scenarios (export shapes): $pass passed, $fail failed, $known known bugs"
[ "$fail" -eq 0 ]
