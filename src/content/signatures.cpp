// SPDX-License-Identifier: Apache-2.0
// Loading, compiling and matching prompt-attack signatures.
#include "content/signatures.h"

#include <aiir/error.h>
#include <re2/re2.h>
#include <re2/set.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace aiir::content {

struct SignatureSet::SetHolder {
  explicit SetHolder(const RE2::Options& o) : set(o, RE2::UNANCHORED) {}
  RE2::Set set;
};

SignatureSet::SignatureSet() = default;
SignatureSet::SignatureSet(SignatureSet&&) noexcept = default;
SignatureSet& SignatureSet::operator=(SignatureSet&&) noexcept = default;
SignatureSet::~SignatureSet() = default;

std::filesystem::path SignatureSet::default_path() {
  return std::filesystem::path(AIIR_SOURCE_DIR) / "rules" / "prompt-signatures.yaml";
}

namespace {

RE2::Options re2_options() {
  RE2::Options o;
  o.set_case_sensitive(false);  // views are case-folded; this forgives upper-case in rules
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);      // room for the set's DFA; a small budget falls back to the slow path
  return o;
}

[[noreturn]] void fail(std::string_view name, const YAML::Node& node, const std::string& msg) {
  int line = node.Mark().is_null() ? 0 : node.Mark().line + 1;
  throw aiir::Error(std::string(name) + ":" + std::to_string(line) + ": " + msg);
}

std::string scalar(std::string_view name, const YAML::Node& parent, const char* key, bool required) {
  YAML::Node n = parent[key];
  if (!n) {
    if (required) fail(name, parent, std::string("missing '") + key + "'");
    return {};
  }
  if (!n.IsScalar()) fail(name, n, std::string("'") + key + "' must be a string");
  return n.as<std::string>();
}

std::vector<std::string> string_list(std::string_view name, const YAML::Node& parent, const char* key) {
  std::vector<std::string> out;
  YAML::Node n = parent[key];
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.as<std::string>());
    return out;
  }
  if (!n.IsSequence()) fail(name, n, std::string("'") + key + "' must be a list of strings");
  for (const auto& item : n) {
    if (!item.IsScalar()) fail(name, item, std::string("'") + key + "' entries must be strings");
    out.push_back(item.as<std::string>());
  }
  return out;
}

}  // namespace

SignatureSet SignatureSet::load_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw aiir::Error(path.string() + ": cannot open signature file");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path.string());
}

SignatureSet SignatureSet::load_string(std::string_view yaml, std::string_view name) {
  SignatureSet set;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw aiir::Error(std::string(name) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  YAML::Node list = root["signatures"];
  if (!list || !list.IsSequence()) fail(name, root, "expected a top-level 'signatures' list");
  std::set<std::string> ids;
  try {
    for (const auto& node : list) {
      if (!node.IsMap()) fail(name, node, "each signature must be a mapping");
      Signature sig;
      sig.line = node.Mark().line + 1;
      sig.id = scalar(name, node, "id", true);
      if (!ids.insert(sig.id).second) fail(name, node, "duplicate signature id '" + sig.id + "'");
      sig.family = scalar(name, node, "family", true);
      std::string sev = scalar(name, node, "severity", true);
      if (!parse_severity(sev, sig.severity)) fail(name, node["severity"], "unknown severity '" + sev + "'");
      sig.description = scalar(name, node, "description", false);
      const std::string scope = scalar(name, node, "scope", false);
      if (scope == "conversation") {
        bool known = false;
        for (std::string_view id : kConversationSignatures) known = known || id == sig.id;
        if (!known) fail(name, node["scope"], "no conversation detector for '" + sig.id + "'");
        sig.conversation = true;
      } else if (!scope.empty() && scope != "text") {
        fail(name, node["scope"], "unknown scope '" + scope + "' (text or conversation)");
      }
      sig.patterns = string_list(name, node, "patterns");
      if (sig.patterns.empty()) fail(name, node, "signature '" + sig.id + "' has no patterns");
      sig.match = string_list(name, node, "match");
      sig.nomatch = string_list(name, node, "nomatch");
      if (sig.match.empty()) fail(name, node, "signature '" + sig.id + "' has no 'match' test case");
      // A pattern is checked where the set takes it (compile(), which points at
      // its line when it is bad); its own RE2, for the span of a hit, is
      // compiled on its first hit (pattern()): most never fire in a run.
      // Conversation-scoped patterns are not in the set: checked here.
      YAML::Node pats = node["patterns"];
      for (std::size_t i = 0; i < sig.patterns.size(); ++i) {
        YAML::Node at = pats.IsSequence() ? pats[i] : pats;
        if (sig.conversation) {
          RE2 re(sig.patterns[i], re2_options());
          if (!re.ok()) fail(name, at, "signature '" + sig.id + "': bad pattern: " + re.error());
        }
        if (i == 0) set.first_pattern_.push_back(static_cast<std::uint32_t>(set.pattern_owner_.size()));
        set.pattern_owner_.push_back(static_cast<std::uint32_t>(set.signatures_.size()));
        set.pattern_line_.push_back(at.Mark().is_null() ? sig.line : at.Mark().line + 1);
      }
      std::unique_ptr<RE2> any;
      if (sig.conversation && sig.patterns.size() > 1) {  // its cue is looked for on every conversation
        std::string alt;
        for (const auto& p : sig.patterns) alt += (alt.empty() ? "(?:" : "|(?:") + p + ")";
        any = std::make_unique<RE2>(alt, re2_options());
        if (!any->ok()) any.reset();
      }
      set.any_re_.push_back(std::move(any));
      set.signatures_.push_back(std::move(sig));
    }
  } catch (const YAML::Exception& e) {
    throw aiir::Error(std::string(name) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  set.compile(name);
  return set;
}

void SignatureSet::compile(std::string_view name) {
  // pattern_owner_ and pattern_line_ were filled by load_string, in this order.
  pattern_re_.resize(pattern_owner_.size());
  pattern_once_ = std::make_unique<std::once_flag[]>(pattern_owner_.size());
  set_ = std::make_unique<SetHolder>(re2_options());
  set_pattern_.clear();
  for (std::uint32_t s = 0; s < signatures_.size(); ++s) {
    if (signatures_[s].conversation) continue;  // matched on one turn by its detector, not by the set
    for (std::size_t i = 0; i < signatures_[s].patterns.size(); ++i) {
      std::string err;
      int idx = set_->set.Add(signatures_[s].patterns[i], &err);
      if (idx < 0)
        throw aiir::Error(std::string(name) + ":" + std::to_string(pattern_line_[first_pattern_[s] + i]) +
                          ": signature '" + signatures_[s].id + "': bad pattern: " + err);
      set_pattern_.push_back(first_pattern_[s] + static_cast<std::uint32_t>(i));
    }
  }
  std::string err;
  trigger_index_ = set_->set.Add(re2::StringPiece(kRot13Trigger.data(), kRot13Trigger.size()), &err);
  if (trigger_index_ < 0) throw aiir::Error("the ROT13 trigger does not compile: " + err);
  if (!set_->set.Compile()) throw aiir::Error(std::string(name) + ": signature set too large to compile");
}

void SignatureSet::match_view(std::string_view view, int view_index, std::vector<SignatureHit>& hits,
                              std::vector<std::uint8_t>& seen, std::vector<int>& scratch) const {
  (void)scan_view(view, view_index, hits, seen, scratch);
}

bool SignatureSet::scan_view(std::string_view view, int view_index, std::vector<SignatureHit>& hits,
                             std::vector<std::uint8_t>& seen, std::vector<int>& scratch) const {
  if (view.empty() || !set_) return false;
  if (seen.size() < signatures_.size()) seen.resize(signatures_.size(), 0);
  // First without the list of matches: RE2::Set allocates a match set per
  // call when it is asked for one, and almost no view matches anything.
  // Only a view that matched is scanned again for which patterns did.
  scratch.clear();
  if (!set_->set.Match(view, nullptr) || !set_->set.Match(view, &scratch)) return false;
  std::sort(scratch.begin(), scratch.end());
  bool trigger = false;
  for (int p : scratch) {
    if (p == trigger_index_) {
      trigger = true;
      continue;
    }
    const std::uint32_t pat = set_pattern_[static_cast<std::size_t>(p)];
    std::uint32_t s = pattern_owner_[pat];
    if (seen[s]) continue;
    re2::StringPiece m;
    if (!pattern(pat).Match(view, 0, view.size(), RE2::UNANCHORED, &m, 1)) {
      // Cannot happen (the set said it matched); keep the hit without a span.
      m = re2::StringPiece(view.data(), 0);
    }
    seen[s] = 1;
    SignatureHit hit;
    hit.signature = s;
    hit.view = view_index;
    hit.begin = static_cast<std::uint32_t>(m.data() - view.data());
    hit.end = static_cast<std::uint32_t>(hit.begin + m.size());
    hits.push_back(hit);
  }
  return trigger;
}

const RE2& SignatureSet::pattern(std::size_t p) const {
  std::call_once(pattern_once_[p], [&] {
    const std::uint32_t s = pattern_owner_[p];
    pattern_re_[p] = std::make_unique<RE2>(signatures_[s].patterns[p - first_pattern_[s]], re2_options());
  });
  return *pattern_re_[p];
}

int SignatureSet::index_of(std::string_view id) const noexcept {
  for (std::size_t s = 0; s < signatures_.size(); ++s)
    if (signatures_[s].id == id) return static_cast<int>(s);
  return -1;
}

bool SignatureSet::find(std::uint32_t sig, std::string_view text, std::size_t from, std::uint32_t& begin,
                        std::uint32_t& end) const {
  if (sig >= signatures_.size() || from > text.size()) return false;
  if (const RE2* any = any_re_[sig].get()) {  // one pass: the leftmost match of the alternation
    re2::StringPiece m;
    if (!any->Match(text, from, text.size(), RE2::UNANCHORED, &m, 1)) return false;
    begin = static_cast<std::uint32_t>(m.data() - text.data());
    end = static_cast<std::uint32_t>(begin + m.size());
    return true;
  }
  bool found = false;
  const std::size_t first = first_pattern_[sig];
  for (std::size_t p = first; p < first + signatures_[sig].patterns.size(); ++p) {
    re2::StringPiece m;
    if (!pattern(p).Match(text, from, text.size(), RE2::UNANCHORED, &m, 1)) continue;
    const auto b = static_cast<std::uint32_t>(m.data() - text.data());
    if (found && b >= begin) continue;
    found = true;
    begin = b;
    end = static_cast<std::uint32_t>(b + m.size());
  }
  return found;
}

void SignatureSet::match(NormalizedText& text, std::vector<SignatureHit>& hits, std::vector<std::uint8_t>& seen,
                         std::vector<int>& scratch) const {
  if (scan_view(text.canonical, -1, hits, seen, scratch)) add_rot13_view(text);
  for (std::size_t i = 0; i < text.views.size(); ++i)
    match_view(text.views[i], static_cast<int>(i), hits, seen, scratch);
}

std::vector<SignatureCaseFailure> run_signature_cases(const SignatureSet& set, TextNormalizer& normalizer) {
  std::vector<SignatureCaseFailure> failures;
  NormalizedText nt;
  std::vector<SignatureHit> hits;
  std::vector<std::uint8_t> seen;
  std::vector<int> scratch;
  const auto& sigs = set.signatures();
  auto check = [&](std::uint32_t s, const std::string& text, bool expect) {
    normalizer.normalize(text, nt);
    hits.clear();
    seen.assign(sigs.size(), 0);
    set.match(nt, hits, seen, scratch);
    bool fired = seen[s] != 0;
    if (sigs[s].conversation) {
      std::uint32_t b = 0, e = 0;
      fired = set.find(s, nt.canonical, 0, b, e);
    }
    if (fired != expect) {
      SignatureCaseFailure f{sigs[s].id, text, expect, {}};
      for (const auto& h : hits) f.fired.push_back(sigs[h.signature].id);
      failures.push_back(std::move(f));
    }
  };
  for (std::uint32_t s = 0; s < sigs.size(); ++s) {
    for (const auto& t : sigs[s].match) check(s, t, true);
    for (const auto& t : sigs[s].nomatch) check(s, t, false);
  }
  return failures;
}

}  // namespace aiir::content
