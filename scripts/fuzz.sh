#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cpp, clang, ASan+UBSan) and
# runs each one, one after the other, for SECONDS (default 60) from its seed
# corpus (tests/fuzz/corpus/<target>/) and dictionary. Exits non-zero when
# any target crashes, hangs, runs out of memory or reports a sanitizer error;
# the input that did it is kept in $BUILD/fuzz-artifacts/.
#   scripts/fuzz.sh [SECONDS]
# Environment: AIIR_FUZZ_BUILD (build folder, default build-fuzz),
#              AIIR_FUZZ_TARGETS (space-separated subset, default all),
#              AIIR_FUZZ_KEEP_CORPUS=1 (grow $BUILD/fuzz-corpus/ across runs),
#              AIIR_FUZZ_PARALLEL=1 (run the targets at the same time, not one
#              after the other: each still runs SECONDS, sharing the cores).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
build=${AIIR_FUZZ_BUILD:-build-fuzz}
case "$seconds" in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac

if [ ! -f "$build/build.ninja" ]; then
  CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S . -B "$build" -G Ninja -DAIIR_FUZZ=ON \
    -DAIIR_BUILD_TESTS=OFF -DAIIR_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
fi

targets=${AIIR_FUZZ_TARGETS:-}
if [ -z "$targets" ]; then
  for src in tests/fuzz/*_fuzz.cpp; do targets+=" $(basename "$src" .cpp)"; done
fi
# shellcheck disable=SC2086
cmake --build "$build" --target $targets >&2

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
failed=()
summary=()
run_target() {  # target -> exit status in $build/fuzz-<name>.status
  local target=$1 name=${1%_fuzz}
  local seeds="tests/fuzz/corpus/$name" work="$build/fuzz-corpus/$name"
  [ "${AIIR_FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$work"
  mkdir -p "$work"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$artifacts/$name-")
  [ -f "tests/fuzz/$name.dict" ] && args+=(-dict="tests/fuzz/$name.dict")
  local status=0
  rm -f "$build/fuzz-$name.status"
  "$build/$target" "${args[@]}" "$work" "$seeds" >"$build/fuzz-$name.log" 2>&1 || status=$?
  echo "$status" > "$build/fuzz-$name.status"
}
for target in $targets; do
  echo "== $target: ${seconds}s" >&2
  if [ "${AIIR_FUZZ_PARALLEL:-0}" = 1 ]; then
    run_target "$target" &
  else
    run_target "$target"
  fi
done
wait
for target in $targets; do
  name=${target%_fuzz}
  log="$build/fuzz-$name.log"
  status=$(cat "$build/fuzz-$name.status" 2>/dev/null || echo 1)
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
  summary+=("$(printf '%-22s exit %-3s exec/s %-8s corpus %s' "$target" "$status" "${execs:-?}" "${corpus:-?}")")
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2 || true
    echo "   full log: $log" >&2
  fi
done

printf '%s\n' "${summary[@]}" >&2
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $artifacts/)" >&2
  exit 1
fi
echo "fuzz: all targets clean for ${seconds}s each" >&2
