// SPDX-License-Identifier: Apache-2.0
// Word-shingle overlap between a system prompt and a response.
#include "content/leakage.h"

#include <algorithm>
#include <array>

namespace aiir::content {

namespace {

// Word bytes (letters, digits, non-ASCII) lowercased; 0 for the rest.
constexpr std::array<unsigned char, 256> make_word_table() {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) t[static_cast<std::size_t>(c)] = static_cast<unsigned char>(c);
    else if (c >= 'A' && c <= 'Z') t[static_cast<std::size_t>(c)] = static_cast<unsigned char>(c - 'A' + 'a');
  }
  return t;
}
constexpr std::array<unsigned char, 256> kWord = make_word_table();

// Appends one 64-bit hash per word of all texts (FNV-1a over lowercased bytes).
void word_hashes(std::span<const std::string_view> texts, std::vector<std::uint64_t>& out) {
  out.clear();
  for (std::string_view t : texts) {
    const auto* p = reinterpret_cast<const unsigned char*>(t.data());
    const std::size_t n = t.size();
    std::size_t i = 0;
    while (i < n) {
      while (i < n && kWord[p[i]] == 0) ++i;
      if (i == n) break;
      std::uint64_t h = 0xcbf29ce484222325ULL;
      for (unsigned char c; i < n && (c = kWord[p[i]]) != 0; ++i) h = (h ^ c) * 0x100000001b3ULL;
      out.push_back(h);
    }
  }
}

// Calls f(hash) for each run of k consecutive words: a polynomial rolling
// hash (sum of words[i + j] * B^(k-1-j), mod 2^64), O(1) per word whatever k.
template <typename F>
void for_each_shingle(const std::vector<std::uint64_t>& words, std::size_t k, F&& f) {
  if (k == 0 || words.size() < k) return;
  constexpr std::uint64_t kB = 0x9e3779b97f4a7c15ULL;
  std::uint64_t bk = 1;  // B^k
  std::uint64_t h = 0;
  for (std::size_t j = 0; j < k; ++j) {
    bk *= kB;
    h = h * kB + words[j];
  }
  f(h);
  for (std::size_t i = k; i < words.size(); ++i) {
    h = h * kB + words[i] - words[i - k] * bk;
    f(h);
  }
}

// The slot of shingle `h` in the system set (open addressing, a power of two
// in size): where it is, or the free slot where it would go.
std::size_t slot_of(const LeakageScratch& s, std::uint64_t h) noexcept {
  const std::size_t mask = s.sys.size() - 1;
  auto i = static_cast<std::size_t>((h * 0x9e3779b97f4a7c15ULL) >> s.sys_shift);
  while (s.sys_used[i] && s.sys[i] != h) i = (i + 1) & mask;
  return i;
}

}  // namespace

LeakageResult system_prompt_leakage(std::span<const std::string_view> system_texts,
                                    std::span<const std::string_view> output_texts, LeakageScratch& s,
                                    const LeakageOptions& opt) {
  LeakageResult r;
  // System side: sorted distinct shingles, cached while the system texts repeat.
  // The key starts with the options the shingles depend on.
  // Their bytes as they are (snprintf, on every call, was a twentieth of this function's time).
  const std::size_t opts[2] = {opt.shingle, opt.min_words};
  const std::string_view opt_key(reinterpret_cast<const char*>(opts), sizeof opts);
  bool same = s.sys_valid && s.sys_key.compare(0, opt_key.size(), opt_key) == 0;
  if (same) {
    std::size_t pos = opt_key.size();
    for (std::string_view t : system_texts) {
      if (pos + t.size() + 1 > s.sys_key.size() || s.sys_key.compare(pos, t.size(), t) != 0 ||
          s.sys_key[pos + t.size()] != '\0') {
        same = false;
        break;
      }
      pos += t.size() + 1;
    }
    same = same && pos == s.sys_key.size();
  }
  if (!same) {
    s.sys_key.assign(opt_key);
    for (std::string_view t : system_texts) {
      s.sys_key.append(t);
      s.sys_key.push_back('\0');
    }
    word_hashes(system_texts, s.words);
    s.sys_k = std::min(opt.shingle, s.words.size());
    s.sys_count = 0;
    s.filter.fill(0);
    if (s.sys_k >= opt.min_words && s.sys_k > 0) {
      // The distinct shingles in a hash set at most half full: the system
      // prompt changes with most calls, and sorting its shingles was half of
      // this function.
      const std::size_t n = s.words.size() - s.sys_k + 1;
      unsigned bits = 4;
      while ((std::size_t{1} << bits) < 2 * n) ++bits;
      s.sys.assign(std::size_t{1} << bits, 0);
      s.sys_used.assign(s.sys.size(), 0);
      s.sys_shift = 64 - bits;
      for_each_shingle(s.words, s.sys_k, [&](std::uint64_t h) {
        const std::size_t i = slot_of(s, h);
        if (s.sys_used[i]) return;
        s.sys_used[i] = 1;
        s.sys[i] = h;
        ++s.sys_count;
        s.filter[h >> 58] |= std::uint64_t{1} << ((h >> 52) & 63);
      });
    }
    s.sys_valid = true;
  }
  const std::size_t k = s.sys_k;
  if (k < opt.min_words || k == 0) return r;
  r.system_shingles = s.sys_count;
  if (s.sys_count == 0) return r;
  // Output side: each shingle looked up in the system set.
  word_hashes(output_texts, s.words);
  if (s.words.size() < k) return r;
  s.hit.assign(s.sys.size(), 0);
  for_each_shingle(s.words, k, [&](std::uint64_t h) {
    if ((s.filter[h >> 58] & (std::uint64_t{1} << ((h >> 52) & 63))) == 0) return;
    const std::size_t i = slot_of(s, h);
    if (s.sys_used[i] && !s.hit[i]) {
      s.hit[i] = 1;
      ++r.matched_shingles;
    }
  });
  r.ratio = static_cast<double>(r.matched_shingles) / static_cast<double>(r.system_shingles);
  std::size_t need = std::min(opt.min_matched, r.system_shingles);
  r.leaked = r.ratio >= opt.threshold && r.matched_shingles >= need;
  return r;
}

// ---- secret values copied from the system prompt ---------------------------

namespace {

// Token bytes, as a table: for_each_token tests every byte of every system
// prompt, and the comparisons cost more than a lookup.
constexpr std::array<bool, 256> kTokChar = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[static_cast<std::size_t>(c)] =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  return t;
}();
inline bool tok_char(unsigned char c) noexcept { return kTokChar[c]; }
inline unsigned char lower(unsigned char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + 32) : c; }

/// Calls f(begin, end) for each token of `t` (runs of tok_char, '-' and '_'
/// trimmed at both ends).
template <typename F>
void for_each_token(std::string_view t, F&& f) {
  const auto* p = reinterpret_cast<const unsigned char*>(t.data());
  const std::size_t n = t.size();
  std::size_t i = 0;
  while (i < n) {
    while (i < n && !tok_char(p[i])) ++i;
    std::size_t j = i;
    while (j < n && tok_char(p[j])) ++j;
    std::size_t b = i, e = j;
    while (b < e && (p[b] == '-' || p[b] == '_')) ++b;
    while (e > b && (p[e - 1] == '-' || p[e - 1] == '_')) --e;
    if (e > b) f(b, e);
    i = j;
  }
}

std::uint64_t fnv_lower(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char ch : s) h = (h ^ lower(static_cast<unsigned char>(ch))) * 0x100000001b3ULL;
  return h;
}

bool ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(static_cast<unsigned char>(a[i])) != static_cast<unsigned char>(b[i])) return false;
  return true;
}
/// Bit c - 'a' for the first letter of each word of a list (lower case).
template <std::size_t N>
constexpr std::uint32_t first_letters(const std::array<std::string_view, N>& list) noexcept {
  std::uint32_t bits = 0;
  for (std::string_view x : list) bits |= std::uint32_t{1} << (x[0] - 'a');
  return bits;
}
/// `w` (any case) is a word of `List`. Most words of a sentence start with a
/// letter no word of the list does: their compares are skipped.
template <const auto& List>
bool in_list(std::string_view w) noexcept {
  static constexpr std::uint32_t kFirst = first_letters(List);
  const unsigned first = static_cast<unsigned>(lower(static_cast<unsigned char>(w.empty() ? 0 : w[0]))) - 'a';
  if (first >= 26 || ((kFirst >> first) & 1) == 0) return false;
  for (std::string_view x : List)
    if (ieq(w, x)) return true;
  return false;
}

constexpr std::size_t kMaxSentence = 1024;  // bytes per sentence looked at

// Labels whose value is secret by itself.
constexpr std::array<std::string_view, 12> kStrongLabels = {
    "password", "passwd", "pwd", "passcode", "passphrase", "pin", "secret", "otp", "credential", "credentials",
    "apikey", "codeword"};
// Labels that name secrets only after a qualifier or in a secrecy sentence
// (promo codes, product keys and token limits are not secret).
constexpr std::array<std::string_view, 4> kWeakLabels = {"code", "key", "token", "phrase"};
constexpr std::array<std::string_view, 22> kQualifiers = {
    "secret", "admin", "administrator", "master", "root", "access", "api", "private", "staff", "internal",
    "escalation", "override", "auth", "authentication", "verification", "security", "unlock", "debug",
    "bypass", "service", "signing", "session"};
// Sentence cues that a value is secret (lowercase substrings).
constexpr std::array<std::string_view, 26> kCues = {
    "confidential", "secret", "internal", "staff", "private", "classified", "sensitive", "reveal", "disclose",
    "divulge", "leak", "never share", "not share", "never tell", "not tell", "never give", "not give",
    "never repeat", "not repeat", "never mention", "not mention", "never confirm", "not confirm",
    "never provide", "not provide", "n't share"};

// The last part of a compound token ("admin_password" -> "password").
std::string_view last_part(std::string_view w) noexcept {
  // A loop, not find_last_of("-_"): that searches the set once per byte of
  // the word, and this runs on every word of every system prompt.
  std::size_t k = w.size();
  while (k > 0 && w[k - 1] != '-' && w[k - 1] != '_') --k;
  return w.substr(k);
}

struct Shape {
  std::size_t letters = 0, digits = 0, upper = 0, lower_after_first = 0, upper_after_first = 0;
};
Shape shape_of(std::string_view w) noexcept {
  Shape s;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const auto c = static_cast<unsigned char>(w[i]);
    if (c >= '0' && c <= '9') ++s.digits;
    else if (c >= 'A' && c <= 'Z') {
      ++s.letters;
      ++s.upper;
      if (i > 0) ++s.upper_after_first;
    } else if (c >= 'a' && c <= 'z') {
      ++s.letters;
      if (i > 0) ++s.lower_after_first;
    }
  }
  return s;
}

// A value after a label: 6..128 characters that do not read as a word.
// `end_ok`: the value ends its clause (an all-letter value must: "the
// password is COCOLOCO." but not "the password is STRICTLY confidential").
bool labeled_value(std::string_view w, bool strong, bool end_ok) noexcept {
  if (w.size() < 6 || w.size() > 128) return false;
  const Shape s = shape_of(w);
  if (s.letters > 0 && s.digits > 0) return true;
  if (s.letters == 0) return strong && s.digits >= 6;  // a numeric passcode
  if (!end_ok) return false;
  if (s.upper == s.letters) return true;                         // COCOLOCO
  return s.upper_after_first > 0 && s.lower_after_first > 0;      // BlueHorse
}

// A bare token that looks generated: 8+ characters, 2+ letters, 2+ digits.
bool coded_token(std::string_view w) noexcept {
  if (w.size() < 8 || w.size() > 128) return false;
  const Shape s = shape_of(w);
  return s.letters >= 2 && s.digits >= 2;
}

bool has_cue(std::string_view sentence, std::string& low) {
  low.assign(sentence.substr(0, kMaxSentence));
  for (char& c : low) c = static_cast<char>(lower(static_cast<unsigned char>(c)));
  for (std::string_view cue : kCues)
    if (low.find(cue) != std::string::npos) return true;
  return false;
}

void add_candidate(std::string_view v, std::vector<SecretCandidate>& out) {
  if (out.size() >= kMaxSecretCandidates) return;
  const std::uint64_t h = fnv_lower(v);
  for (const auto& c : out)
    if (c.hash[0] == h) return;
  SecretCandidate c;
  c.value.assign(v);
  c.hash[0] = h;
  std::string t(v);
  for (char& ch : t) {
    const auto u = static_cast<unsigned char>(lower(static_cast<unsigned char>(ch)));
    if (u >= 'a' && u <= 'z') ch = static_cast<char>('a' + (u - 'a' + 13) % 26);
  }
  c.hash[1] = fnv_lower(t);
  t.assign(v.rbegin(), v.rend());
  c.hash[2] = fnv_lower(t);
  out.push_back(std::move(c));
}

// Calls add(value) for the candidates of one sentence (bounded by the
// caller), in order. What it finds depends on the sentence alone.
template <typename Add>
void sentence_candidates(std::string_view sent, std::string& low, Add&& add) {
  struct Tok {
    std::size_t b, e;
  };
  Tok toks[kMaxSentence / 2 + 1];
  std::size_t nt = 0;
  bool any = false;  // a label or a coded token: the sentence may hold a candidate
  for_each_token(sent, [&](std::size_t b, std::size_t e) {
    if (nt == kMaxSentence / 2 + 1) return;
    toks[nt++] = Tok{b, e};
    if (any) return;
    std::string_view w = last_part(sent.substr(b, e - b));
    any = in_list<kStrongLabels>(w) || in_list<kWeakLabels>(w) || coded_token(sent.substr(b, e - b));
  });
  if (!any) return;
  const bool cue = has_cue(sent, low);
  for (std::size_t i = 0; i < nt; ++i) {
    std::string_view w = sent.substr(toks[i].b, toks[i].e - toks[i].b);
    std::string_view lp = last_part(w);
    bool strong = in_list<kStrongLabels>(lp);
    bool weak = !strong && in_list<kWeakLabels>(lp);
    if (weak) {
      // "api key", "escalation code", "admin_token": a qualifier makes it strong.
      if (lp.size() < w.size() && in_list<kQualifiers>(last_part(w.substr(0, w.size() - lp.size() - 1)))) strong = true;
      for (std::size_t k = i; k-- > 0 && k + 2 >= i;)
        if (in_list<kQualifiers>(sent.substr(toks[k].b, toks[k].e - toks[k].b))) strong = true;
    }
    if (strong || (weak && cue)) {
      // The value: the first value-like token among the next five.
      for (std::size_t k = i + 1; k < nt && k <= i + 5; ++k) {
        std::string_view v = sent.substr(toks[k].b, toks[k].e - toks[k].b);
        if (in_list<kStrongLabels>(last_part(v)) || in_list<kWeakLabels>(last_part(v))) break;
        std::size_t after = toks[k].e;
        while (after < sent.size() && (sent[after] == '"' || sent[after] == '\'' || sent[after] == '`' ||
                                       sent[after] == '*' || sent[after] == ')' || sent[after] == ']'))
          ++after;
        const bool end_ok = after >= sent.size() || std::string_view(".,;:!?\n\r").find(sent[after]) != std::string_view::npos;
        if (labeled_value(v, strong, end_ok)) {
          add(v);
          break;
        }
      }
    }
    if (cue && coded_token(w)) add(w);
  }
}

// Calls f(sentence) for the sentences of `t`: split after newlines and after
// '.', '!' or '?' followed by whitespace; a longer stretch is cut at a space
// (or hard) every kMaxSentence bytes.
template <typename F>
void for_each_sentence(std::string_view t, F&& f) {
  const std::size_t n = t.size();
  std::size_t start = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = t[i];
    bool end = c == '\n' || ((c == '.' || c == '!' || c == '?') &&
                             (i + 1 == n || t[i + 1] == ' ' || t[i + 1] == '\n' || t[i + 1] == '\t' || t[i + 1] == '\r'));
    std::size_t stop = i + 1;
    if (!end && i + 1 - start >= kMaxSentence) {
      end = true;
      const std::size_t sp = t.substr(start, i + 1 - start).rfind(' ');
      if (sp != std::string_view::npos && sp > 0) stop = start + sp + 1;
    }
    if (!end) continue;
    f(t.substr(start, stop - start));
    start = stop;
    i = stop - 1;
  }
  if (start < n) f(t.substr(start));
}

bool same_key(const std::string& key, bool valid, std::span<const std::string_view> texts) noexcept {
  if (!valid) return false;
  std::size_t pos = 0;
  for (std::string_view t : texts) {
    if (pos + t.size() + 1 > key.size() || key.compare(pos, t.size(), t) != 0 || key[pos + t.size()] != '\0')
      return false;
    pos += t.size() + 1;
  }
  return pos == key.size();
}

std::string mask_value(std::string_view v) {
  std::string m;
  if (v.size() >= 10) {
    m.assign(v.substr(0, 3));
    m += "\xE2\x80\xA6";
    m.append(v.substr(v.size() - 2));
  } else {
    m.assign(v.substr(0, 2));
    m += "\xE2\x80\xA6";
  }
  return m;
}

}  // namespace

namespace {

/// system_secret_candidates(), with the sentences' values looked up in `memo`
/// when there is one: add_candidate() replays them in the same order, so the
/// candidates are the same.
void secret_candidates(std::span<const std::string_view> system_texts, std::vector<SecretCandidate>& out,
                       LeakageScratch* memo) {
  out.clear();
  std::string low;
  auto add = [&](std::string_view v) { add_candidate(v, out); };
  for (std::string_view t : system_texts) {
    for_each_sentence(t, [&](std::string_view sent) {
      if (memo == nullptr) return sentence_candidates(sent, low, add);
      auto& m = memo->sentence_memo;
      auto it = m.find(sent);
      if (it == m.end()) {
        if (m.size() >= LeakageScratch::kMaxMemoSentences) m.clear();
        it = m.emplace(std::string(sent), std::vector<std::string>()).first;
        sentence_candidates(sent, low, [&](std::string_view v) { it->second.emplace_back(v); });
      }
      for (const std::string& v : it->second) add(v);
    });
    if (out.size() >= kMaxSecretCandidates) break;
  }
}

}  // namespace

void system_secret_candidates(std::span<const std::string_view> system_texts, std::vector<SecretCandidate>& out) {
  secret_candidates(system_texts, out, nullptr);
}

void system_secret_leaks(std::span<const std::string_view> system_texts, std::span<const std::string_view> request_texts,
                         std::span<const std::string_view> output_views, LeakageScratch& s,
                         std::vector<SecretLeak>& out) {
  LeakageScratch::CandidateEntry* entry = nullptr;
  for (auto& c : s.cand_cache)
    if (same_key(c.key, c.valid, system_texts)) entry = &c;
  if (entry == nullptr) {
    entry = &s.cand_cache[0];
    for (auto& c : s.cand_cache)
      if (c.used < entry->used) entry = &c;
    entry->key.clear();
    for (std::string_view t : system_texts) {
      entry->key.append(t);
      entry->key.push_back('\0');
    }
    secret_candidates(system_texts, entry->candidates, &s);
    entry->valid = true;
  }
  entry->used = ++s.cand_tick;
  const std::vector<SecretCandidate>& cands = entry->candidates;
  if (cands.empty() || output_views.empty()) return;
  const std::size_t nc = cands.size();
  s.cand_state.assign(nc, 0);
  auto find = [&](std::uint64_t h, int variant) -> std::size_t {
    for (std::size_t c = 0; c < nc; ++c)
      if (cands[c].hash[variant] == h) return c;
    return nc;
  };
  // Values the request itself holds (the user typed it, a tool returned it).
  for (std::string_view t : request_texts)
    for_each_token(t, [&](std::size_t b, std::size_t e) {
      if (e - b < 6) return;
      const std::size_t c = find(fnv_lower(t.substr(b, e - b)), 0);
      if (c < nc) s.cand_state[c] = 1;
    });
  static constexpr std::string_view kHow[3] = {"verbatim", "rot13", "reversed"};
  std::array<std::size_t, kMaxSecretCandidates> leak_at{};  // index in `out` of each reported candidate
  for (std::size_t v = 0; v < output_views.size(); ++v) {
    const std::string_view t = output_views[v];
    for_each_token(t, [&](std::size_t b, std::size_t e) {
      if (e - b < 6) return;
      const std::uint64_t h = fnv_lower(t.substr(b, e - b));
      for (int variant = 0; variant < 3; ++variant) {
        const std::size_t c = find(h, variant);
        if (c == nc || s.cand_state[c] == 1) continue;
        if (variant == 2 && cands[c].value.size() < 8) continue;  // short values read the same reversed too often
        // Inside a URL: the whitespace-free run before the value holds "://".
        std::size_t run = b;
        while (run > 0 && b - run < 2048 && t[run - 1] != ' ' && t[run - 1] != '\n' && t[run - 1] != '\t' &&
               t[run - 1] != '\r')
          --run;
        const bool in_url = t.substr(run, b - run).find("://") != std::string_view::npos;
        if (s.cand_state[c] == 2) {  // seen before: a later copy may be the one in a URL
          out[leak_at[c]].in_url = out[leak_at[c]].in_url || in_url;
          break;
        }
        s.cand_state[c] = 2;
        leak_at[c] = out.size();
        SecretLeak leak;
        leak.masked = mask_value(cands[c].value);
        leak.how = v > 0 && variant == 0 ? std::string_view("decoded") : kHow[variant];
        leak.in_url = in_url;
        out.push_back(std::move(leak));
        break;
      }
    });
  }
}

}  // namespace aiir::content
