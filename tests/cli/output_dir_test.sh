#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `aiir scan -o DIR`: every format plus manifest.json with correct hashes;
# inputs untouched; an existing non-empty folder refused without --force;
# the evidence folder refused; a write failure (file-size limit) is an error exit.
set -euo pipefail
: "${AIIR:?set AIIR to the aiir binary}" "${AIIR_ROOT:?set AIIR_ROOT to the source folder}"
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A private copy of the example, read-only, so its timestamps are ours to check.
cp -a "$AIIR_ROOT/examples/incident" "$tmp/evidence"
chmod -R a-w "$tmp/evidence"
snapshot() { (cd "$tmp/evidence" && find . -type f -printf '%p %s %T@\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
snapshot > "$tmp/before"

set +e
"$AIIR" scan -q -o "$tmp/out" "$tmp/evidence" > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
set -e
[ "$rc" -eq 0 ] || { cat "$tmp/stderr"; fail "scan -o exit $rc"; }
[ ! -s "$tmp/stdout" ] || fail "scan -o wrote to stdout"
for f in report.md report.json findings.jsonl manifest.json; do [ -s "$tmp/out/$f" ] || fail "missing $f"; done
[ "$(ls "$tmp/out" | wc -l)" -eq 4 ] || fail "unexpected files in the output folder: $(ls "$tmp/out")"
snapshot > "$tmp/after"
cmp -s "$tmp/before" "$tmp/after" || { diff "$tmp/before" "$tmp/after" | head; fail "inputs changed"; }

m="$tmp/out/manifest.json"
[ "$(jq -r .schema "$m")" = "aiir.manifest/1" ] || fail "schema"
[ "$(jq -r .tool.name "$m")" = "aiir" ] || fail "tool"
[ "$(jq -r '.argv | join(" ")' "$m")" = "$AIIR scan -q -o $tmp/out $tmp/evidence" ] || fail "argv: $(jq -c .argv "$m")"
jq -e '.started_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' "$m" > /dev/null || fail "started_at"
jq -e '.finished_at >= .started_at' "$m" > /dev/null || fail "finished_at"
[ "$(jq -r .time_source "$m")" = "clock" ] || fail "time_source"
jq -e '.redaction.redacted == false' "$m" > /dev/null || fail "redaction"
jq -e '.rules.sha256 | test("^[0-9a-f]{64}$")' "$m" > /dev/null || fail "rule pack hash"
jq -e '.rules.sources[0].files > 10' "$m" > /dev/null || fail "rule files counted"
# Every input, with the hash sha256sum gives for the stored (compressed) bytes.
n_inputs=$(find "$tmp/evidence" -type f | wc -l)
[ "$(jq '.inputs.files' "$m")" -eq "$n_inputs" ] || fail "inputs.files $(jq .inputs.files "$m") != $n_inputs"
jq -r '.inputs.list[] | "\(.sha256)  \(.path)"' "$m" | sha256sum -c --quiet - || fail "input hashes"
jq -r '.inputs.list[] | "\(.path) \(.size)"' "$m" | while read -r p s; do
  [ "$(stat -c %s "$p")" -eq "$s" ] || fail "size of $p"
done
jq -e '[.inputs.list[].records] | add > 0' "$m" > /dev/null || fail "records"
jq -e '.inputs.list | all(has("shape") and has("records_skipped"))' "$m" > /dev/null || fail "shape/skipped"
# Every output but the manifest itself, with its hash.
[ "$(jq -r '[.outputs[].name] | join(",")' "$m")" = "report.md,report.json,findings.jsonl" ] || fail "outputs"
(cd "$tmp/out" && jq -r '.outputs[] | "\(.sha256)  \(.name)"' manifest.json | sha256sum -c --quiet -) || fail "output hashes"
jq -e '.outputs | all(.size > 0)' "$m" > /dev/null || fail "output sizes"
# The reports are the same as on stdout.
"$AIIR" scan -q --format json "$tmp/evidence" | jq -S 'del(.generated_at)' > "$tmp/stdout.json"
jq -S 'del(.generated_at)' "$tmp/out/report.json" | cmp -s - "$tmp/stdout.json" || fail "report.json differs from --format json"

# An existing non-empty folder: refused (exit 2) and left alone; --force overwrites.
sum_before=$(sha256sum "$tmp/out/"*)
set +e
"$AIIR" scan -q -o "$tmp/out" "$tmp/evidence" > /dev/null 2> "$tmp/stderr"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "non-empty -o: exit $rc, want 2"
grep -q -- "--force" "$tmp/stderr" || fail "message should name --force: $(cat "$tmp/stderr")"
[ "$sum_before" = "$(sha256sum "$tmp/out/"*)" ] || fail "refused run changed the folder"
"$AIIR" scan -q --force -o "$tmp/out" "$tmp/evidence" > /dev/null || fail "--force"
mkdir "$tmp/empty" && "$AIIR" scan -q -o "$tmp/empty" "$tmp/evidence" > /dev/null || fail "empty existing folder"

# The output folder may not lie inside the evidence.
set +e
"$AIIR" scan -q --force -o "$tmp/evidence/AWSLogs/report" "$tmp/evidence" > /dev/null 2> "$tmp/stderr"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "-o inside the input: exit $rc"
[ ! -e "$tmp/evidence/AWSLogs/report" ] || fail "-o inside the input created a folder"
snapshot > "$tmp/after2"
cmp -s "$tmp/before" "$tmp/after2" || fail "inputs changed by later runs"

# A write that fails (file-size limit: EFBIG, as disk full gives ENOSPC) is an error exit, not a crash.
set +e
( trap '' XFSZ; ulimit -f 4; exec "$AIIR" scan -q -o "$tmp/small" "$tmp/evidence" ) > /dev/null 2> "$tmp/stderr"
rc=$?
set -e
[ "$rc" -eq 2 ] || { cat "$tmp/stderr"; fail "write failure: exit $rc, want 2"; }
grep -q "cannot write" "$tmp/stderr" || fail "write failure message: $(cat "$tmp/stderr")"

# --redact is recorded.
"$AIIR" scan -q --redact --redact-prompts -o "$tmp/red" "$tmp/evidence" > /dev/null || fail "--redact"
jq -e '.redaction == {"redacted":true,"secrets_and_pii":true,"prompts":true}' "$tmp/red/manifest.json" > /dev/null || fail "manifest redaction"
jq -e '.redaction.redacted' "$tmp/red/report.json" > /dev/null || fail "report redaction"
grep -q "Redacted report" "$tmp/red/report.md" || fail "report.md redaction line"
echo "ok"
