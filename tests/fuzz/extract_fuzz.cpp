// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: parse the input as JSON and, when it is an object, run the
// invocation body extractor on it.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "content/extract.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static simdjson::dom::parser parser;
  static aiir::content::Extraction ex;
  simdjson::padded_string json(reinterpret_cast<const char*>(data), size);
  simdjson::dom::element root;
  if (parser.parse(json).get(root) != simdjson::SUCCESS || !root.is_object()) return 0;

  aiir::content::ExtractOptions options;
  options.max_text_bytes = 4096;  // small, so the cap path is reached
  ex.clear();
  aiir::content::extract_invocation(root, ex, options);

  std::uint64_t acc = aiir::fuzz::touch(aiir::fuzz::touch(0, ex.operation), ex.model_id);
  std::size_t text = 0;
  for (const auto& p : ex.pieces) {
    acc = aiir::fuzz::touch(aiir::fuzz::touch(acc, p.text), p.source_path);
    text += p.text.size();
  }
  if (text != ex.text_bytes || text > options.max_text_bytes) __builtin_trap();
  for (const auto& a : ex.attachments) {
    for (std::string_view s : {a.kind, a.declared_format, a.name, a.base64, a.s3_uri, a.source_path})
      acc = aiir::fuzz::touch(acc, s);
  }
  for (const auto& r : ex.s3_refs) acc = aiir::fuzz::touch(aiir::fuzz::touch(acc, r.uri), aiir::content::s3_key_suffix(r.uri));
  for (const auto& b : ex.guardrail.blocks) {
    for (std::string_view s : {b.guardrail_id, b.policy, b.type, b.action, b.confidence, b.match})
      acc = aiir::fuzz::touch(acc, s);
  }
  for (std::string_view s : ex.guardrail.model_output) acc = aiir::fuzz::touch(acc, s);
  aiir::fuzz::sink(acc);
  return 0;
}
