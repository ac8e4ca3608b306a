// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the content TextNormalizer (hidden text, NFKC, decoded
// views) and the secrets scanner on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "content/normalize_text.h"
#include "content/secrets.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static aiir::content::TextNormalizer normalizer;
  static aiir::content::NormalizedText out;
  static std::vector<aiir::secrets::SecretHit> hits;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  // One text, then the same split in two appends (the per-record path).
  normalizer.normalize(text, out);
  std::uint64_t acc = aiir::fuzz::touch(0, out.canonical);
  for (std::size_t v = 0; v < out.views.size(); ++v) {
    acc = aiir::fuzz::touch(acc, out.views[v]);
    for (std::size_t off : {std::size_t{0}, out.views[v].size() / 2, out.views[v].size()}) {
      if (out.to_canonical(static_cast<int>(v), off) > out.canonical.size()) __builtin_trap();
    }
  }
  for (const auto& h : out.hidden) acc = aiir::fuzz::touch(acc, h.decoded);
  if (out.views.size() != out.view_kinds.size() || out.views.size() != out.view_origin.size()) __builtin_trap();

  out.clear();
  std::size_t half = size / 2;
  normalizer.append(text.substr(0, half), out);
  normalizer.append(text.substr(half), out);
  normalizer.finish(out);
  acc = aiir::fuzz::touch(acc, out.canonical);

  hits.clear();
  aiir::secrets::find_secrets(text, hits, aiir::secrets::Side::kOutput, aiir::secrets::Role::kAssistant);
  for (const auto& h : hits) {
    if (h.offset > size || h.length > size - h.offset) __builtin_trap();
    acc = aiir::fuzz::touch(acc, h.masked);
  }
  hits.clear();
  aiir::secrets::find_secrets(out.canonical, hits);
  acc += hits.size();
  aiir::fuzz::sink(acc);
  return 0;
}
