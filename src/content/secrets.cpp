// SPDX-License-Identifier: Apache-2.0
// Secrets and PII detection: one RE2::Set pass picks the candidate patterns, then
// each candidate pattern is located and checked by its validator (entropy,
// Luhn, issuer ranges, SSN ranges, IBAN mod-97, JWT header).
#include "content/secrets.h"
#include "util/cpu.h"

#include <aiir/error.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>
#include <mutex>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AIIR_SECRETS_AVX512 1  // the prefilters read 64-byte blocks with AVX-512BW where the CPU has it
#endif

namespace aiir::secrets {

namespace {

constexpr std::array<std::string_view, kSecretTypeCount> kTypeNames = {
    "private_key", "aws_secret_access_key", "bedrock_api_key", "api_token",
    "aws_access_key_id", "jwt", "generic_secret", "credit_card",
    "us_ssn", "iban", "email", "phone",
};

// Severity by type: {request, response}.
constexpr std::array<std::array<Severity, 2>, kSecretTypeCount> kSeverity = {{
    {Severity::kHigh, Severity::kCritical},    // private_key
    {Severity::kHigh, Severity::kCritical},    // aws_secret_access_key
    {Severity::kHigh, Severity::kCritical},    // bedrock_api_key
    {Severity::kHigh, Severity::kCritical},    // api_token
    {Severity::kMedium, Severity::kHigh},      // aws_access_key_id
    {Severity::kMedium, Severity::kHigh},      // jwt
    {Severity::kMedium, Severity::kHigh},      // generic_secret
    {Severity::kMedium, Severity::kHigh},      // credit_card
    {Severity::kMedium, Severity::kHigh},      // us_ssn
    {Severity::kLow, Severity::kMedium},       // iban
    {Severity::kLow, Severity::kLow},          // email
    {Severity::kLow, Severity::kLow},          // phone
}};

// Which validator a pattern uses; several patterns may share a type.
enum class Pattern : std::uint8_t {
  kPrivateKey,
  kAwsSecretContext,
  kBedrockLong,
  kBedrockShort,
  kProviderToken,
  kAwsKeyId,
  kJwt,
  kGenericAssign,
  kGenericBearer,
  kCard,
  kSsn,
  kIban,
  kEmail,
  kPhoneIntl,
  kPhoneNanp,
};

struct PatternDef {
  Pattern id;
  SecretType type;
  const char* regex;  // group 1 is the value
};

// Patterns are compiled in Latin-1 mode: every class is ASCII and matches
// bytes, so invalid UTF-8 in attacker text cannot disturb boundaries.
constexpr PatternDef kPatterns[] = {
    {Pattern::kPrivateKey, SecretType::kPrivateKey,
     R"((-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----))"},
    {Pattern::kAwsSecretContext, SecretType::kAwsSecretAccessKey,
     R"((?i)(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|aws_?secret)\\?["']?\s{0,4}(?:=|:|=>|:=)\s{0,4}\\?["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$))"},
    {Pattern::kBedrockLong, SecretType::kBedrockApiKey,
     R"(\b(ABSK[A-Za-z0-9+/]{109,269}={0,2})(?:[^A-Za-z0-9+/=]|$))"},
    {Pattern::kBedrockShort, SecretType::kBedrockApiKey,
     R"((bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%_-]*))"},
    // Provider tokens by their documented or widely scanned-for prefixes (gitleaks,
    // GitHub secret scanning): GitHub classic and fine-grained, GitLab, Slack,
    // OpenAI (the "T3BlbkFJ" marker), Anthropic, Hugging Face, Google API keys,
    // Stripe live keys.
    {Pattern::kProviderToken, SecretType::kApiToken,
     // Lengths are checked by the validator (token_length_ok): counted
     // repetitions of a few dozen would multiply the compiled set's size.
     R"(\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]+|github_pat_[A-Za-z0-9_]+|glpat-[A-Za-z0-9_-]+|xox[abprs]-[A-Za-z0-9-]+|sk-[A-Za-z0-9_-]*T3BlbkFJ[A-Za-z0-9_-]+|sk-ant-(?:api|admin)[0-9][0-9]-[A-Za-z0-9_-]+|hf_[A-Za-z]+|AIza[0-9A-Za-z_-]+|(?:sk|rk)_live_[A-Za-z0-9]+)(?:[^A-Za-z0-9_-]|$))"},
    {Pattern::kAwsKeyId, SecretType::kAwsAccessKeyId, R"(\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b)"},
    {Pattern::kJwt, SecretType::kJwt, R"(\b(ey[A-Za-z0-9_-]{10,}\.ey[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*))"},
    {Pattern::kGenericAssign, SecretType::kGenericSecret,
     R"((?i)(?:api[_-]?key|apikey|secret|token|password|passwd|pwd|credential|auth)[A-Za-z0-9_-]{0,20}\\?["']?\s{0,4}(?:=|:|=>|:=)\s{0,4}\\?["']?([A-Za-z0-9_\-./+=~!@#$%^&*?|]{12,256}))"},
    {Pattern::kGenericBearer, SecretType::kGenericSecret, R"((?i)\bbearer\s{1,4}([A-Za-z0-9_\-./+=~]{12,1000}))"},
    {Pattern::kCard, SecretType::kCreditCard, R"(\b(\d(?:[ -]?\d){11,18})\b)"},
    {Pattern::kSsn, SecretType::kUsSsn, R"(\b(\d{3}-\d{2}-\d{4})\b)"},
    {Pattern::kIban, SecretType::kIban, R"(\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b)"},
    {Pattern::kEmail, SecretType::kEmail,
     R"(\b([A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24})\b)"},
    {Pattern::kPhoneIntl, SecretType::kPhone,
     R"((?:^|[^0-9A-Za-z+])(\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5})\b)"},
    {Pattern::kPhoneNanp, SecretType::kPhone,
     R"((?:^|[^0-9A-Za-z+.-])(\(?[2-9]\d{2}\)?[ .-]?[2-9]\d{2}[ .-]\d{4})\b)"},
};

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
bool is_b64(char c) noexcept { return is_digit(c) || is_upper(c) || is_lower(c) || c == '+' || c == '/'; }

bool contains_ci(std::string_view hay, std::string_view needle) noexcept {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size()) {
      char a = hay[i + j];
      if (is_upper(a)) a = static_cast<char>(a - 'A' + 'a');
      if (a != needle[j]) break;
      ++j;
    }
    if (j == needle.size()) return true;
  }
  return false;
}

int b64url_value(char c) noexcept {
  if (is_upper(c)) return c - 'A';
  if (is_lower(c)) return c - 'a' + 26;
  if (is_digit(c)) return c - '0' + 52;
  if (c == '-' || c == '+') return 62;
  if (c == '_' || c == '/') return 63;
  return -1;
}

// Decodes base64url (or standard base64, no padding needed) into `out` up to
// `max_out` bytes. Returns false on an invalid character.
bool b64_decode(std::string_view in, char* out, std::size_t max_out, std::size_t& n_out) noexcept {
  n_out = 0;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = b64url_value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n_out >= max_out) return true;
      out[n_out++] = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return true;
}

struct Candidate {
  std::size_t offset;
  std::size_t length;
  SecretType type;
  bool example;
  std::size_t mask_prefix_len;  // private keys show their header instead of a prefix
};

// Issuer identification ranges and lengths for common card brands.
bool starts_in(std::string_view d, int digits, int lo, int hi) noexcept {
  if (d.size() < static_cast<std::size_t>(digits)) return false;
  int v = 0;
  for (int i = 0; i < digits; ++i) v = v * 10 + (d[static_cast<std::size_t>(i)] - '0');
  return v >= lo && v <= hi;
}

}  // namespace

std::string_view to_string(SecretType type) noexcept {
  const auto i = static_cast<std::size_t>(type);
  return i < kTypeNames.size() ? kTypeNames[i] : std::string_view("unknown");
}

bool parse_secret_type(std::string_view name, SecretType& out) noexcept {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) {
      out = static_cast<SecretType>(i);
      return true;
    }
  }
  return false;
}

Severity severity_for(SecretType type, Side side) noexcept {
  const auto i = static_cast<std::size_t>(type);
  if (i >= kSeverity.size()) return Severity::kLow;
  return kSeverity[i][side == Side::kOutput ? 1 : 0];
}

Severity severity_for(std::string_view type, Side side) noexcept {
  SecretType t{};
  return parse_secret_type(type, t) ? severity_for(t, side) : Severity::kLow;
}

std::string mask_secret(std::string_view value) {
  static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026
  const std::size_t n = value.size();
  std::size_t prefix = n >= 16 ? 4 : n >= 12 ? 2 : 0;
  std::size_t suffix = n >= 9 ? 4 : n >= 6 ? 2 : 0;
  auto is_cont = [&](std::size_t i) { return (static_cast<unsigned char>(value[i]) & 0xC0) == 0x80; };
  while (prefix > 0 && prefix < n && is_cont(prefix)) --prefix;
  std::size_t tail = n - suffix;
  while (tail < n && is_cont(tail)) ++tail;
  std::string out;
  out.reserve(prefix + kEllipsis.size() + (n - tail));
  out.append(value.substr(0, prefix));
  out.append(kEllipsis);
  out.append(value.substr(tail));
  return out;
}

double shannon_entropy(std::string_view value) noexcept {
  if (value.empty()) return 0.0;
  std::array<std::uint32_t, 256> counts{};
  for (unsigned char c : value) ++counts[c];
  double h = 0.0;
  const double n = static_cast<double>(value.size());
  for (std::uint32_t c : counts) {
    if (c == 0) continue;
    const double p = c / n;
    h -= p * std::log2(p);
  }
  return h;
}

bool luhn_valid(std::string_view digits) noexcept {
  if (digits.empty()) return false;
  int sum = 0;
  bool dbl = false;
  for (std::size_t i = digits.size(); i-- > 0;) {
    if (!is_digit(digits[i])) return false;
    int d = digits[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool card_iin_valid(std::string_view d) noexcept {
  const std::size_t n = d.size();
  if (n < 12 || n > 19) return false;
  if (d[0] == '4') return n == 13 || n == 16 || n == 19;                                  // Visa
  if (starts_in(d, 2, 51, 55) || starts_in(d, 4, 2221, 2720)) return n == 16;             // Mastercard
  if (starts_in(d, 2, 34, 34) || starts_in(d, 2, 37, 37)) return n == 15;                 // Amex
  if (starts_in(d, 4, 2200, 2204)) return n >= 16 && n <= 19;                              // Mir
  if (starts_in(d, 4, 6011, 6011) || starts_in(d, 3, 644, 649) || starts_in(d, 2, 65, 65))
    return n >= 16 && n <= 19;                                                              // Discover
  if (starts_in(d, 4, 3528, 3589)) return n >= 16 && n <= 19;                             // JCB
  if (starts_in(d, 3, 300, 305) || starts_in(d, 2, 36, 36) || starts_in(d, 2, 38, 39))
    return n >= 14 && n <= 19;                                                              // Diners
  if (starts_in(d, 2, 62, 62)) return n >= 16 && n <= 19;                                 // UnionPay
  if (starts_in(d, 2, 50, 50) || starts_in(d, 2, 56, 58) || starts_in(d, 2, 63, 63) ||
      starts_in(d, 2, 67, 67))
    return n >= 12 && n <= 19;                                                              // Maestro
  return false;
}

bool ssn_valid(std::string_view area, std::string_view group, std::string_view serial) noexcept {
  if (area.size() != 3 || group.size() != 2 || serial.size() != 4) return false;
  if (area == "000" || area == "666" || area[0] == '9') return false;
  if (group == "00" || serial == "0000") return false;
  // Well-known published or advertising numbers.
  const bool famous = (area == "078" && group == "05" && serial == "1120") ||
                      (area == "123" && group == "45" && serial == "6789") ||
                      (area == "219" && group == "09" && serial == "9999");
  if (famous) return false;
  // All the same digit (111-11-1111) is a placeholder.
  const char c = area[0];
  bool same = true;
  for (std::string_view part : {area, group, serial}) {
    for (char x : part) same = same && x == c;
  }
  return !same;
}

namespace {

// IBAN lengths per country (ISO 13616 registry, SWIFT IBAN registry).
struct IbanCountry {
  char code[3];
  std::uint8_t length;
};
constexpr IbanCountry kIbanCountries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24},
    {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SC", 31},
    {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24},
    {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
};

int iban_length(std::string_view country) noexcept {
  for (const auto& c : kIbanCountries) {
    if (country == std::string_view(c.code, 2)) return c.length;
  }
  return 0;
}

}  // namespace

bool iban_valid(std::string_view iban) noexcept {
  if (iban.size() < 15 || iban.size() > 34) return false;
  if (iban_length(iban.substr(0, 2)) != static_cast<int>(iban.size())) return false;
  if (!is_digit(iban[2]) || !is_digit(iban[3])) return false;
  int rem = 0;
  auto feed = [&](char c) -> bool {
    if (is_digit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (is_upper(c)) {
      const int v = c - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    } else {
      return false;
    }
    return true;
  };
  for (std::size_t i = 4; i < iban.size(); ++i) {
    if (!feed(iban[i])) return false;
  }
  for (std::size_t i = 0; i < 4; ++i) {
    if (!feed(iban[i])) return false;
  }
  return rem == 1;
}

bool jwt_header_valid(std::string_view header) {
  char buf[512];
  std::size_t n = 0;
  if (!b64_decode(header, buf, sizeof(buf), n) || n < 2) return false;
  std::string_view json(buf, n);
  std::size_t i = 0;
  while (i < json.size() && (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' || json[i] == '\t')) ++i;
  if (i >= json.size() || json[i] != '{') return false;
  return json.find("\"alg\"") != std::string_view::npos;
}

struct SecretScanner::Impl {
  RE2::Options options;
  std::unique_ptr<RE2::Set> set;
  /// The patterns a kCredentials scan runs (the set's index -> kPatterns index):
  /// the credential types and access key ids, whose matches also find AWS
  /// secrets near them and win overlaps against JWTs.
  std::unique_ptr<RE2::Set> credential_set;
  std::vector<int> credential_patterns;
  /// Each pattern's own regex, compiled on first use: a scan locates only the
  /// patterns the set matched, and a run needs few of them (compiling all
  /// was half of this constructor, a tenth of the start-up).
  mutable std::array<std::once_flag, std::size(kPatterns)> regex_once;
  mutable std::array<std::unique_ptr<RE2>, std::size(kPatterns)> regexes;

  const RE2& regex(std::size_t m) const {
    std::call_once(regex_once[m], [&] { regexes[m] = std::make_unique<RE2>(kPatterns[m].regex, options); });
    return *regexes[m];
  }

  Impl() {
    options.set_encoding(RE2::Options::EncodingLatin1);
    options.set_log_errors(false);
    options.set_max_mem(64 << 20);
    set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
    credential_set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
    for (std::size_t m = 0; m < std::size(kPatterns); ++m) {
      const PatternDef& def = kPatterns[m];
      std::string error;  // the set parses each pattern: a bad one fails here, not when compiled alone
      if (set->Add(def.regex, &error) < 0) throw Error("secrets: bad pattern: " + error);
      if (def.type <= SecretType::kJwt) {
        if (credential_set->Add(def.regex, &error) < 0) throw Error("secrets: bad pattern: " + error);
        credential_patterns.push_back(static_cast<int>(m));
      }
    }
    if (!set->Compile() || !credential_set->Compile())
      throw Error("secrets: cannot compile the pattern set");
  }

  void validate(Pattern id, SecretType type, std::string_view text, std::size_t off, std::size_t len,
                std::vector<Candidate>& out) const;
  void scan_secret_near(std::string_view text, std::size_t from, std::vector<Candidate>& out) const;
};

namespace {

bool aws_secret_ok(std::string_view v) noexcept {
  if (v.size() != 40) return false;
  bool all_hex = true;
  for (char c : v) {
    const bool hex = is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    all_hex = all_hex && hex;
  }
  if (all_hex) return false;  // a SHA-1 (git commit) or other hash
  return shannon_entropy(v) >= 4.25;
}

bool generic_ok(std::string_view v) noexcept {
  if (v.size() < 16) return false;
  int upper = 0, lower = 0, digit = 0, symbol = 0;
  for (char c : v) {
    if (is_upper(c)) ++upper;
    else if (is_lower(c)) ++lower;
    else if (is_digit(c)) ++digit;
    else ++symbol;
  }
  const int classes = (upper > 0) + (lower > 0) + (digit > 0) + (symbol > 0);
  if (classes < 3 || digit == 0) return false;
  const double need = std::min(3.5, 0.8 * std::log2(static_cast<double>(v.size())));
  if (shannon_entropy(v) < need) return false;
  for (std::string_view placeholder : {"example", "your", "xxxx", "placeholder", "changeme", "redacted",
                                       "dummy", "http", "${", "{{"}) {
    if (contains_ci(v, placeholder)) return false;
  }
  return true;
}

/// The documented (or widely scanned-for) length of each provider token.
bool token_length_ok(std::string_view v) noexcept {
  const std::size_t n = v.size();
  auto head = [&](std::string_view h) { return v.substr(0, h.size()) == h; };
  if (head("github_pat_")) return n == 93 && v[33] == '_';  // 11 + 22 + '_' + 59
  if (head("gh")) return n == 40;                           // ghp_ + 36
  if (head("glpat-")) return n >= 26 && n <= 70;
  if (head("xox")) return n >= 15 && n <= 125;
  if (head("sk-ant-")) return n >= 93 && n <= 140;
  if (head("sk-")) return n >= 43 && n <= 420;                // 16..200 on each side of T3BlbkFJ
  if (head("hf_")) return n == 37;
  if (head("AIza")) return n == 39;
  if (head("sk_live_") || head("rk_live_")) return n >= 32 && n <= 107;
  return false;
}

}  // namespace

void SecretScanner::Impl::scan_secret_near(std::string_view text, std::size_t from,
                                           std::vector<Candidate>& out) const {
  // Looks for a bounded 40-character base64 run within 200 bytes after a key id.
  const std::size_t end = std::min(text.size(), from + 200);
  std::size_t i = from;
  while (i < end) {
    if (!is_b64(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && is_b64(text[j])) ++j;
    const bool bounded = j >= text.size() || text[j] != '=';
    if (j - i == 40 && bounded && aws_secret_ok(text.substr(i, 40))) {
      out.push_back({i, 40, SecretType::kAwsSecretAccessKey, contains_ci(text.substr(i, 40), "examplekey"), 0});
      return;
    }
    i = j;
  }
}

void SecretScanner::Impl::validate(Pattern id, SecretType type, std::string_view text, std::size_t off,
                                   std::size_t len, std::vector<Candidate>& out) const {
  const std::string_view v = text.substr(off, len);
  switch (id) {
    case Pattern::kPrivateKey: {
      // Needs a body: at least 64 base64 characters before the next "-----".
      std::size_t i = off + len;
      std::size_t b64 = 0;
      std::size_t last_body = i;
      const std::size_t limit = std::min(text.size(), i + 16384);
      while (i < limit) {
        const char c = text[i];
        if (c == '-' && text.substr(i, 5) == "-----") break;
        if (is_b64(c) || c == '=') {
          ++b64;
          last_body = i + 1;
        } else if (!(c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ':' || c == ',' || c == '-' ||
                     c == '\\')) {
          break;
        }
        ++i;
      }
      if (b64 < 64) return;
      std::size_t end = last_body;
      if (text.substr(i, 8) == "-----END") {
        const std::size_t close = text.find("-----", i + 8);
        if (close != std::string_view::npos && close - i < 128) end = close + 5;
      }
      out.push_back({off, end - off, type, false, len});
      return;
    }
    case Pattern::kAwsSecretContext:
      if (aws_secret_ok(v)) out.push_back({off, len, type, contains_ci(v, "examplekey"), 0});
      return;
    case Pattern::kBedrockLong: {
      if (shannon_entropy(v) < 4.0) return;
      out.push_back({off, len, type, false, 0});
      return;
    }
    case Pattern::kBedrockShort:
      out.push_back({off, len, type, false, 0});
      return;
    case Pattern::kProviderToken: {
      if (!token_length_ok(v)) return;
      // Placeholders ("ghp_xxxx…", "xoxb-your-token-here") are not tokens.
      for (std::string_view placeholder : {"xxxx", "XXXX", "example", "your", "token-here", "0000"})
        if (contains_ci(v, placeholder)) return;
      if (shannon_entropy(v) < 3.5) return;
      out.push_back({off, len, type, false, 0});
      return;
    }
    case Pattern::kAwsKeyId: {
      if (shannon_entropy(v) < 3.0) return;
      const bool example = v.substr(13) == "EXAMPLE";
      out.push_back({off, len, type, example, 0});
      scan_secret_near(text, off + len, out);
      return;
    }
    case Pattern::kJwt: {
      const std::size_t dot = v.find('.');
      if (dot == std::string_view::npos || !jwt_header_valid(v.substr(0, dot))) return;
      out.push_back({off, len, type, false, 0});
      return;
    }
    case Pattern::kGenericAssign:
    case Pattern::kGenericBearer: {
      // A value cut by the length cap is part of something longer; skip it.
      if (off + len < text.size()) {
        const char next = text[off + len];
        if (is_b64(next) || next == '-' || next == '_' || next == '.') return;
      }
      std::string_view value = v;
      while (!value.empty() && (value.back() == '.' || value.back() == ',')) value.remove_suffix(1);
      if (generic_ok(value)) out.push_back({off, value.size(), type, false, 0});
      return;
    }
    case Pattern::kCard: {
      char digits[20];
      std::size_t nd = 0;
      char sep = 0;
      for (char c : v) {
        if (is_digit(c)) {
          if (nd >= sizeof(digits)) return;
          digits[nd++] = c;
        } else {
          if (sep != 0 && sep != c) return;  // mixed separators
          sep = c;
        }
      }
      const std::string_view d(digits, nd);
      if (nd < 13 || !luhn_valid(d) || !card_iin_valid(d)) return;
      out.push_back({off, len, type, false, 0});
      return;
    }
    case Pattern::kSsn:
      if (ssn_valid(v.substr(0, 3), v.substr(4, 2), v.substr(7, 4))) out.push_back({off, len, type, false, 0});
      return;
    case Pattern::kIban: {
      char compact[40];
      std::size_t n = 0;
      std::size_t orig_end[40];
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == ' ') continue;
        if (n >= sizeof(compact)) return;
        orig_end[n] = i + 1;
        compact[n++] = v[i];
      }
      const int want = iban_length(std::string_view(compact, 2));
      if (want == 0 || static_cast<std::size_t>(want) > n) return;
      // A longer match may carry a trailing word: cut at the country length
      // when that falls on a group boundary.
      const std::size_t cut = orig_end[want - 1];
      if (static_cast<std::size_t>(want) < n && v[cut] != ' ') return;
      if (iban_valid(std::string_view(compact, static_cast<std::size_t>(want)))) {
        out.push_back({off, cut, type, false, 0});
      }
      return;
    }
    case Pattern::kEmail:
      out.push_back({off, len, type, false, 0});
      return;
    case Pattern::kPhoneIntl:
    case Pattern::kPhoneNanp: {
      int digits = 0;
      int open = 0;
      for (char c : v) {
        digits += is_digit(c) ? 1 : 0;
        open += c == '(' ? 1 : c == ')' ? -1 : 0;
      }
      if (open != 0) return;
      if (id == Pattern::kPhoneIntl ? (digits < 8 || digits > 15) : digits != 10) return;
      out.push_back({off, len, type, false, 0});
      return;
    }
  }
}

SecretScanner::SecretScanner() : impl_(std::make_unique<Impl>()) {}
SecretScanner::~SecretScanner() = default;

const SecretScanner& SecretScanner::instance() {
  static const SecretScanner scanner;
  return scanner;
}

namespace {

bool ci_at(std::string_view t, std::size_t i, std::string_view lower_word) noexcept {
  if (t.size() - i < lower_word.size()) return false;
  for (std::size_t k = 0; k < lower_word.size(); ++k) {
    char a = t[i + k];
    if (is_upper(a)) a = static_cast<char>(a - 'A' + 'a');
    if (a != lower_word[k]) return false;
  }
  return true;
}

}  // namespace

namespace {

// Supersets of the prefilters' stop bytes among the 16 bytes at p, as bit
// masks (bit k: byte k); the tables then pick the stops out of them. Without
// SSE2 every byte is a candidate.
unsigned secret_stop_candidates(const char* p) noexcept {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  auto eq = [&](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
  auto bits = [](__m128i m) { return static_cast<unsigned>(_mm_movemask_epi8(m)); };
  // '+' .. 'A' (the punctuation, digits, '@' and 'A') in one unsigned range
  // test, less the bytes of that range no prefilter stops at (commas and
  // question marks of prose were most candidates).
  const __m128i off = _mm_sub_epi8(v, _mm_set1_epi8('+'));
  const __m128i range = _mm_cmpeq_epi8(_mm_min_epu8(off, _mm_set1_epi8('A' - '+')), off);
  const __m128i other = _mm_or_si128(_mm_or_si128(_mm_or_si128(eq(','), eq('/')), _mm_or_si128(eq(';'), eq('<'))),
                                     _mm_or_si128(_mm_or_si128(eq('>'), eq('?')), eq('.')));
  // '.' (".ey") and 'b' / 'B' ("bearer") only before an 'e' or 'E' (bit 15:
  // the next byte is not in the block).
  const unsigned e_next = (bits(_mm_or_si128(eq('e'), eq('E'))) >> 1) | 0x8000u;
  const unsigned before_e = bits(_mm_or_si128(eq('.'), _mm_or_si128(eq('b'), eq('B')))) & e_next;
  return (bits(_mm_andnot_si128(other, range)) | bits(eq('_')) | before_e) & 0xFFFFu;
#else
  (void)p;
  return 0xFFFF;
#endif
}
unsigned credential_stop_candidates(const char* p) noexcept {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  auto eq = [&](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
  const __m128i punct = _mm_or_si128(_mm_or_si128(eq('-'), eq('.')), _mm_or_si128(eq('='), eq(':')));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(punct, _mm_or_si128(eq('A'), eq('_')))));
#else
  (void)p;
  return 0xFFFF;
#endif
}

#if defined(AIIR_SECRETS_AVX512)
__attribute__((target("avx512f,avx512bw"))) inline std::uint64_t eq64(__m512i v, char c) noexcept {
  return _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(c));
}
// The two functions above for 64 bytes (bit k: byte k).
__attribute__((target("avx512f,avx512bw"))) std::uint64_t secret_stop_candidates64(const char* p) noexcept {
  const __m512i v = _mm512_loadu_si512(p);
  const std::uint64_t range =
      _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('+')), _mm512_set1_epi8('A' - '+'));
  const std::uint64_t other =
      eq64(v, ',') | eq64(v, '/') | eq64(v, ';') | eq64(v, '<') | eq64(v, '>') | eq64(v, '?') | eq64(v, '.');
  const std::uint64_t e_next = ((eq64(v, 'e') | eq64(v, 'E')) >> 1) | (std::uint64_t{1} << 63);
  const std::uint64_t before_e = (eq64(v, '.') | eq64(v, 'b') | eq64(v, 'B')) & e_next;
  return (range & ~other) | eq64(v, '_') | before_e;
}
__attribute__((target("avx512f,avx512bw"))) std::uint64_t credential_stop_candidates64(const char* p) noexcept {
  const __m512i v = _mm512_loadu_si512(p);
  return eq64(v, '-') | eq64(v, '.') | eq64(v, '=') | eq64(v, ':') | eq64(v, 'A') | eq64(v, '_');
}
#else
// No 64-byte walk (any_stop does not call these).
constexpr std::uint64_t (*secret_stop_candidates64)(const char*) noexcept = nullptr;
constexpr std::uint64_t (*credential_stop_candidates64)(const char*) noexcept = nullptr;
#endif

// Bytes the prefilters stop at; everything else (most letters, spaces) is skipped.
struct TriggerTable {
  bool stop[256] = {};
  explicit TriggerTable(std::string_view bytes, bool digits) {
    if (digits)
      for (int c = '0'; c <= '9'; ++c) stop[c] = true;
    for (unsigned char c : bytes) stop[c] = true;
  }
};
const TriggerTable kTriggers("@+-.=:AbB_", true);
const TriggerTable kCredentialTriggers("-.=:A_", false);

/// True when f(i) is true for a stop byte t[i] of `table` (called in
/// increasing i); `Candidates16` gives a superset of the table's stops in 16 bytes
/// (`Candidates64` in 64, with AVX-512BW). Texts
/// of 16 bytes or more are read a block at a time, their stops walked as bits
/// (the last block overlaps the one before it, whose bytes are shifted out):
/// the prefilters run on every text of the stage and every string of
/// CloudTrail requests, and a byte loop mispredicted at each stop.
template <unsigned (*Candidates16)(const char*) noexcept, std::uint64_t (*Candidates64)(const char*) noexcept,
          typename F>
bool any_stop(std::string_view t, const TriggerTable& table, F&& f) noexcept {
  const std::size_t n = t.size();
#if defined(AIIR_SECRETS_AVX512)
  // The same walk in 64-byte blocks (prompts and responses are mostly longer).
  if (n >= 64 && cpu_has_avx512()) {
    for (std::size_t b = 0; b < n; b += 64) {
      const std::size_t at = std::min(b, n - 64);
      for (std::uint64_t m = Candidates64(t.data() + at) >> (b - at); m != 0; m &= m - 1) {
        const std::size_t i = b + static_cast<std::size_t>(std::countr_zero(m));
        if (table.stop[static_cast<unsigned char>(t[i])] && f(i)) return true;
      }
    }
    return false;
  }
#endif
  if (n >= 16) {
    for (std::size_t b = 0; b < n; b += 16) {
      const std::size_t at = std::min(b, n - 16);
      for (unsigned m = Candidates16(t.data() + at) >> (b - at); m != 0; m &= m - 1) {
        const std::size_t i = b + static_cast<std::size_t>(std::countr_zero(m));
        if (table.stop[static_cast<unsigned char>(t[i])] && f(i)) return true;
      }
    }
    return false;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (table.stop[static_cast<unsigned char>(t[i])] && f(i)) return true;
  return false;
}

constexpr std::string_view kContextWords[] = {"secret", "api", "auth", "token", "passw", "pwd", "credential"};
// Every alternative of the AWS secret assignment pattern names a "secret".
constexpr std::string_view kCredentialContextWords[] = {"secret"};

/// A context word (case-insensitive) in the `window` bytes before `op`.
template <std::size_t N>
bool context_before(std::string_view t, std::size_t op, const std::string_view (&words)[N]) noexcept {
  constexpr std::size_t kWindow = 48;  // word (<= 10) + [A-Za-z0-9_-]{0,20} + quote, backslash + \s{0,4}
  const std::size_t from = op > kWindow ? op - kWindow : 0;
  for (std::size_t i = from; i < op; ++i) {
    for (std::string_view w : words)
      if (i + w.size() <= op && ci_at(t, i, w)) return true;
  }
  return false;
}

/// "-----BEGIN" or "bedrock-api-key-" around the '-' at `i`.
bool dash_trigger(std::string_view t, std::size_t i) noexcept {
  return t.substr(i, 10) == "-----BEGIN" || (i >= 7 && t.substr(i - 7, 16) == "bedrock-api-key-");
}

/// A Bedrock API key, access key id or Google API key head at `i` (an 'A').
bool key_head(std::string_view t, std::size_t i) noexcept {
  const std::string_view w = t.substr(i, 4);
  return w == "ABSK" || w == "AKIA" || w == "ASIA" || w == "ABIA" || w == "ACCA" || w == "AIza";
}

/// The word before the separator at `i` ends with `head`.
bool head_before(std::string_view t, std::size_t i, std::string_view head) noexcept {
  return i >= head.size() && t.substr(i - head.size(), head.size()) == head;
}

/// A provider token head ending at the '-' or '_' at `i` (kProviderToken).
bool token_head(std::string_view t, std::size_t i) noexcept {
  if (t[i] == '-')
    return head_before(t, i, "glpat") || head_before(t, i, "sk") || (i >= 4 && t.substr(i - 4, 3) == "xox");
  for (std::string_view h : {"ghp", "gho", "ghu", "ghs", "ghr", "github", "hf", "sk_live", "rk_live"})
    if (head_before(t, i, h)) return true;
  return false;
}

/// The triggers both prefilters share, at the stop byte t[i]: a private-key or
/// Bedrock-key dash, a JWT's ".ey", a key head, an assignment after one of `words`.
template <std::size_t N>
bool credential_trigger(std::string_view t, std::size_t i, const std::string_view (&words)[N]) noexcept {
  switch (t[i]) {
    case '-': {
      // One byte next to the dash first ("-----BEGIN", bedroc"k-", glpa"t-",
      // s"k-", "x"ox?-): most dashes join ids and names.
      const bool maybe = (i + 1 < t.size() && t[i + 1] == '-') || (i > 0 && (t[i - 1] == 'k' || t[i - 1] == 't')) ||
                         (i >= 4 && t[i - 4] == 'x');
      return maybe && (dash_trigger(t, i) || token_head(t, i));
    }
    case '_': return token_head(t, i);
    case '.': return i + 1 < t.size() && t[i + 1] == 'e' && t.substr(i, 3) == ".ey";
    case 'A': return key_head(t, i);
    case '=':
    case ':': return context_before(t, i, words);
    default: return false;
  }
}

}  // namespace

bool may_hold_secret(std::string_view t) noexcept {
  // A necessary condition for every pattern in kPatterns, in one pass that
  // skips ordinary letters: "-----BEGIN" (private key), "ABSK" / "AKIA" ...
  // (Bedrock and access keys), "bedrock-api-key-", ".ey" (JWT), "bearer",
  // "@" (email), "+<digit>" (phone), an '=' or ':' with a context word
  // ("secret", "api", "auth", "token", "passw", "pwd", "credential") in the
  // 48 bytes before it (AWS secret and generic assignments), an IBAN head (two
  // capitals and two digits), or 9+ digits separated by at most two of
  // " -.()" (cards, SSNs, NANP phones). Prose without any of these skips the
  // pattern set.
  const std::size_t n = t.size();
  int cluster = 0;
  std::size_t last_digit = 0;
  return any_stop<secret_stop_candidates, secret_stop_candidates64>(t, kTriggers, [&](std::size_t i) {
    const char c = t[i];
    if (is_digit(c)) {
      bool joined = false;
      if (cluster > 0 && i - last_digit <= 3) {
        joined = true;
        for (std::size_t k = last_digit + 1; k < i; ++k) {
          const char g = t[k];
          if (g != ' ' && g != '-' && g != '.' && g != '(' && g != ')') joined = false;
        }
      }
      cluster = joined ? cluster + 1 : 1;
      last_digit = i;
      if (cluster >= 9) return true;
      // IBAN head: two capitals, then this digit and the next.
      return i >= 2 && i + 1 < n && is_upper(t[i - 1]) && is_upper(t[i - 2]) && is_digit(t[i + 1]);
    }
    switch (c) {
      case '@': return true;
      case '+': return i + 1 < n && is_digit(t[i + 1]);
      case 'b':
      case 'B': return ci_at(t, i, "bearer");
      default: return credential_trigger(t, i, kContextWords);
    }
  });
}

bool may_hold_credential(std::string_view t) noexcept {
  // The necessary condition of may_hold_secret() restricted to the patterns a
  // kCredentials scan runs (Impl::credential_set).
  return any_stop<credential_stop_candidates, credential_stop_candidates64>(
      t, kCredentialTriggers, [&](std::size_t i) { return credential_trigger(t, i, kCredentialContextWords); });
}

void SecretScanner::scan(std::string_view text, std::vector<SecretHit>& out, Side side, Role role,
                         SecretScope scope) const {
  const bool credentials = scope == SecretScope::kCredentials;
  if (text.empty() || !(credentials ? may_hold_credential(text) : may_hold_secret(text))) return;
  std::vector<int> matched;
  if (!(credentials ? impl_->credential_set : impl_->set)->Match(text, &matched)) return;
  if (credentials)
    for (int& m : matched) m = impl_->credential_patterns[static_cast<std::size_t>(m)];
  std::sort(matched.begin(), matched.end());

  std::vector<Candidate> candidates;
  re2::StringPiece group[2];
  for (int m : matched) {
    const auto& def = kPatterns[static_cast<std::size_t>(m)];
    const RE2& re = impl_->regex(static_cast<std::size_t>(m));
    std::size_t pos = 0;
    while (pos <= text.size() &&
           re.Match(text, pos, text.size(), RE2::UNANCHORED, group, 2)) {
      const std::size_t whole_end = static_cast<std::size_t>(group[0].data() - text.data()) + group[0].size();
      if (group[1].data() != nullptr) {
        const auto off = static_cast<std::size_t>(group[1].data() - text.data());
        impl_->validate(def.id, def.type, text, off, group[1].size(), candidates);
      }
      // Advance past the match; an empty match still moves one byte.
      pos = whole_end > pos ? whole_end : pos + 1;
      // Patterns that consume the byte after the value may overlap the next value.
      if (whole_end > 0 && group[1].data() != nullptr &&
          static_cast<std::size_t>(group[1].data() - text.data()) + group[1].size() < whole_end) {
        pos = whole_end - 1;
      }
    }
  }
  if (candidates.empty()) return;

  // Resolve overlaps: the more specific type (lower enum value) wins, then the
  // earlier and longer one.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.type != b.type) return a.type < b.type;
    if (a.offset != b.offset) return a.offset < b.offset;
    return a.length > b.length;
  });
  std::vector<const Candidate*> kept;
  for (const auto& c : candidates) {
    bool overlaps = false;
    for (const Candidate* k : kept) {
      if (c.offset < k->offset + k->length && k->offset < c.offset + c.length) {
        overlaps = true;
        break;
      }
    }
    if (!overlaps) kept.push_back(&c);
  }
  std::sort(kept.begin(), kept.end(), [](const Candidate* a, const Candidate* b) { return a->offset < b->offset; });

  for (const Candidate* c : kept) {
    if (credentials && c->type == SecretType::kAwsAccessKeyId) continue;
    SecretHit hit;
    hit.type = std::string(to_string(c->type));
    const std::string_view value = text.substr(c->offset, c->length);
    if (c->mask_prefix_len > 0) {
      // Private key: show the header, then the last 4 characters of the body.
      std::string_view body = value.substr(c->mask_prefix_len);
      const std::size_t end_marker = body.find("-----END");
      if (end_marker != std::string_view::npos) body = body.substr(0, end_marker);
      while (!body.empty() && !is_b64(body.back()) && body.back() != '=') body.remove_suffix(1);
      hit.masked = std::string(value.substr(0, c->mask_prefix_len));
      hit.masked += "\xE2\x80\xA6";
      hit.masked += std::string(body.substr(body.size() >= 4 ? body.size() - 4 : 0));
    } else {
      hit.masked = mask_secret(value);
    }
    hit.side = side;
    hit.role = role;
    hit.example = c->example;
    hit.severity = c->example ? Severity::kInfo : severity_for(c->type, side);
    hit.offset = c->offset;
    hit.length = c->length;
    out.push_back(std::move(hit));
  }
}

void find_secrets(std::string_view text, std::vector<SecretHit>& out, Side side, Role role) {
  SecretScanner::instance().scan(text, out, side, role);
}

}  // namespace aiir::secrets
