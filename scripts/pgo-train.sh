#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The training run of a profile-guided build (CMakeLists.txt, AIIR_PGO): runs an
# instrumented aiir on the work it is built for, so that its profile folder holds
# the counts the `use` build compiles with.
#   scripts/pgo-train.sh BUILD_DIR     (BUILD_DIR configured with -DAIIR_PGO=generate,
#                                       aiir and gen_corpus built)
# The workload: a synthetic export from bench/gen_corpus (CloudTrail and Bedrock
# invocation logs with prompts; its own seed, not the benchmark corpus's) scanned
# on one thread, and the bundled example incident through scan, prompts and
# events. One thread only: the counters are not atomic (-fprofile-update=single),
# and the same sources give the same profile.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/pgo-train.sh BUILD_DIR}
aiir="$build/aiir"
[[ -x "$aiir" && -x "$build/gen_corpus" ]] || { echo "pgo-train: $build/aiir and $build/gen_corpus must be built" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/gen_corpus" --out "$tmp/corpus" --size-mb 60 --seed 20261127 >/dev/null
run() {  # exit 3 (some input unreadable) is not a failure of the run
  local rc=0
  "$aiir" "$@" >/dev/null 2>&1 || rc=$?
  [[ $rc -eq 0 || $rc -eq 3 ]] || { echo "pgo-train: aiir $* exited $rc" >&2; exit 1; }
}
run scan -q --threads 1 "$tmp/corpus"
run scan -q --threads 1 examples/incident
run prompts -q --threads 1 examples/incident
run events -q --threads 1 examples/incident
