#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Golden test runner: runs aiir with the arguments in CASE_DIR/args from the
# source folder, canonicalises volatile text, and compares stdout with
# CASE_DIR/expected.<ext> and the exit code with CASE_DIR/expected.exit.
#
#   bash tests/golden/run_golden.sh AIIR CASE_DIR SOURCE_DIR
#   UPDATE_GOLDEN=1 bash tests/golden/run_golden.sh ...   rewrites the expected files
#
# CASE_DIR/args: the aiir arguments. A file with a single line is split on
# whitespace; a file with several lines holds one argument per line (so an
# argument may contain spaces). Blank lines and lines starting with # are
# ignored. For `events` and `scan`, `--threads 1` is appended.
set -uo pipefail

if [ $# -ne 3 ]; then
  echo "usage: run_golden.sh AIIR CASE_DIR SOURCE_DIR" >&2
  exit 2
fi
aiir=$1
case_dir=$(cd "$2" && pwd)
src=$(cd "$3" && pwd)
name=$(basename "$case_dir")
case "$aiir" in /*) ;; *) aiir="$PWD/$aiir" ;; esac

lines=()
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%$'\r'}
  [[ -z "${line//[[:space:]]/}" || "$line" == \#* ]] && continue
  lines+=("$line")
done <"$case_dir/args"
if [ ${#lines[@]} -eq 0 ]; then
  echo "golden $name: $case_dir/args is empty" >&2
  exit 2
fi
if [ ${#lines[@]} -eq 1 ]; then
  read -r -a args <<<"${lines[0]}"
else
  args=("${lines[@]}")
fi

# The expected output's extension follows the output format.
format=""
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --format) format=${args[$((i + 1))]:-} ;;
    --format=*) format=${args[$i]#--format=} ;;
  esac
done
case "${args[0]}" in
  events | scan) args+=(--threads 1) ;;
esac
case "${args[0]}:$format" in
  events:csv) ext=csv ;;
  events:*) ext=jsonl ;;
  scan:json) ext=json ;;
  scan:jsonl) ext=jsonl ;;
  scan:*) ext=md ;;
  *:json) ext=json ;;
  *) ext=txt ;;
esac
expected="$case_dir/expected.$ext"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$src" && env TZ=UTC LC_ALL=C SOURCE_DATE_EPOCH=0 "$aiir" "${args[@]}") \
  >"$work/stdout" 2>"$work/stderr"
code=$?

# Volatile text: the version, the generation time, absolute paths of the
# binary and of the source folder.
version=$("$aiir" --version 2>/dev/null | awk '{print $NF}')
re_escape() { printf '%s' "$1" | sed -e 's/[]\/$*.^[#]/\\&/g'; }
canon() {
  local exprs=(-e "s#$(re_escape "$aiir")#<aiir>#g" -e "s#$(re_escape "$src")#<src>#g")
  if [ -n "$version" ]; then
    local v
    v=$(re_escape "$version")
    exprs+=(-e "s#\"version\":\"$v\"#\"version\":\"<version>\"#g" -e "s#aiir $v#aiir <version>#g")
  fi
  exprs+=(-e 's#"generated_at":"[^"]*"#"generated_at":"<time>"#g'
          -e 's#generated [0-9][0-9T:.Z-]*#generated <time>#g')
  sed "${exprs[@]}"
}
canon <"$work/stdout" >"$work/actual"

if [ "${UPDATE_GOLDEN:-}" = "1" ]; then
  cp "$work/actual" "$expected"
  echo "$code" >"$case_dir/expected.exit"
  echo "golden $name: updated expected.$ext ($(wc -l <"$expected") lines) and expected.exit ($code)"
  exit 0
fi

fail=0
if [ ! -f "$expected" ]; then
  echo "golden $name: missing $expected (run with UPDATE_GOLDEN=1 to create it)" >&2
  fail=1
elif ! diff -u "$expected" "$work/actual" >"$work/diff"; then
  echo "golden $name: stdout differs from expected.$ext (first 80 diff lines):" >&2
  head -80 "$work/diff" >&2
  fail=1
fi
want=$(cat "$case_dir/expected.exit" 2>/dev/null || echo 0)
if [ "$code" != "$want" ]; then
  echo "golden $name: exit code $code, expected $want" >&2
  fail=1
fi
if [ $fail -ne 0 ]; then
  echo "--- command: (cd $src && aiir ${args[*]})" >&2
  echo "--- stderr:" >&2
  head -40 "$work/stderr" >&2
  echo "--- to accept the new output: UPDATE_GOLDEN=1 ctest -R '^golden\\.$name\$' (from the build folder)" >&2
  exit 1
fi
echo "golden $name: ok (exit $code, $(wc -l <"$expected") lines)"
