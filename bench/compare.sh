#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Compares aiir runs on one corpus: each variant runs RUNS times (default 3),
# interleaved so that a slow spell of a shared machine hits all of them; the
# table shows the median wall and cpu time of each (and the fastest wall), its
# MB/s of inflated JSON (median), peak RSS, and its cost against the first
# variant (1 - first/this, median wall: the share of throughput the extra
# work takes). On a shared machine use RUNS=5 or more.
#
#   bench/compare.sh CORPUS_DIR 'ARGS A' 'ARGS B' ...
#
# Example (issue 4, the cost of the shipped pack plus the SigmaHQ rules):
#   bench/compare.sh /tmp/corpus2 'scan -q --threads 1 --no-default-rules' \
#     'scan -q --threads 1 --rules ../shared/sigma-aws/rules'
# A variant written '@/path/to/aiir ARGS' runs that binary instead, e.g. a
# build of an older commit against the current one:
#   bench/compare.sh /tmp/corpus2 '@/tmp/aiir-old scan -q --threads 1' 'scan -q --threads 1'
# Builds nothing: uses $BUILD/aiir (default ./build) and GNU time.
set -euo pipefail

corpus=${1:-}
if [[ -z "$corpus" || ! -e "$corpus" || $# -lt 2 ]]; then
  echo "usage: bench/compare.sh CORPUS_DIR 'AIIR ARGS' ['AIIR ARGS' ...]" >&2
  exit 2
fi
shift
build=${BUILD:-./build}
runs=${RUNS:-3}
[[ -x /usr/bin/time ]] || { echo "bench/compare.sh: needs GNU time (apt-get install time)" >&2; exit 2; }
[[ -x "$build/aiir" ]] || { echo "bench/compare.sh: $build/aiir not found" >&2; exit 2; }

# Inflated bytes, once, from the reading summary of `aiir events`.
inflated_mb=$("$build/aiir" events --threads 1 "$corpus" 2>&1 >/dev/null |
  sed -n 's/.* stored, \([0-9.]*\) MB inflated.*/\1/p' | head -n 1)
find "$corpus" -type f -exec cat {} + > /dev/null  # warm the page cache

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
variants=("$@")
for ((r = 0; r < runs; r++)); do
  for i in "${!variants[@]}"; do
    # A variant "@/path/to/aiir ARGS" runs another binary (an older build, to
    # measure a change); otherwise $build/aiir.
    bin="$build/aiir"
    args=${variants[$i]}
    if [[ $args == @* ]]; then
      bin=${args%% *}
      bin=${bin#@}
      args=${args#* }
    fi
    # shellcheck disable=SC2086
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$bin" $args "$corpus" > /dev/null 2>&1 || true
    tail -n 1 "$tmp/t" >> "$tmp/v$i"
  done
done

echo "corpus: $corpus  inflated: ${inflated_mb:-?} MB  runs: $runs (median)  cores: $(nproc)"
printf '%-56s %8s %8s %8s %9s %8s %8s\n' "aiir ARGS" "wall s" "best s" "cpu s" "MB/s" "RSS MB" "cost"
base=""
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
for i in "${!variants[@]}"; do
  wall=$(awk '{print $1}' "$tmp/v$i" | median)
  best=$(awk '{print $1}' "$tmp/v$i" | sort -n | head -n 1)
  cpu=$(awk '{print $2 + $3}' "$tmp/v$i" | median)
  rss=$(awk '$4 > m {m = $4} END {print m}' "$tmp/v$i")
  [[ -n "$base" ]] || base=$wall
  awk -v name="${variants[$i]}" -v w="$wall" -v bw="$best" -v c="$cpu" -v rss="$rss" -v mb="${inflated_mb:-0}" -v b="$base" 'BEGIN {
    cost = (w > 0) ? sprintf("%.1f%%", 100 * (1 - b / w)) : "-"
    printf "%-56s %8.2f %8.2f %8.2f %9.1f %8.1f %8s\n", substr(name, 1, 56), w, bw, c, (w > 0 ? mb / w : 0), rss / 1024, cost
  }'
done
