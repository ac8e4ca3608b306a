// SPDX-License-Identifier: Apache-2.0
// The content stage glue: extraction -> normalization -> signatures ->
// attachments -> leakage -> hooks (secrets, score).
#include "content/content.h"

#include <algorithm>

namespace aiir::content {

void ContentResult::clear() noexcept {
  extraction.clear();
  input.clear();
  output.clear();
  input_piece_start.clear();
  input_piece_index.clear();
  output_piece_start.clear();
  output_piece_index.clear();
  hits.clear();
  hidden.clear();
  attachments.clear();
  leakage = {};
  eicar_in_text = false;
  score = -1;
  scored_bytes = 0;
  threshold = -1;
  secrets.clear();
  offloaded_used = 0;
  body_refs = 0;
  body_refs_read = 0;
}

Severity ContentResult::max_hit_severity() const noexcept {
  Severity s = Severity::kInfo;
  for (const auto& h : hits) s = std::max(s, signature(h).severity);
  return s;
}

Role ContentResult::role_at(Side side, std::uint32_t offset) const noexcept {
  const auto& starts = side == Side::kInput ? input_piece_start : output_piece_start;
  const auto& index = side == Side::kInput ? input_piece_index : output_piece_index;
  if (starts.empty()) return side == Side::kInput ? Role::kUser : Role::kAssistant;
  auto it = std::upper_bound(starts.begin(), starts.end(), offset);
  std::size_t k = it == starts.begin() ? 0 : static_cast<std::size_t>(it - starts.begin() - 1);
  return extraction.pieces[index[k]].role;
}

namespace {
NormalizeOptions normalize_options(const ContentOptions& o) {
  NormalizeOptions n = o.normalize;
  if (o.signatures != nullptr) n.rot13_view = false;  // the set adds it (SignatureSet::match)
  return n;
}
}  // namespace

ContentAnalyzer::ContentAnalyzer(ContentOptions options)
    : options_(options), normalizer_(normalize_options(options)) {}

namespace {
std::string_view view_kind_name(const NormalizedText& t, int view) {
  if (view < 0) return "canonical";
  switch (t.view_kinds[static_cast<std::size_t>(view)]) {
    case ViewKind::kCollapsed: return "collapsed";
    case ViewKind::kLeet: return "leet";
    case ViewKind::kRot13: return "rot13";
    case ViewKind::kDecoded: return "decoded";
  }
  return "canonical";
}
}  // namespace

void ContentAnalyzer::analyze(const simdjson::dom::element& record, ContentResult& out) {
  out.clear();
  out.signatures = options_.signatures;
  extract_invocation(record, out.extraction, options_.extract);
  read_offloaded(out);
  const auto& pieces = out.extraction.pieces;

  // Normalize per side; every piece is appended so a side meets the set once.
  for (std::uint32_t i = 0; i < pieces.size(); ++i) {
    const TextPiece& p = pieces[i];
    if (p.side == Side::kInput) {
      out.input_piece_start.push_back(normalizer_.append(p.text, out.input));
      out.input_piece_index.push_back(i);
    } else {
      out.output_piece_start.push_back(normalizer_.append(p.text, out.output));
      out.output_piece_index.push_back(i);
    }
    if (!out.eicar_in_text && contains_eicar(p.text)) out.eicar_in_text = true;
  }
  normalizer_.finish(out.input);
  normalizer_.finish(out.output);

  if (options_.signatures != nullptr) {
    for (Side side : {Side::kInput, Side::kOutput}) {
      NormalizedText& t = side == Side::kInput ? out.input : out.output;
      raw_hits_.clear();
      seen_.assign(options_.signatures->signatures().size(), 0);
      options_.signatures->match(t, raw_hits_, seen_, set_scratch_);
      for (const auto& h : raw_hits_) {
        ContentHit hit;
        hit.signature = h.signature;
        hit.side = side;
        hit.view = h.view;
        hit.view_kind = view_kind_name(t, h.view);
        hit.begin = h.begin;
        hit.end = h.end;
        hit.role = out.role_at(side, t.to_canonical(h.view, h.begin));
        std::string_view v = h.view < 0 ? std::string_view(t.canonical) : std::string_view(t.views[static_cast<std::size_t>(h.view)]);
        hit.excerpt.assign(v.substr(h.begin, std::min<std::size_t>(h.end - h.begin, ContentHit::kMaxExcerpt)));
        out.hits.push_back(std::move(hit));
      }
    }
  }
  for (Side side : {Side::kInput, Side::kOutput}) {
    NormalizedText& t = side == Side::kInput ? out.input : out.output;
    // A signature that fired only on the ROT13 view means ROT13-encoded text.
    for (const auto& h : out.hits) {
      if (h.side == side && h.view_kind == "rot13")
        t.hidden.push_back(HiddenText{"rot13", h.excerpt, 1, t.to_canonical(h.view, h.begin)});
    }
  }
  for (Side side : {Side::kInput, Side::kOutput}) {
    const NormalizedText& t = side == Side::kInput ? out.input : out.output;
    for (const auto& h : t.hidden) out.hidden.push_back(ContentHidden{side, out.role_at(side, h.origin), &h});
  }

  if (options_.attachments) {
    for (const auto& ref : out.extraction.attachments) out.attachments.push_back(analyze_attachment(ref, decode_));
  }

  sys_texts_.clear();
  out_texts_.clear();
  for (const auto& p : pieces) {
    if (p.side == Side::kInput && p.role == Role::kSystem) sys_texts_.push_back(p.text);
    else if (p.side == Side::kOutput) out_texts_.push_back(p.text);
  }
  if (!sys_texts_.empty() && !out_texts_.empty())
    out.leakage = system_prompt_leakage(sys_texts_, out_texts_, leak_, options_.leakage);

  // Hooks owned by the secrets/model helper.
  if (options_.secrets != nullptr) options_.secrets->run(out);
  if (options_.scorer != nullptr) options_.scorer->run(out);
}

void ContentAnalyzer::read_offloaded(ContentResult& out) {
  Extraction& ex = out.extraction;
  const std::size_t n = ex.s3_refs.size();  // an offloaded body may add references of its own
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view where = ex.s3_refs[i].source_path;
    if (where != "input.inputBodyS3Path" && where != "output.outputBodyS3Path") continue;
    ++out.body_refs;
    if (options_.offloaded == nullptr) continue;
    const std::optional<std::filesystem::path> path = options_.offloaded->find(ex.s3_refs[i].uri);
    if (!path) continue;
    if (!offload_reader_) offload_reader_ = std::make_unique<FileReader>(options_.max_offloaded_bytes);
    ReadStats ignored;  // a damaged object is an unread body, counted below
    const ReadResult read = offload_reader_->read(path->string(), false, ignored);
    if (!read.ok || read.text.empty()) continue;
    if (out.offloaded_used == out.offloaded.size()) out.offloaded.push_back(std::make_unique<simdjson::dom::document>());
    simdjson::dom::document& doc = *out.offloaded[out.offloaded_used];
    simdjson::dom::element body;
    if (offload_parser_.parse_into_document(doc, reinterpret_cast<const std::uint8_t*>(read.text.data()),
                                            read.text.size()).get(body) != simdjson::SUCCESS)
      continue;
    ++out.offloaded_used;
    extract_offloaded_body(body, ex.s3_refs[i].side, ex, options_.extract);
    ex.s3_refs[i].resolved = true;
    ++out.body_refs_read;
  }
}

ContentResult analyze_invocation(const simdjson::dom::element& record, const ContentOptions& options) {
  ContentAnalyzer analyzer(options);
  ContentResult result;
  analyzer.analyze(record, result);
  return result;
}

}  // namespace aiir::content
