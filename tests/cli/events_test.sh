#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `aiir events` end to end: a closed pipe, stdin, --from/--to with offsets,
# output formats, --sort, --stats and determinism across thread counts.
# Run by ctest with AIIR (the binary) and AIIR_ROOT (the source tree).
set -uo pipefail
: "${AIIR:?set AIIR to the aiir binary}" "${AIIR_ROOT:?set AIIR_ROOT to the source tree}"
cd "$AIIR_ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib.sh
source "$AIIR_ROOT/tests/cli/lib.sh"
times_of() { grep -o '"time":"[^"]*"' "$1" | cut -d'"' -f4; }

inc=examples/incident
mixed=tests/data/golden/mixed

# A closed pipe ends the run quietly: `aiir events | head -1`.
"$AIIR" events --raw "$inc" 2>"$tmp/pipe.err" | head -1 >"$tmp/first"
codes=("${PIPESTATUS[@]}")
check "head -1: aiir exit 0 (got ${codes[0]})" test "${codes[0]}" = 0
check "head -1: one line" test "$(wc -l <"$tmp/first")" = 1
check "head -1: the line is an aiir.event/1 object" grep -q '^{"schema":"aiir.event/1",' "$tmp/first"
if grep -qiE 'broken pipe|EPIPE|write.*fail|error' "$tmp/pipe.err"; then
  bad "head -1: stderr mentions the closed pipe:"; sed 's/^/  /' "$tmp/pipe.err" >&2
else ok; fi
"$AIIR" events -q --format csv "$inc" 2>"$tmp/pipe.err" | head -2 >/dev/null
check "head -2 on csv: quiet stderr" test ! -s "$tmp/pipe.err"

# The whole example: one line per event, every line a JSON object of the schema.
"$AIIR" events -q --threads 1 "$inc" >"$tmp/all.jsonl"
n_all=$(wc -l <"$tmp/all.jsonl")
check "example has events" test "$n_all" -gt 100
check "every line has the schema" test "$(grep -c '^{"schema":"aiir.event/1","time":"' "$tmp/all.jsonl")" = "$n_all"

# Same bytes for any thread count.
"$AIIR" events -q --threads 4 "$inc" >"$tmp/all4.jsonl"
check "threads 1 == threads 4" cmp -s "$tmp/all.jsonl" "$tmp/all4.jsonl"

# stdin: `aiir events -` reads plain and gzip input; file is "-".
"$AIIR" events -q --threads 1 "$mixed/cloudtrail.json" >"$tmp/file.jsonl"
"$AIIR" events -q - <"$mixed/cloudtrail.json" >"$tmp/stdin.jsonl"
check "stdin: exit 0" test $? = 0
check "stdin: same number of events" test "$(wc -l <"$tmp/stdin.jsonl")" = "$(wc -l <"$tmp/file.jsonl")"
check "stdin: file is -" grep -q '"file":"-","record":0}' "$tmp/stdin.jsonl"
sed 's/"file":"[^"]*"/"file":"X"/' "$tmp/file.jsonl" >"$tmp/a"
sed 's/"file":"[^"]*"/"file":"X"/' "$tmp/stdin.jsonl" >"$tmp/b"
check "stdin: same events as the file" cmp -s "$tmp/a" "$tmp/b"
gz=$(find "$inc" -path '*CloudTrail*' -name '*.json.gz' | sort | head -1)
"$AIIR" events -q "$gz" | sed 's/"file":"[^"]*"/"file":"X"/' >"$tmp/a"
"$AIIR" events -q - <"$gz" | sed 's/"file":"[^"]*"/"file":"X"/' >"$tmp/b"
check "stdin: gzip detected by content" cmp -s "$tmp/a" "$tmp/b"
check "stdin: gzip gave events" test -s "$tmp/b"
printf '' | "$AIIR" events -q - >/dev/null 2>&1
check "stdin: empty input exits 2" test $? = 2

# --from/--to: inclusive bounds; an offset means the same instant as Z.
"$AIIR" events -q --from 2026-03-11T14:07:12Z --to 2026-03-11T16:00:00Z "$inc" >"$tmp/z.jsonl"
"$AIIR" events -q --from 2026-03-11T16:07:12+02:00 --to 2026-03-11T10:00:00-06:00 "$inc" >"$tmp/off.jsonl"
check "window: events found" test -s "$tmp/z.jsonl"
check "window: offsets == Z" cmp -s "$tmp/z.jsonl" "$tmp/off.jsonl"
check "window: start is inclusive (14:07:12 GetCallerIdentity)" \
  grep -q '"time":"2026-03-11T14:07:12Z".*"action":"GetCallerIdentity"' "$tmp/z.jsonl"
outside=$(times_of "$tmp/z.jsonl" | awk '$0 < "2026-03-11T14:07:12" || $0 > "2026-03-11T16:00:00Z"' | wc -l)
check "window: no event outside ($outside)" test "$outside" = 0
inside=$(times_of "$tmp/all.jsonl" | awk '$0 >= "2026-03-11T14:07:12" && $0 <= "2026-03-11T16:00:00Z"' | wc -l)
check "window: every event inside kept ($inside vs $(wc -l <"$tmp/z.jsonl"))" test "$inside" = "$(wc -l <"$tmp/z.jsonl")"
"$AIIR" events -q --from 2026-03-11T14:07:12.001Z --to 2026-03-11T16:00:00Z "$inc" >"$tmp/z2.jsonl"
check "window: one millisecond later drops the 14:07:12 event" \
  test "$(grep -c '"time":"2026-03-11T14:07:12Z"' "$tmp/z2.jsonl")" = 0
"$AIIR" events -q --from 2026-03-12T00:00:00Z --to 2026-03-12T23:59:59Z --stats "$tmp/stats.json" "$inc" >"$tmp/day.jsonl"
check "window: files of earlier days are not opened" grep -q '"shape":"not_opened_outside_window"' "$tmp/stats.json"
check "window: --stats counts them" grep -qE '"files_skipped_window":[1-9]' "$tmp/stats.json"
day=$(times_of "$tmp/all.jsonl" | grep -c '^2026-03-12T')
check "window: a whole day keeps all its events ($day)" test "$(wc -l <"$tmp/day.jsonl")" = "$day"
# --from alone (no --to): regression for an overflow that skipped every file.
"$AIIR" events -q --from 2026-03-12T00:00:00Z "$inc" >"$tmp/from.jsonl" 2>/dev/null
check "window: --from alone keeps the later events (got $(wc -l <"$tmp/from.jsonl"), want $day)" \
  test "$(wc -l <"$tmp/from.jsonl")" = "$day"
"$AIIR" events -q --to 2026-03-10T23:59:59Z "$inc" >"$tmp/to.jsonl"
first_day=$(times_of "$tmp/all.jsonl" | grep -c '^2026-03-10T')
check "window: --to alone keeps the earlier events" test "$(wc -l <"$tmp/to.jsonl")" = "$first_day"

# --stats: aiir.stats/1 with totals that match the output.
"$AIIR" events -q --stats "$tmp/s.json" "$inc" >/dev/null
check "stats: schema" grep -q '^{"schema":"aiir.stats/1",' "$tmp/s.json"
check "stats: events_total matches the lines" grep -q "\"events_total\":$n_all," "$tmp/s.json"
"$AIIR" events -q --stats "$tmp/m.json" "$mixed" >/dev/null
check "stats: the duplicate is counted" grep -q '"duplicate":{"count":1,' "$tmp/m.json"

# -q: nothing on stderr; without -q the reading summary.
"$AIIR" events -q "$mixed" >/dev/null 2>"$tmp/q.err"
check "-q: empty stderr" test ! -s "$tmp/q.err"
"$AIIR" events "$mixed" >/dev/null 2>"$tmp/s.err"
check "summary on stderr" grep -q '^aiir: read 2 file(s)' "$tmp/s.err"
check "summary counts events" grep -q 'events: 6 (4 cloudtrail, 2 bedrock_invocation)' "$tmp/s.err"

# --sort: time order, same events.
"$AIIR" events -q --sort "$inc" >"$tmp/sorted.jsonl"
check "sort: same count" test "$(wc -l <"$tmp/sorted.jsonl")" = "$n_all"
check "sort: non-decreasing times" bash -c "grep -o '\"time\":\"[^\"]*\"' '$tmp/sorted.jsonl' | cut -d'\"' -f4 | sed 's/Z\$/.000Z/; s/\\(\\.[0-9]*\\)\\.000Z\$/\\1Z/' | sort -c"
check "sort: same multiset of lines" cmp -s <(sort "$tmp/sorted.jsonl") <(sort "$tmp/all.jsonl")

# CSV: header, one line per event, formula guard.
"$AIIR" events -q --format csv "$mixed" >"$tmp/m.csv"
check "csv: header" grep -q '^time,kind,account,region,actor_arn,' "$tmp/m.csv"
check "csv: header + 6 events" test "$(wc -l <"$tmp/m.csv")" = 7
check "csv: formula guarded" grep -q "\"'=HYPERLINK" "$tmp/m.csv"
"$AIIR" events -q --format csv --raw "$mixed" >"$tmp/r.csv"
check "csv --raw: raw column" grep -q ',file,record,raw$' "$tmp/r.csv"

# Timesketch: message, datetime, timestamp (microseconds), timestamp_desc.
"$AIIR" events -q --format timesketch "$mixed" >"$tmp/ts.jsonl"
check "timesketch: fields" test "$(grep -c '^{"message":"[^"]*","datetime":"[^"]*","timestamp":[0-9]*,"timestamp_desc":"' "$tmp/ts.jsonl")" = 6
check "timesketch: microseconds" grep -q '"datetime":"2026-03-11T15:00:00.250Z","timestamp":1773241200250000,' "$tmp/ts.jsonl"

# --raw adds the original record.
"$AIIR" events -q --raw "$mixed/invocations.jsonl" >"$tmp/raw.jsonl"
check "raw: record present" grep -q '"raw":{"schemaType":"ModelInvocationLog"' "$tmp/raw.jsonl"

# Pivots: --key, --principal (a role matches its sessions), --ip (address or CIDR),
# --action (eventName or service:eventName, wildcards). Values of one flag are
# alternatives; different flags must all match.
count() { wc -l <"$1" | tr -d ' '; }
"$AIIR" events -q --key AKIA3EXAMPLELEAKD7Q2 "$inc" >"$tmp/k.jsonl"
check "--key: some events" test "$(count "$tmp/k.jsonl")" -gt 50
check "--key: only that key" test "$(grep -vc '"access_key_id":"AKIA3EXAMPLELEAKD7Q2"' "$tmp/k.jsonl")" = 0
check "--key: all of that key" test "$(count "$tmp/k.jsonl")" = "$(grep -c '"access_key_id":"AKIA3EXAMPLELEAKD7Q2"' "$tmp/all.jsonl")"
"$AIIR" events -q --ip 203.0.113.0/24 --ip 198.51.100.141 "$inc" >"$tmp/ip.jsonl"
check "--ip: CIDR or address" test "$(grep -vcE '"source_ip":"(203\.0\.113\.[0-9]+|198\.51\.100\.141)"' "$tmp/ip.jsonl")" = 0
check "--ip: both values kept" bash -c "grep -q '198.51.100.141' '$tmp/ip.jsonl' && grep -q '203.0.113.77' '$tmp/ip.jsonl'"
"$AIIR" events -q --principal 'arn:aws:iam::111122223333:role/support-assistant-lambda-role' "$inc" >"$tmp/role.jsonl"
check "--principal: a role matches its sessions" grep -q '"actor_arn":"arn:aws:sts::111122223333:assumed-role/support-assistant-lambda-role/' "$tmp/role.jsonl"
"$AIIR" events -q --principal '*:user/ml-pipeline' --action 'bedrock:*Guardrail*' "$inc" >"$tmp/pa.jsonl"
check "--principal and --action: AND" test "$(count "$tmp/pa.jsonl")" -ge 2
check "--action: only guardrail calls" test "$(grep -vc '"action":"[A-Za-z]*Guardrail[A-Za-z]*"' "$tmp/pa.jsonl")" = 0
"$AIIR" events -q --action DeleteGuardrail --sort "$inc" >"$tmp/dg.jsonl"
check "--action: the deletion" test "$(count "$tmp/dg.jsonl")" = 1
"$AIIR" events -q --key AKIA3EXAMPLELEAKD7Q2,AKIA3EXAMPLEPERS9T4K "$inc" >"$tmp/k2.jsonl"
"$AIIR" events -q --key AKIA3EXAMPLELEAKD7Q2 --key AKIA3EXAMPLEPERS9T4K "$inc" >"$tmp/k3.jsonl"
check "--key: a comma list is the same as the flag twice" cmp -s "$tmp/k2.jsonl" "$tmp/k3.jsonl"
check "--key: two keys give more than one" test "$(count "$tmp/k2.jsonl")" -gt "$(count "$tmp/k.jsonl")"
"$AIIR" events -q --key AKIA3EXAMPLELEAKD7Q2 "$inc" "$mixed" 2>/dev/null >"$tmp/kp.jsonl"
check "--key takes one value: the paths after it stay paths" test "$(count "$tmp/kp.jsonl")" -ge "$(count "$tmp/k.jsonl")"
"$AIIR" events -q --key AKIANOSUCHKEY0000000 "$inc" >"$tmp/none.jsonl"; rc=$?
check "--key matching nothing: exit 0, no lines" test "$rc" = 0 -a "$(count "$tmp/none.jsonl")" = 0
"$AIIR" events -q --ip not-an-ip "$inc" >/dev/null 2>"$tmp/badip.err"; rc=$?
check "--ip with a bad value: usage error" test "$rc" = 2
check "--ip with a bad value: says so" grep -q -- '--ip' "$tmp/badip.err"

echo "events: $pass passed, $fail failed, $known known bug(s)"
[ "$fail" -eq 0 ]
