// SPDX-License-Identifier: Apache-2.0
// The content stage: src/content + secrets + prompt model per invocation
// record, secrets in CloudTrail request parameters, on worker threads.
#include "scan/content_stage.h"

#include <aiir/error.h>

#include <algorithm>
#include <span>
#include <cstdio>

#include <fmt/format.h>

#include "core/paths.h"

namespace aiir {

namespace {

namespace dom = simdjson::dom;
using content::ContentResult;
using content::Role;
using content::SecretHit;
using content::Side;

/// Back up to a UTF-8 boundary at or before `i`.
std::size_t utf8_floor(std::string_view s, std::size_t i) noexcept {
  while (i > 0 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

/// Words (whitespace-separated runs) in `text`, counting stops at `cap`.
std::size_t count_words(std::string_view text, std::size_t cap) noexcept {
  std::size_t n = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word && ++n >= cap) return n;
    in_word = !space;
  }
  return n;
}

/// A request piece a tool or a retriever returned: tool results and retrieved
/// documents, not tool descriptions (the application's) or tool-call inputs
/// (the model's own).
bool retrieved_piece(const content::TextPiece& p) noexcept {
  if (p.side != Side::kInput || (p.role != Role::kTool && p.role != Role::kDocument) || p.from_attachment) return false;
  const std::string_view path = p.source_path;
  return path.find("description") == std::string_view::npos && path.find("tool_use") == std::string_view::npos &&
         path.find("toolUse") == std::string_view::npos && path.find("tool_calls") == std::string_view::npos;
}

/// True when a decoded view reads as English prose: 8 words or more, and at
/// least a fifth of them common function words. The ROT13 of ordinary text,
/// JSON and identifiers do not.
bool reads_as_prose(std::string_view text) noexcept {
  static constexpr std::string_view kCommon[] = {
      "the", "a", "an", "and", "or", "to", "of", "in", "on", "for", "from", "with", "is", "are", "be", "it",
      "you", "your", "i", "me", "my", "we", "this", "that", "all", "any", "what", "not", "no", "do", "as", "at",
      "by", "if", "now", "then", "please", "will", "can", "must"};
  std::size_t words = 0, common = 0, i = 0;
  const std::size_t n = std::min<std::size_t>(text.size(), 4096);
  while (i < n) {
    while (i < n && !(text[i] >= 'a' && text[i] <= 'z')) ++i;
    const std::size_t b = i;
    while (i < n && text[i] >= 'a' && text[i] <= 'z') ++i;
    if (i == b) break;
    ++words;
    const std::string_view w = text.substr(b, i - b);
    for (std::string_view c : kCommon)
      if (w == c) {
        ++common;
        break;
      }
  }
  return words >= kMinScoredWords && common * 5 >= words;
}

/// The secrets hook: scans every extracted piece with its side and role.
class SecretsHook final : public content::ContentStage {
 public:
  explicit SecretsHook(bool redact) : redact_(redact) {}
  void run(ContentResult& r) noexcept override {
    const auto& pieces = r.extraction.pieces;
    const secrets::SecretScanner& scanner = secrets::SecretScanner::instance();
    for (std::uint32_t i = 0; i < pieces.size(); ++i) {
      const content::TextPiece& p = pieces[i];
      if (p.text.size() < 6) continue;
      const std::size_t before = r.secrets.size();
      scanner.scan(p.text, r.secrets, p.side, p.role);
      for (std::size_t k = before; k < r.secrets.size(); ++k) {
        SecretHit& h = r.secrets[k];
        h.piece = i;
        if (!redact_ && h.offset + h.length <= p.text.size()) h.masked.assign(p.text.substr(h.offset, h.length));
      }
    }
    content::mark_echoed(pieces, r.secrets);
  }

 private:
  bool redact_;
};

}  // namespace

/// The model hook: scores the capped user-role text.
struct ContentWorker::Hooks {
  class Scorer final : public content::ContentStage {
   public:
    explicit Scorer(ContentWorker& worker) : worker_(worker) {}
    void run(ContentResult& r) noexcept override {
      const model::PromptModel& m = worker_.shared_.model();
      if (m.empty() || !worker_.shared_.options().score) return;
      r.threshold = m.info().threshold;
      double best = -1;
      std::size_t bytes = 0;
      try {
        // The model text (normalized, capped): hidden, encoded and spaced-out
        // words count once decoded. Too little text for a lexical model (a few
        // words give a handful of features and scores near the bias, so short
        // chat turns were flagged at random) is not scored; signatures still
        // see it (docs/prompt-model.md).
        auto score = [&](std::string_view piece) {
          bytes += piece.size();
          if (piece.empty()) return;
          std::string normalized;
          std::string_view input = piece;  // as it is when normalizing would only lowercase it
          if (!model::model_text_is_lowercase(piece)) input = normalized = model::model_text(piece);
          if (count_words(input, kMinScoredWords) < kMinScoredWords) return;
          best = std::max(best, m.score(input));
        };
        score(worker_.scored_text(r));
        // The newest documents' names and text (from_attachment pieces) reach
        // the model with the turn but are not typed in it: each is scored on
        // its own, capped the same way, and the record keeps the highest score.
        const auto& pieces = r.extraction.pieces;
        std::size_t docs = 0;
        for (std::size_t i = pieces.size(); i-- > 0 && docs < kMaxScoredAttachmentTexts;) {
          const content::TextPiece& p = pieces[i];
          if (p.side != Side::kInput || p.role != Role::kUser || !p.from_attachment) continue;
          ++docs;
          score(worker_.capped_for_model(p.text));
        }
        // Tool results and retrieved documents: where indirect injection
        // arrives. Each on its own (a JSON tool result is many short string
        // pieces, most under the word minimum), the highest score kept.
        std::size_t retrieved = 0;
        for (std::size_t i = pieces.size(); i-- > 0 && retrieved < kMaxScoredRetrievedTexts;) {
          if (!retrieved_piece(pieces[i])) continue;
          ++retrieved;
          score(worker_.capped_for_model(pieces[i].text));
        }
        // Hidden text the model's own normalization does not decode (ROT13,
        // reversed under a right-to-left override, hex, URL escapes), when it
        // reads as prose: scored as decoded.
        std::size_t views = 0;
        const content::NormalizedText& in = r.input;
        auto score_view = [&](std::string_view v) {
          if (views >= kMaxScoredViews || !reads_as_prose(v)) return;
          ++views;
          score(worker_.capped_for_model(v));
        };
        for (std::size_t v = 0; v < in.views.size() && views < kMaxScoredViews; ++v) {
          const content::ViewKind kind = in.view_kinds[v];
          if (kind == content::ViewKind::kRot13) {
            // The ROT13 view covers the whole request (system prompt too):
            // only the newest user turn's span of it.
            const std::size_t k = newest_user_span(r);
            if (k == SIZE_MAX) continue;
            const std::size_t from = r.input_piece_start[k];
            const std::size_t to = k + 1 < r.input_piece_start.size() ? r.input_piece_start[k + 1] : in.views[v].size();
            if (from < to && to <= in.views[v].size()) score_view(std::string_view(in.views[v]).substr(from, to - from));
          } else if (kind == content::ViewKind::kReversed || kind == content::ViewKind::kDecoded) {
            const Role role = r.role_at(Side::kInput, in.view_origin[v]);
            if (role == Role::kSystem || role == Role::kAssistant) continue;
            score_view(in.views[v]);
          }
        }
        r.score = best;
      } catch (...) {
        r.score = -1;  // allocation failure: no score rather than no run
      }
      r.scored_bytes = bytes;
    }

   private:
    ContentWorker& worker_;

    /// Index in input_piece_start of the newest user turn (SIZE_MAX: none).
    static std::size_t newest_user_span(const ContentResult& r) noexcept {
      const auto& pieces = r.extraction.pieces;
      for (std::size_t k = r.input_piece_index.size(); k-- > 0;) {
        const content::TextPiece& p = pieces[r.input_piece_index[k]];
        if (p.role == Role::kUser && !p.from_attachment) return k;
      }
      return SIZE_MAX;
    }
  };

  Hooks(ContentWorker& worker, bool redact) : secrets(redact), scorer(worker) {}
  SecretsHook secrets;
  Scorer scorer;
  std::string text;  ///< scored text scratch
  std::vector<SecretHit> ct_hits;
};

ContentShared::ContentShared(ContentStageOptions options) : options_(std::move(options)) {
  std::string sig_path = options_.signatures_path;
  if (sig_path.empty()) sig_path = find_rules_path("prompt-signatures.yaml");
  if (sig_path.empty()) sig_path = content::SignatureSet::default_path().string();
  signatures_ = std::make_unique<content::SignatureSet>(content::SignatureSet::load_file(sig_path));
  if (options_.score) {
    std::string model_path = options_.model_path;
    if (model_path.empty()) model_path = find_rules_path("prompt-model.bin");
    if (model_path.empty()) model_path = model::default_model_path();
    model_ = model::PromptModel::load(model_path);
  }
  (void)secrets::SecretScanner::instance();  // compile the patterns now, not on a worker
  std::vector<std::filesystem::path> roots;
  for (const std::string& r : options_.offload_roots)
    if (r != "-") roots.emplace_back(r);
  if (!roots.empty()) {
    try {
      offloaded_ = std::make_unique<content::S3ObjectIndex>(roots);
    } catch (const Error&) {
      // An unreadable root: the pipeline reports it; bodies there stay unread.
    }
  }
}

ContentWorker::ContentWorker(const ContentShared& shared) : shared_(shared) {
  hooks_ = std::make_unique<Hooks>(*this, shared.options().redact);
  content::ContentOptions o;
  o.signatures = &shared.signatures();
  o.secrets = &hooks_->secrets;
  o.scorer = &hooks_->scorer;
  o.offloaded = shared.offloaded();
  analyzer_ = std::make_unique<content::ContentAnalyzer>(o);
}

ContentWorker::~ContentWorker() = default;

std::string_view ContentWorker::scored_text(const ContentResult& result) {
  // The newest user turn: the last user-role request piece typed in a
  // message (documents' names and text are scored apart). Earlier turns of
  // a conversation are resent with every call and were scored in the records
  // that first carried them; re-scoring the whole history made the model's
  // cost grow with the conversation (signatures still see every piece).
  const auto& pieces = result.extraction.pieces;
  for (std::size_t i = pieces.size(); i-- > 0;) {
    if (pieces[i].side == Side::kInput && pieces[i].role == Role::kUser && !pieces[i].from_attachment)
      return capped_for_model(pieces[i].text);
  }
  hooks_->text.clear();
  return hooks_->text;
}

std::string_view ContentWorker::capped_for_model(std::string_view text) {
  const std::size_t head = shared_.options().score_head_bytes;
  const std::size_t tail = shared_.options().score_tail_bytes;
  if (text.size() <= head + tail + 1) return text;  // read only: no copy
  std::string& t = hooks_->text;
  t.assign(text);
  // The first `head` and the last `tail` bytes, joined by a newline, cut on
  // UTF-8 boundaries.
  const std::size_t h = utf8_floor(t, head);
  std::size_t from = t.size() - tail;
  while (from < t.size() && (static_cast<unsigned char>(t[from]) & 0xC0) == 0x80) ++from;
  t[h] = '\n';
  t.erase(h + 1, from - (h + 1));
  return t;
}

namespace {

/// Visits the string elements under requestParameters (bounded depth and count).
template <typename F>
void walk_strings(dom::element el, int depth, std::size_t& budget, F&& f) {
  if (depth > 8 || budget == 0) return;
  switch (el.type()) {
    case dom::element_type::STRING:
      --budget;
      f(el);
      return;
    case dom::element_type::ARRAY: {
      dom::array arr = el.get_array().value_unsafe();  // a copy: the result is a temporary
      for (dom::element c : arr) walk_strings(c, depth + 1, budget, f);
      return;
    }
    case dom::element_type::OBJECT: {
      dom::object obj = el.get_object().value_unsafe();
      for (auto field : obj) walk_strings(field.value, depth + 1, budget, f);
      return;
    }
    default: return;
  }
}

/// The request parameters the CloudTrail secrets walk visits (false: none).
bool walked_parameters(const EventView& event, dom::element& params) noexcept {
  return event.kind == EventKind::kCloudTrail && event.request_parameters().get(params) == simdjson::SUCCESS &&
         (params.is_object() || params.is_array());
}

constexpr std::size_t kWalkBudget = 512;  ///< string values visited per request

/// Asks for the strings the CloudTrail secrets walk will read in `events`
/// from memory, all at once: the decoder wrote them a whole file ago, they are
/// out of the caches, and the walk, reading them one after the other, waited
/// for each (most of its time). The parameters are found first in a loop of
/// independent iterations, whose tape misses the processor overlaps;
/// get_c_str() gives a string's address without reading it.
void prefetch_parameter_strings(std::span<const EventView> events, std::vector<dom::element>& params) {
  params.clear();
  for (const EventView& ev : events) {
    dom::element p;
    if (walked_parameters(ev, p)) params.push_back(p);
  }
  for (dom::element p : params) {
    std::size_t budget = kWalkBudget;
    walk_strings(p, 0, budget, [](dom::element el) {
      const char* s = nullptr;
      if (el.get_c_str().get(s) == simdjson::SUCCESS) __builtin_prefetch(s - sizeof(std::uint32_t));
    });
  }
}

}  // namespace

bool ContentWorker::run(const EventView& event, ContentResult& out) noexcept {
  try {
    if (event.kind == EventKind::kInvocation) {
      analyzer_->analyze(event.raw, out);
      return true;
    }
    dom::element params;
    if (!shared_.options().cloudtrail_secrets || !walked_parameters(event, params)) return false;
    auto& hits = hooks_->ct_hits;
    hits.clear();
    std::size_t budget = kWalkBudget;
    const secrets::SecretScanner& scanner = secrets::SecretScanner::instance();
    const bool redact = shared_.options().redact;
    walk_strings(params, 0, budget, [&](dom::element el) {
      std::string_view s;
      if (el.get_string().get(s) != simdjson::SUCCESS) return;
      // ARNs and resource names are identifiers, however random their suffix
      // (secretsmanager "app/db-AbC123", KMS encryption contexts).
      if (s.size() < 16 || s.substr(0, 4) == "arn:") return;
      // Only credentials: access key ids in request parameters name keys
      // (DeleteAccessKey, UpdateAccessKey ...); generic high-entropy tokens next
      // to a context word are too weak here, as request parameters name secrets
      // ("SecretId": "app/...") far more often than they carry them; PII is not
      // looked for.
      const std::size_t before = hits.size();
      scanner.scan(s, hits, Side::kInput, Role::kUser, secrets::SecretScope::kCredentials);
      if (redact) return;
      for (std::size_t k = before; k < hits.size(); ++k)
        if (hits[k].offset + hits[k].length <= s.size()) hits[k].masked.assign(s.substr(hits[k].offset, hits[k].length));
    });
    if (hits.empty()) return false;
    out.clear();
    out.secrets.swap(hits);
    return true;
  } catch (...) {
    return false;
  }
}

void ContentBatch::prepare(DecodedBatch& batch, std::size_t begin, std::size_t end) {
  if (begin == 0) used = 0;
  // Blocks of 64 events (the one-thread pipeline's chunk; workers get whole
  // batches): their request parameter strings are asked for from memory before
  // the block is run, and stay in the caches until it is.
  constexpr std::size_t kBlock = 64;
  for (std::size_t b = begin; b < end; b += kBlock) {
    const std::span<EventView> events = std::span(batch.events).subspan(b, std::min(kBlock, end - b));
    if (worker.shared().options().cloudtrail_secrets) prefetch_parameter_strings(events, params_);
    for (EventView& ev : events) run_one(ev);
  }
}

void ContentBatch::run_one(EventView& ev) {
  ev.content = nullptr;
  if (ev.kind != EventKind::kInvocation && ev.kind != EventKind::kCloudTrail) return;
  if (used == pool.size()) pool.push_back(std::make_unique<ContentResult>());
  ContentResult& r = *pool[used];
  if (!worker.run(ev, r)) return;
  // The normalized text is not needed past the stage (findings copy
  // excerpts; hidden texts are kept): give large buffers back.
  for (content::NormalizedText* t : {&r.input, &r.output}) {
    if (t->canonical.capacity() > (64u << 10)) std::string().swap(t->canonical);
    else t->canonical.clear();
    t->views.clear();
    t->collapsed_map.clear();
  }
  ev.content = &r;
  ++used;
}

bool prompt_flagged(const ContentResult& result, double threshold) noexcept {
  if (threshold >= 0 && result.score >= 0 && result.score >= threshold) return true;
  for (const auto& h : result.hits) {
    if (h.side != Side::kInput) continue;
    // A quoted example in a question about the attack counts one level lower (as the
    // invocation-content analyzer reports it).
    const Severity s = h.quoted_example && h.severity > Severity::kLow
                           ? static_cast<Severity>(static_cast<int>(h.severity) - 1)
                           : h.severity;
    if (s >= Severity::kMedium) return true;
  }
  return false;
}

std::string mask_secrets_in(std::string_view text, std::size_t max_bytes) {
  std::vector<SecretHit> hits;
  secrets::find_secrets(text, hits);
  std::string out;
  std::size_t pos = 0;
  for (const auto& h : hits) {
    if (h.offset < pos || h.offset + h.length > text.size()) continue;
    out.append(text.substr(pos, h.offset - pos));
    out += h.masked;
    pos = h.offset + h.length;
  }
  out.append(text.substr(std::min(pos, text.size())));
  if (max_bytes > 0 && out.size() > max_bytes) {
    std::size_t n = utf8_floor(out, max_bytes);
    out.resize(n);
    out += "\xE2\x80\xA6";
  }
  return out;
}

bool ContentVirtualFields::get(std::string_view name, std::vector<std::string_view>& values) const {
  if (event_ == nullptr || event_->content == nullptr || event_->kind != EventKind::kInvocation) return false;
  const ContentResult& r = *event_->content;
  auto pieces = [&](Side side, auto pred) {
    for (const auto& p : r.extraction.pieces)
      if (p.side == side && pred(p.role)) values.push_back(p.text);
    return true;
  };
  if (name == "prompt_text")
    return pieces(Side::kInput, [](Role ro) { return ro == Role::kUser || ro == Role::kDocument; });
  if (name == "system_text") return pieces(Side::kInput, [](Role ro) { return ro == Role::kSystem; });
  if (name == "response_text") return pieces(Side::kOutput, [](Role ro) { return ro != Role::kTool; });
  if (name == "tool_text") {
    pieces(Side::kInput, [](Role ro) { return ro == Role::kTool; });
    return pieces(Side::kOutput, [](Role ro) { return ro == Role::kTool; });
  }
  if (name == "guardrail_action") {
    const auto& g = r.extraction.guardrail;
    if (!g.action.empty()) values.push_back(g.action);
    else if (g.intervened) values.push_back("INTERVENED");
    return true;
  }
  if (name == "prompt_signatures") {
    for (const auto& h : r.hits) values.push_back(r.signature(h).id);
    return true;
  }
  if (name == "prompt_score") {
    if (r.score >= 0) {
      scratch_ = fmt::format("{:.3f}", r.score);
      values.push_back(scratch_);
    }
    return true;
  }
  return false;
}

}  // namespace aiir
