// SPDX-License-Identifier: Apache-2.0
// The content stage glue: extraction -> normalization -> signatures ->
// attachments -> leakage -> hooks (secrets, score).
#include "content/content.h"

#include <algorithm>
#include <filesystem>
#include <optional>

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
  media.clear();
}

Severity ContentResult::max_hit_severity() const noexcept {
  Severity s = Severity::kInfo;
  for (const auto& h : hits) s = std::max(s, h.severity);
  return s;
}

std::string_view ContentResult::input_piece_text(std::size_t k) const noexcept {
  const auto& starts = input_piece_start;
  const std::string& c = input.canonical;
  if (k >= starts.size()) return {};
  const std::size_t b = std::min<std::size_t>(starts[k], c.size());
  std::size_t e = k + 1 < starts.size() ? std::min<std::size_t>(starts[k + 1], c.size()) : c.size();
  if (k + 1 < starts.size() && e > b) --e;
  return std::string_view(c).substr(b, e > b ? e - b : 0);
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
    case ViewKind::kReversed: return "reversed";
  }
  return "canonical";
}
}  // namespace

void ContentAnalyzer::analyze(const simdjson::dom::element& record, ContentResult& out) {
  out.clear();
  out.signatures = options_.signatures;
  extract_invocation(record, out.extraction, options_.extract);
  read_offloaded(out);
  // Before normalization: the text read from documents is scanned with the rest.
  if (options_.attachments) read_attachments(out);
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
        hit.severity = options_.signatures->signatures()[h.signature].severity;
        hit.role = out.role_at(side, t.to_canonical(h.view, h.begin));
        std::string_view v = h.view < 0 ? std::string_view(t.canonical) : std::string_view(t.views[static_cast<std::size_t>(h.view)]);
        hit.excerpt.assign(v.substr(h.begin, std::min<std::size_t>(h.end - h.begin, ContentHit::kMaxExcerpt)));
        hit.quoted_example = side == Side::kInput && h.view < 0 && quoted_example(v, h.begin, h.end);
        out.hits.push_back(std::move(hit));
      }
    }
    // Judgements over the request's structure: a quoted phrase under
    // discussion is low; a crescendo across its turns is a hit of its own.
    lower_quoted_discussions(out);
    detect_crescendo(out);
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

  sys_texts_.clear();
  out_texts_.clear();
  req_texts_.clear();
  for (const auto& p : pieces) {
    if (p.side == Side::kInput && p.role == Role::kSystem) sys_texts_.push_back(p.text);
    else if (p.side == Side::kOutput) out_texts_.push_back(p.text);
    else req_texts_.push_back(p.text);
  }
  if (!sys_texts_.empty() && !out_texts_.empty()) {
    out.leakage = system_prompt_leakage(sys_texts_, out_texts_, leak_, options_.leakage);
    // A code, password or key of the system prompt repeated in the response
    // (normalized, and its decoded views), unless the request holds it too.
    out_views_.clear();
    out_views_.push_back(out.output.canonical);
    for (std::size_t v = 0; v < out.output.views.size(); ++v)
      if (out.output.view_kinds[v] == ViewKind::kDecoded || out.output.view_kinds[v] == ViewKind::kReversed)
        out_views_.push_back(out.output.views[v]);
    system_secret_leaks(sys_texts_, req_texts_, out_views_, leak_, out.leakage.secrets);
  }

  // Hooks owned by the secrets/model helper.
  if (options_.secrets != nullptr) options_.secrets->run(out);
  if (options_.scorer != nullptr) options_.scorer->run(out);
}

bool ContentAnalyzer::read_zip_prefix(const InputFile& member, std::string& out, std::uint64_t& size) {
  // The whole member (a media object of `data/` is at most a few MiB; one over
  // 64 MiB is not read), then its first max_media_bytes, as for a file on disk.
  if (!zip_inflater_) zip_inflater_ = std::make_unique<FileReader>(std::uint64_t{64} << 20);
  ReadStats ignored;
  const ReadResult read = zip_inflater_->read(member, ignored);
  if (!read.ok || !read.stored_complete) return false;
  size = read.stored.size();
  out.assign(read.stored.substr(0, options_.max_media_bytes));
  return true;
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
    const InputFile* member = path ? nullptr : options_.offloaded->find_in_zip(ex.s3_refs[i].uri);
    if (!path && member == nullptr) continue;
    if (!offload_reader_) offload_reader_ = std::make_unique<FileReader>(options_.max_offloaded_bytes);
    ReadStats ignored;  // a damaged object is an unread body, counted below
    const ReadResult read =
        path ? offload_reader_->read(path->string(), false, ignored) : offload_reader_->read(*member, ignored);
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

void ContentAnalyzer::attachment_text(std::string_view bytes, AttachmentInfo& info) {
  attachment_text_.clear();
  if (info.ref.kind != "document") return;  // images and videos: no text is read (no OCR)
  const std::size_t cap = options_.max_attachment_text_bytes;
  if (info.type == FileType::kPdf) {
    if (!pdf_) {
      PdfTextLimits limits = options_.pdf;
      limits.max_text_bytes = cap;
      pdf_ = std::make_unique<PdfTextExtractor>(limits);
    }
    PdfTextStats stats;
    pdf_->extract(bytes, attachment_text_, stats);
    if (!stats.complete()) info.text_partial = true;
  } else if (info.type == FileType::kText) {
    // txt, md, csv, html: as is, cut on a UTF-8 boundary. A script (shebang)
    // is reported as a script attachment; its code is not scanned as prose.
    std::size_t n = std::min(bytes.size(), cap);
    if (n < bytes.size()) {
      while (n > 0 && (static_cast<unsigned char>(bytes[n]) & 0xC0) == 0x80) --n;
      info.text_partial = true;
    }
    attachment_text_.assign(bytes.substr(0, n));
  } else {
    return;  // Office (ZIP, OLE2) and other types: their text is not read
  }
  if (info.cut) info.text_partial = true;  // the object's end was not read
}

void ContentAnalyzer::read_attachments(ContentResult& out) {
  Extraction& ex = out.extraction;
  inserts_.clear();
  std::size_t media_tried = 0;
  for (const AttachmentRef& ref : ex.attachments) {
    AttachmentInfo info;
    attachment_text_.clear();
    if (!ref.base64.empty()) {
      info = analyze_attachment(ref, decode_);
      if (info.have_bytes) attachment_text(decode_, info);
    } else {
      info.ref = ref;
      info.executable_name = executable_file_name(ref.name);
      if (!ref.s3_uri.empty()) {
        ++out.media.refs;
        std::optional<std::filesystem::path> path;
        const InputFile* member = nullptr;
        if (options_.offloaded != nullptr) path = options_.offloaded->find(ref.s3_uri);
        if (options_.offloaded != nullptr && !path) member = options_.offloaded->find_in_zip(ref.s3_uri);
        std::uint64_t size = 0;
        if (!path && member == nullptr) {
          info.s3_missing = true;
          ++out.media.missing;
        } else if (media_tried++ >= options_.max_media_objects ||
                   !(path ? read_s3_object_prefix(*path, options_.max_media_bytes, media_, size)
                          : read_zip_prefix(*member, media_, size))) {
          ++out.media.unreadable;
        } else {
          ++out.media.read;
          analyze_attachment_bytes(media_, ref.declared_format, info);
          info.from_s3 = true;
          if (size > media_.size()) {  // only the first max_media_bytes: no hash of a part
            info.cut = true;
            info.size = static_cast<std::size_t>(size);
            info.sha256.clear();
            ++out.media.cut;
          }
          for (S3Reference& r : ex.s3_refs)
            if (r.uri.data() == ref.s3_uri.data()) r.resolved = true;
          attachment_text(media_, info);
        }
      }
    }
    if (!attachment_text_.empty()) {
      // The record's text cap covers this text too.
      const std::size_t max = options_.extract.max_text_bytes;
      std::size_t n = std::min(attachment_text_.size(), max > ex.text_bytes ? max - ex.text_bytes : 0);
      if (n < attachment_text_.size()) {
        while (n > 0 && (static_cast<unsigned char>(attachment_text_[n]) & 0xC0) == 0x80) --n;
        ex.truncated = true;
        info.text_partial = true;
      }
      if (n > 0) {
        std::string& owned = ex.own();
        owned.assign(attachment_text_, 0, n);
        ex.text_bytes += n;
        info.text_bytes = n;
        inserts_.emplace_back(ref.piece_index, TextPiece{ref.text_role, ref.side, true, owned, ref.source_path});
      }
    }
    if (info.text_partial) ++out.media.text_partial;
    out.attachments.push_back(std::move(info));
  }
  if (inserts_.empty()) return;
  // Each text goes where its block was, after the document's name.
  std::stable_sort(inserts_.begin(), inserts_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  merged_.clear();
  merged_.reserve(ex.pieces.size() + inserts_.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < ex.pieces.size(); ++i) {
    for (; k < inserts_.size() && inserts_[k].first <= i; ++k) merged_.push_back(inserts_[k].second);
    merged_.push_back(ex.pieces[i]);
  }
  for (; k < inserts_.size(); ++k) merged_.push_back(inserts_[k].second);
  ex.pieces.swap(merged_);
}

ContentResult analyze_invocation(const simdjson::dom::element& record, const ContentOptions& options) {
  ContentAnalyzer analyzer(options);
  ContentResult result;
  analyzer.analyze(record, result);
  return result;
}

namespace {

/// The quote that opens at `pos` ("" when none), and the one that closes it.
struct QuotePair {
  std::string_view open, close;
};
constexpr QuotePair kQuotes[] = {{"'", "'"},          {"\"", "\""},          {"`", "`"},
                                 {"\u201c", "\u201d"}, {"\u2018", "\u2019"}, {"\u00ab", "\u00bb"}};

bool ascii_letter_or_digit(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool icontains_ascii(std::string_view hay, std::string_view needle) noexcept {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size()) {
      char c = hay[i + k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != needle[k]) break;
      ++k;
    }
    if (k == needle.size()) return true;
  }
  return false;
}

bool names_attack_topic(std::string_view text) noexcept {
  static constexpr std::string_view kTopics[] = {"prompt injection", "prompt-injection", "jailbreak", "owasp",
                                                 "red team",         "red-team",         "adversarial prompt",
                                                 "injection attack"};
  for (std::string_view t : kTopics)
    if (icontains_ascii(text, t)) return true;
  return false;
}

}  // namespace

bool quoted_example(std::string_view text, std::size_t begin, std::size_t end) noexcept {
  constexpr std::size_t kBefore = 40, kAfter = 200;
  if (begin > end || end > text.size()) return false;
  for (const QuotePair& q : kQuotes) {
    // The nearest opening quote before the match, with nothing closing it in between.
    const std::size_t from = begin > kBefore ? begin - kBefore : 0;
    std::size_t open = text.rfind(q.open, begin == 0 ? 0 : begin - 1);
    if (open == std::string_view::npos || open < from || open + q.open.size() > begin) continue;
    const std::string_view inside_before = text.substr(open + q.open.size(), begin - open - q.open.size());
    if (inside_before.find(q.close) != std::string_view::npos) continue;
    if (open > 0) {  // an opener follows a space, a colon or a bracket: not an apostrophe (customer's)
      const char b = text[open - 1];
      if (b != ' ' && b != ':' && b != '(' && b != '[' && b != '\n' && b != '\t') continue;
    }
    // Its closing quote after the match, before a space or punctuation (not it's).
    std::size_t close = text.find(q.close, end);
    if (close == std::string_view::npos || close > end + kAfter) continue;
    const std::size_t after = close + q.close.size();
    if (after < text.size() && ascii_letter_or_digit(text[after])) continue;
    // The topic named outside the quotation.
    if (names_attack_topic(text.substr(0, open)) || names_attack_topic(text.substr(after))) return true;
  }
  return false;
}

void mark_echoed(const std::vector<TextPiece>& pieces, std::vector<SecretHit>& hits) {
  auto value_of = [&](const SecretHit& h) -> std::string_view {
    if (h.piece >= pieces.size()) return {};
    const std::string_view text = pieces[h.piece].text;
    return h.offset + h.length <= text.size() ? text.substr(h.offset, h.length) : std::string_view();
  };
  auto domain_of = [](std::string_view email) {
    const std::size_t at = email.rfind('@');
    return at == std::string_view::npos ? std::string_view() : email.substr(at + 1);
  };
  std::vector<std::string_view> own_domains;
  for (const SecretHit& h : hits)
    if (h.side == Side::kInput && h.role == Role::kSystem && h.type == "email") {
      const std::string_view d = domain_of(value_of(h));
      if (!d.empty()) own_domains.push_back(d);
    }
  for (SecretHit& h : hits) {
    // Contact details only: a card number, SSN or IBAN repeated from the request may come from
    // a retrieved document put into the user turn (a leak of someone else's), not the customer.
    if (h.side != Side::kOutput || (h.type != "email" && h.type != "phone")) continue;
    const std::string_view v = value_of(h);
    if (v.size() < 4) continue;
    if (h.type == "email") {
      const std::string_view d = domain_of(v);
      for (std::string_view own : own_domains)
        if (!d.empty() && d.size() == own.size() && std::equal(d.begin(), d.end(), own.begin(), [](char a, char b) {
              return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
            }))
          h.echoed = true;
    }
    // Typed by the user (not a document or tool result: those may hold other people's data).
    for (const TextPiece& p : pieces)
      if (!h.echoed && p.side == Side::kInput && p.role == Role::kUser && !p.from_attachment &&
          p.text.find(v) != std::string_view::npos)
        h.echoed = true;
  }
}

}  // namespace aiir::content
