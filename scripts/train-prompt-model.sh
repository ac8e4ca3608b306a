#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproducible training and evaluation of the prompt-attack model (docs/prompt-model.md).
# Usage: scripts/train-prompt-model.sh [TRAIN.jsonl] [BUILD_DIR]
# Writes rules/prompt-model.bin (weights + header) and rules/prompt-model.txt (header),
# then prints the held-out evaluation. Deterministic: same data, same bytes.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
default_data="$root/../shared/data/prompts/train.jsonl"
[[ -f "$default_data" ]] || default_data="/work/shared/data/prompts/train.jsonl"
data="${1:-$default_data}"
build="${2:-$root/build-bench}"

if [[ ! -f "$data" ]]; then
  echo "train-prompt-model: no training data at $data" >&2
  exit 2
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAIIR_BUILD_TESTS=OFF -DAIIR_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j1 --target train_prompt_model eval_prompt_model

"$build/train_prompt_model" --data "$data" --out "$root/rules/prompt-model.bin" >/dev/null
echo
sha256sum "$root/rules/prompt-model.bin"
echo
"$build/eval_prompt_model" --data "$data" --model "$root/rules/prompt-model.bin" --part test   # scanner path
