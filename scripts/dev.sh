#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# aiir set-up: installs the Debian 12 packages that are missing, builds, and
# then either runs the demo on examples/ or runs the whole test suite.
#   scripts/dev.sh demo    install, build, triage the bundled example incident
#   scripts/dev.sh test    install, build (warnings as errors), run all tests,
#                          then the ASan/UBSan build of the whole suite (clang)
#                          and every fuzz target for 60 seconds
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake ninja-build pkg-config
  libcli11-dev libsimdjson-dev libspdlog-dev libfmt-dev catch2
  libdeflate-dev zlib1g-dev libre2-dev libyaml-cpp-dev libicu-dev libssl-dev libmimalloc-dev)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "== installing: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >&2
  cmake --build "$dir" -j "$(nproc)" >&2
}

# The Release build, profile-guided (CMakeLists.txt, AIIR_PGO): an instrumented
# aiir in DIR-pgo is run on a training workload (scripts/pgo-train.sh), then DIR
# is built with that profile. A scan is some 7% faster than without
# (bench/README.md); AIIR_PGO= (empty) in the environment skips it.
build_release() {  # build_release DIR [cmake args...]
  local dir=$1; shift
  if [[ -n "${AIIR_PGO-use}" ]] && [[ "$(${CXX:-c++} --version 2>/dev/null)" == *"Free Software Foundation"* ]]; then
    local profile="$PWD/$dir-pgo/profile"
    echo "== profile-guided build: instrumented build and training run in $dir-pgo" >&2
    build "$dir-pgo" -DCMAKE_BUILD_TYPE=Release -DAIIR_BUILD_TESTS=OFF -DAIIR_BUILD_BENCH=ON \
      -DAIIR_PGO=generate "-DAIIR_PGO_DIR=$profile"
    rm -rf "$profile"
    scripts/pgo-train.sh "$dir-pgo"
    build "$dir" -DCMAKE_BUILD_TYPE=Release -DAIIR_PGO=use "-DAIIR_PGO_DIR=$profile" "$@"
  else
    build "$dir" -DCMAKE_BUILD_TYPE=Release -DAIIR_PGO= "$@"
  fi
}

case "${1:-}" in
  demo)
    install_missing
    build_release build -DAIIR_BUILD_TESTS=OFF -DAIIR_BUILD_BENCH=OFF
    if ./build/aiir --help 2>/dev/null | grep -q '^  scan'; then
      exec ./build/aiir scan examples/incident
    else
      exec ./build/aiir events examples/incident
    fi
    ;;
  test)
    install_missing clang libclang-rt-14-dev jq python3
    build_release build -DAIIR_WERROR=ON -DAIIR_BUILD_TESTS=ON -DAIIR_BUILD_BENCH=ON
    (cd build && ctest --output-on-failure --no-tests=error -j "$(nproc)")
    # One clang tree serves both: the whole suite under ASan/UBSan, and the
    # libFuzzer targets (the library is built with coverage for them).
    echo "== ASan/UBSan build of the whole suite (clang)" >&2
    CC=clang CXX=clang++ build build-san -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only -O1" \
      -DAIIR_SANITIZE=ON -DAIIR_FUZZ=ON -DAIIR_WERROR=ON -DAIIR_BUILD_TESTS=ON -DAIIR_BUILD_BENCH=OFF
    (cd build-san && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure --no-tests=error -j "$(nproc)")
    echo "== fuzz: every target for 60 s" >&2
    AIIR_FUZZ_BUILD=build-san AIIR_FUZZ_PARALLEL=1 scripts/fuzz.sh 60
    ;;
  *)
    echo "usage: scripts/dev.sh demo|test" >&2
    exit 2
    ;;
esac
