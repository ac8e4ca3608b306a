// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: parse the input as JSON and, when it is an object, run the
// invocation body extractor on it; anything else (PDF seeds among them) goes
// through the PDF text extractor of documents.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "content/extract.h"
#include "content/pdf_text.h"
#include "fuzz_util.h"

namespace {

/// The PDF text extractor with small caps, so every cap path is reached.
void fuzz_pdf(std::string_view bytes) {
  static aiir::content::PdfTextExtractor pdf([] {
    aiir::content::PdfTextLimits l;
    l.max_text_bytes = 4096;
    l.max_stream_inflated = 1u << 20;
    l.max_total_inflated = 4u << 20;
    l.max_streams = 64;
    l.max_string_bytes = 1024;
    return l;
  }());
  static std::string text;
  aiir::content::PdfTextStats stats;
  pdf.extract(bytes, text, stats);
  if (text.size() > pdf.limits().max_text_bytes) __builtin_trap();
  if (stats.streams > pdf.limits().max_streams || stats.streams_read > stats.streams) __builtin_trap();
  // The text is valid UTF-8 (the extractor writes it).
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > text.size()) __builtin_trap();
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) __builtin_trap();
    i += n;
  }
  aiir::fuzz::sink(aiir::fuzz::touch(0, text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static simdjson::dom::parser parser;
  static aiir::content::Extraction ex;
  simdjson::padded_string json(reinterpret_cast<const char*>(data), size);
  simdjson::dom::element root;
  if (parser.parse(json).get(root) != simdjson::SUCCESS || !root.is_object()) {
    fuzz_pdf({reinterpret_cast<const char*>(data), size});
    return 0;
  }

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
