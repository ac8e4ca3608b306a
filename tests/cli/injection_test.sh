#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Injection safety end to end: a record whose every string field (and its
# file name) carries terminal escapes, OSC 8 links, BEL, bidi and zero-width
# characters, Markdown links and images, HTML, table breaks, headings,
# spreadsheet formulas, tab, CR and invalid UTF-8, through every output:
# events jsonl/csv/timesketch, scan md/json/jsonl and -o, the reading summary,
# --stats, verify text/json, rules list/lint/test, error messages.
set -euo pipefail
: "${AIIR:?set AIIR to the aiir binary}" "${AIIR_ROOT:?set AIIR_ROOT to the source folder}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$tmp/check.py" <<'PY'
import json, re, sys, unicodedata
mode, path = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
def die(msg, at=None):
    ctx = data[max(0, at - 60):at + 60] if at is not None else b''
    sys.exit(f"{path} ({mode}): {msg} {ctx!r}")
try:
    text = data.decode('utf-8')
except UnicodeDecodeError as e:
    die(f"invalid UTF-8: {e}", e.start)
INVISIBLE = set([0xAD, 0x34F, 0x61C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFEFF, 0xFFA0])
def live(cp):
    if cp == 0x0A: return False
    if cp < 0x20 or cp == 0x7F or 0x80 <= cp < 0xA0: return True
    if cp in INVISIBLE or 0x180B <= cp <= 0x180F or 0x200B <= cp <= 0x200F or 0x2028 <= cp <= 0x202E: return True
    if 0x2060 <= cp <= 0x206F or 0xFE00 <= cp <= 0xFE0D or 0xFFF9 <= cp <= 0xFFFB or 0xE0000 <= cp <= 0xE007F: return True
    return False
for i, ch in enumerate(text):
    if live(ord(ch)):
        die(f"live character U+{ord(ch):04X}", len(text[:i].encode()))
if mode in ('json', 'jsonl'):
    docs = [text] if mode == 'json' else [l for l in text.split('\n') if l]
    for d in docs:
        try:
            json.loads(d)
        except Exception as e:
            die(f"not JSON: {e}")
elif mode == 'csv':
    lines = text.split('\n')
    assert lines[-1] == ''
    cols = None
    for n, line in enumerate(lines[:-1]):
        fields, cur, quoted, inq, i = [], '', False, False, 0
        while i <= len(line):
            c = line[i] if i < len(line) else ','
            if inq:
                if c == '"' and i + 1 < len(line) and line[i + 1] == '"': cur += '"'; i += 1
                elif c == '"': inq = False
                else: cur += c
            elif c == '"' and cur == '': inq = quoted = True
            elif c == ',':
                if n and not quoted and cur and not re.fullmatch(r'[0-9TZ:.\-]+', cur): die(f"unquoted field {cur!r}")
                fields.append(cur); cur = ''; quoted = False
            else: cur += c
            i += 1
        if inq: die("unterminated quote")
        if cols is None: cols = len(fields)
        elif len(fields) != cols: die(f"line {n}: {len(fields)} fields, header has {cols}")
        if n:
            for f in fields:
                if f and f[0] in '=+-@\t\r': die(f"formula lead in {f!r}")
elif mode == 'md':
    table_pipes = None
    for line in text.split('\n'):
        if re.match(r'#+ ?heading|## sub', line): die("injected heading: " + line)
        if line.startswith('#') and not re.match(r'(# aiir|## |### |#### \[)', line): die("unexpected heading: " + line)
        # outside code spans: no unescaped < ]( ![ ://
        i, pipes = 0, 0
        while i < len(line):
            c = line[i]
            if c == '\\': i += 2; continue
            if c == '|': pipes += 1
            if c == '`':
                run = len(line[i:]) - len(line[i:].lstrip('`'))
                close = line.find('`' * run, i + run)
                if close < 0: die("code span runs past the line: " + line)
                pipes += len(re.findall(r'(?<!\\)\|', line[i + run:close]))
                i = close + run; continue
            if c == '<': die("raw < in Markdown: " + line)
            if line.startswith('](', i) or line.startswith('![', i) or line.startswith('://', i): die("live link syntax: " + line)
            i += 1
        if line.startswith('|'):
            if table_pipes is None or line.startswith('|---'): table_pipes = pipes
            elif pipes != table_pipes: die(f"table row with {pipes} pipes, header {table_pipes}: " + line)
        else:
            table_pipes = None
PY
check() { python3 "$tmp/check.py" "$1" "$2" || fail "$3"; }

# The hostile record, its file name, a hostile rule and a hostile digest name.
python3 - "$tmp" <<'PY'
import json, os, sys, gzip
root = sys.argv[1]
core = ("\x1b[31mRED\x1b[0m \x1b]8;;http://evil.example/\x07click\x1b]8;;\x07 \x1b]0;title\x07 \x07bell "
        "\u202efdp.exe \u200bzw \ufeff \x9b31m [x](http://evil) ![i](http://evil/?q=s) <script>alert(1)</script> "
        "<img src=x onerror=alert(1)> | a | b | \n# heading\n## sub \t tab \r cr =HYPERLINK(\"http://evil\") @SUM(1) end")
leads = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1+1", "\r=1+1",
         "\x1b[2J", "# heading", "[x](http://evil)", "<script>", "| a | b |", "\u202eabc"]
P = [l + " " + core for l in leads]
k = [0]
def nxt():
    k[0] += 1
    return P[k[0] % len(P)]
def record(name, source):
    return {"eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "principalId": nxt(), "arn": nxt(), "accountId": "111122223333",
                             "accessKeyId": nxt(), "userName": nxt(),
                             "sessionContext": {"sessionIssuer": {"arn": nxt()}}},
            "eventTime": "2026-03-11T10:00:00Z", "eventSource": source, "eventName": name,
            "awsRegion": "us-east-1", "sourceIPAddress": nxt(), "userAgent": nxt(),
            "requestParameters": {"guardrailIdentifier": nxt(), "note": nxt()}, "errorMessage": nxt(),
            "requestID": nxt(), "eventID": nxt(), "readOnly": False, "eventType": "AwsApiCall",
            "managementEvent": True, "recipientAccountId": "111122223333",
            "resources": [{"ARN": nxt(), "type": nxt()}]}
recs = [record("DeleteGuardrail", "bedrock.amazonaws.com"), record(nxt(), nxt())]
body = json.dumps({"Records": recs}, ensure_ascii=False).encode()
# Invalid UTF-8 inside a string value, as a broken exporter would write it.
body = body.replace(b"@SUM(1) end", b"@SUM(1) \xff\xfe\xc0\xaf end", 3)
fname = "\x1b]8;;http:evil\x07[x](http:evil)<script>|a|b|\u202e=cmd\x07\t.json"
d = os.path.join(root, "in", "AWSLogs")
os.makedirs(d)
open(os.path.join(d.encode(), fname.encode() + b"\xff"), "wb").write(body)
dg = os.path.join(root, "in", "AWSLogs", "111122223333", "CloudTrail-Digest", "us-east-1")
os.makedirs(dg)
open(os.path.join(dg, "111122223333_CloudTrail-Digest_us-east-1_t\x1b[2J<b>_us-east-1_20260311T110000Z.json.gz"), "wb").write(gzip.compress(b"{not json"))
rule = ("title: '" + P[0].replace("'", "''").replace("\n", " ").replace("\r", " ") + "'\n"
        "id: 0d9f6f3e-8f56-4c1e-9a54-2f0f7d6c1b11\nname: test.hostile\nstatus: test\nlevel: high\n"
        "logsource:\n    product: aws\n    service: cloudtrail\n"
        "detection:\n    selection:\n        eventName: '" + "\x1b[31m<script>".replace("'", "''") + "'\n    condition: selection\n")
os.makedirs(os.path.join(root, "rules"))
open(os.path.join(root, "rules", "hostile\x1b[2J<x>.yml"), "w").write(rule)
# A rule whose level, tags and name are hostile: it does not load, but is listed and linted.
bad = ("title: bad\nid: 1d9f6f3e-8f56-4c1e-9a54-2f0f7d6c1b12\nname: \"\\e[31m=cmd\"\nstatus: test\n"
       "level: \"\\e]8;;http://evil\\a<b>high\"\ntags:\n    - \"aiir.\\e[2J\"\n"
       "logsource:\n    product: aws\n    service: cloudtrail\n"
       "detection:\n    selection:\n        eventName: x\n    condition: selection\n")
os.makedirs(os.path.join(root, "badrules"))
open(os.path.join(root, "badrules", "bad.yml"), "w").write(bad)
PY
in="$tmp/in"

run() {  # name command... : stdout to $tmp/name.out, stderr to $tmp/name.err
  local name=$1
  shift
  "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" || true
  check text "$tmp/$name.err" "$name: stderr"
}
for fmt in jsonl timesketch; do
  run "events-$fmt" "$AIIR" events --format "$fmt" "$in"
  check jsonl "$tmp/events-$fmt.out" "events $fmt"
  run "events-$fmt-raw" "$AIIR" events --raw --format "$fmt" "$in"
  check jsonl "$tmp/events-$fmt-raw.out" "events $fmt --raw"
done
grep -q 'fdp.exe' "$tmp/events-jsonl.out" || fail "the payload did not reach the events output"
run events-csv "$AIIR" events --format csv "$in"
check csv "$tmp/events-csv.out" "events csv"
run events-csv-raw "$AIIR" events --raw --format csv "$in"
check csv "$tmp/events-csv-raw.out" "events csv --raw"
[ "$(wc -l < "$tmp/events-csv.out")" -eq 3 ] || fail "csv: a record spans lines"

run scan-md "$AIIR" scan --stats "$tmp/stats.json" --rules "$tmp/rules" "$in"
check md "$tmp/scan-md.out" "scan md"
check json "$tmp/stats.json" "--stats"
grep -q 'fdp' "$tmp/scan-md.out" || fail "the payload did not reach the report"
grep -q 'guardrail' "$tmp/scan-md.out" || fail "no guardrail finding: the payloads did not reach the findings"
grep -q 'Principals and keys of interest' "$tmp/scan-md.out" || fail "no principals section"
run scan-json "$AIIR" scan --format json --rules "$tmp/rules" "$in"
check json "$tmp/scan-json.out" "scan json"
run scan-jsonl "$AIIR" scan --format jsonl --rules "$tmp/rules" "$in"
check jsonl "$tmp/scan-jsonl.out" "scan jsonl"
run scan-o "$AIIR" scan --verify -o "$tmp/out" --rules "$tmp/rules" "$in"
check md "$tmp/out/report.md" "-o report.md"
check json "$tmp/out/report.json" "-o report.json"
check jsonl "$tmp/out/findings.jsonl" "-o findings.jsonl"
check json "$tmp/out/manifest.json" "-o manifest.json"
grep -q 'CloudTrail integrity' "$tmp/out/report.md" || fail "--verify not in the report"
run scan-red "$AIIR" scan --redact --redact-prompts --rules "$tmp/rules" "$in"
check md "$tmp/scan-red.out" "scan --redact"

run verify-text "$AIIR" verify "$in"
check text "$tmp/verify-text.out" "verify text"
run verify-json "$AIIR" verify --format json "$in"
check json "$tmp/verify-json.out" "verify json"
grep -qF 'UNLISTED       '"$in"'/AWSLogs/\e]8;;http:evil\x07[x]' "$tmp/verify-text.out" ||
  fail "the hostile file name did not reach verify (shown escaped)"

run rules-list "$AIIR" rules list --no-default-rules --rules "$tmp/rules"
check text "$tmp/rules-list.out" "rules list"
grep -q 'HYPERLINK' "$tmp/rules-list.out" || fail "the hostile rule is not listed"
run rules-list-json "$AIIR" rules list --format json --no-default-rules --rules "$tmp/rules"
check jsonl "$tmp/rules-list-json.out" "rules list json"
run rules-lint "$AIIR" rules lint --no-default-rules --rules "$tmp/rules"
check text "$tmp/rules-lint.out" "rules lint"
run rules-list-bad "$AIIR" rules list --no-default-rules --rules "$tmp/badrules"
check text "$tmp/rules-list-bad.out" "rules list (hostile level)"
grep -qF '\e]8;;' "$tmp/rules-list-bad.out" || fail "the hostile level is not listed"
run rules-lint-bad "$AIIR" rules lint --no-default-rules --rules "$tmp/badrules"
check text "$tmp/rules-lint-bad.out" "rules lint (hostile level)"
run rules-test "$AIIR" rules test --no-default-rules --rules "$tmp/rules"
check text "$tmp/rules-test.out" "rules test"

# Error messages that quote a hostile path.
run missing "$AIIR" scan "$tmp/$(printf 'no\033[2Jsuch\007')"
grep -q 'no such file' "$tmp/missing.err" || fail "missing-path message"
run missing-o "$AIIR" scan -o "$tmp/out" "$in"
echo "ok"
