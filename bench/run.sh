#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark: the floor (inflate + simdjson DOM parse) against `aiir events` (and `aiir scan`
# when it exists) at one thread and at all cores, on the same corpus, in one run.
#
#   bench/run.sh CORPUS_DIR            (build dir from $BUILD, default ./build)
#
# Builds nothing. Needs $BUILD/floor and $BUILD/aiir, and GNU time (/usr/bin/time,
# Debian package `time`; installed here when missing and running as root).
# Prints one table: MB/s of inflated JSON, records/s, peak RSS, ratio to the floor,
# and the speed-up of all cores over one thread. MB/s and records/s are per wall-clock
# second; "cpu s" (user + sys) helps to read results taken on a busy machine.
set -euo pipefail

corpus=${1:-}
if [[ -z "$corpus" || ! -d "$corpus" ]]; then
  echo "usage: bench/run.sh CORPUS_DIR   (make one with: \$BUILD/gen_corpus --out DIR --size-mb 1200)" >&2
  exit 2
fi
build=${BUILD:-./build}
floor_bin="$build/floor"
aiir_bin="$build/aiir"
threads=${THREADS:-$(nproc)}
[[ -x "$floor_bin" ]] || { echo "bench/run.sh: $floor_bin not found (build with -DAIIR_BUILD_BENCH=ON)" >&2; exit 2; }

if [[ ! -x /usr/bin/time ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing GNU time..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
  else
    echo "bench/run.sh: /usr/bin/time missing: apt-get install time" >&2
    exit 2
  fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Warm the page cache so that every run reads from memory.
find "$corpus" -type f -exec cat {} + > /dev/null

# --- floor ---------------------------------------------------------------------------
/usr/bin/time -f '%e %M %U %S' -o "$tmp/floor.time" "$floor_bin" "$corpus" > "$tmp/floor.out" 2> "$tmp/floor.err" || true
floor_line=$(grep '^floor ' "$tmp/floor.out" || true)
if [[ -z "$floor_line" ]]; then
  echo "bench/run.sh: the floor failed:" >&2
  cat "$tmp/floor.err" >&2
  exit 1
fi
field() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<< "$floor_line"; }
records=$(field records)
inflated=$(field inflated_bytes)
files=$(field files)

rows=()   # name|wall s|peak RSS KB|exit|user s|sys s
read -r wall rss usr sys < <(tail -n 1 "$tmp/floor.time")
rows+=("floor (1 thread)|$wall|$rss|0|$usr|$sys")

# --- aiir ----------------------------------------------------------------------------
run_aiir() {  # name, args...
  local name=$1; shift
  local rc=0
  /usr/bin/time -f '%e %M %U %S' -o "$tmp/aiir.time" "$aiir_bin" "$@" > /dev/null 2> "$tmp/aiir.err" || rc=$?
  # /usr/bin/time prints "Command exited with non-zero status N" first on failure.
  read -r wall rss usr sys < <(tail -n 1 "$tmp/aiir.time")
  rows+=("$name|$wall|$rss|$rc|$usr|$sys")
  if [[ $rc -ne 0 && $rc -ne 3 ]]; then
    echo "note: '$name' exited $rc; last lines of its stderr:" >&2
    tail -n 5 "$tmp/aiir.err" >&2
  fi
}

help=""
if [[ -x "$aiir_bin" ]]; then help=$("$aiir_bin" --help 2>&1 || true); fi
has_cmd() { grep -Eq "^[[:space:]]+$1([[:space:]]|$)" <<< "$help"; }

if has_cmd events; then
  run_aiir "aiir events --threads 1" events --threads 1 "$corpus"
  run_aiir "aiir events --threads $threads" events --threads "$threads" "$corpus"
else
  echo "note: '$aiir_bin events' is not available yet; only the floor was measured" >&2
fi
if has_cmd scan; then
  run_aiir "aiir scan --threads 1" scan --threads 1 "$corpus"
  run_aiir "aiir scan --threads $threads" scan --threads "$threads" "$corpus"
fi

# --- table ---------------------------------------------------------------------------
echo "corpus: $corpus  files: $files  records: $records  inflated: $(awk -v b="$inflated" 'BEGIN{printf "%.1f MB", b/1048576}')  cores: $(nproc)"
printf '%s\n' "${rows[@]}" | awk -F'|' -v bytes="$inflated" -v recs="$records" '
  BEGIN {
    printf "%-28s %8s %8s %9s %12s %8s %8s %8s %5s\n", "run", "wall s", "cpu s", "MB/s", "records/s", "RSS MB", "x floor", "speedup", "exit"
  }
  {
    name = $1; wall = $2 + 0; rss = $3 / 1024; rc = $4
    if (wall <= 0) wall = 0.001
    mbs = bytes / 1048576 / wall
    if (NR == 1) floor_mbs = mbs
    speed = "-"
    if (name ~ /--threads 1$/) { one[substr(name, 1, index(name, " --threads") - 1)] = wall }
    else if (name ~ /--threads [0-9]+$/) {
      base = substr(name, 1, index(name, " --threads") - 1)
      if (base in one) speed = sprintf("%.2fx", one[base] / wall)
    }
    printf "%-28s %8.2f %8.2f %9.1f %12.0f %8.1f %8.2f %8s %5s\n", name, wall, $5 + $6, mbs, recs / wall, rss, mbs / floor_mbs, speed, rc
  }'
