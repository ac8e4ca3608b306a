// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: shape detection, decoding and normalization of arbitrary
// file bytes; gzip input (1f 8b) goes through FileReader::inflate first.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "decode/decoder.h"
#include "fuzz_util.h"
#include "source/reader.h"

namespace {
// Small cap: a gzip bomb must hit the over-cap path, not the fuzzer's RSS limit.
constexpr std::uint64_t kCap = 8u << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Reused across inputs, as a pipeline worker reuses them across files.
  static aiir::FileReader reader(kCap);
  static aiir::Decoder decoder;
  static aiir::DecodedBatch batch;
  static aiir::PaddedBuffer input, inflated;

  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  batch.clear();
  batch.path = "fuzz/AWSLogs/111111111111/CloudTrail/us-east-1/2025/01/01/in.json";
  batch.file.path = batch.path;
  std::string_view text;
  if (aiir::is_gzip(bytes)) {
    std::string error;
    bool ok = reader.inflate(bytes, inflated, error);
    if (!ok && error.empty()) __builtin_trap();  // a failure must say why
    if (inflated.size() > kCap) __builtin_trap();
    text = inflated.view();
  } else {
    input.clear();
    input.append(bytes);
    text = input.view();
  }
  decoder.decode(text, batch);

  std::uint64_t acc = 0;
  for (const aiir::EventView& ev : batch.events) acc = aiir::fuzz::touch(acc, ev);
  for (const aiir::Warning& w : batch.stats.warnings) acc = aiir::fuzz::touch(acc, w.detail);
  if (batch.file.records != batch.events.size()) __builtin_trap();
  aiir::fuzz::sink(acc);
  return 0;
}
