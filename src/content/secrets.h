// SPDX-License-Identifier: Apache-2.0
// Secrets and PII detection in prompt and response text (one RE2::Set pass plus validators).
#pragma once

#include <aiir/finding.h>

#include "content/content.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aiir::secrets {

/// Direction and role are the content module's (content/extract.h): kInput is
/// a request (prompt, tool input, CloudTrail request parameters), kOutput a
/// response (completion, tool output).
using content::Role;
using content::Side;
/// One secret or PII value found in a piece of text (content/content.h). Never
/// holds the full value.
using content::SecretHit;

/// The kinds of secret and PII this module knows. Stable names via to_string().
enum class SecretType : std::uint8_t {
  kPrivateKey,
  kAwsSecretAccessKey,
  kBedrockApiKey,
  kApiToken,  ///< provider tokens with a fixed prefix: GitHub, GitLab, Slack, OpenAI, Anthropic, Hugging Face, Google, Stripe
  kAwsAccessKeyId,
  kJwt,
  kGenericSecret,
  kCreditCard,
  kUsSsn,
  kIban,
  kEmail,
  kPhone,
};
inline constexpr int kSecretTypeCount = 12;

/// `private_key`, `aws_secret_access_key`, `bedrock_api_key`, `api_token`, `aws_access_key_id`,
/// `jwt`, `generic_secret`, `credit_card`, `us_ssn`, `iban`, `email`, `phone`.
std::string_view to_string(SecretType type) noexcept;
/// Parses a name produced by to_string(); false for an unknown name.
bool parse_secret_type(std::string_view name, SecretType& out) noexcept;


/// Severity of a secret type by direction: a secret the model emitted (response)
/// is worse than one a user pasted in (request). Example values are kInfo.
Severity severity_for(SecretType type, Side side) noexcept;
/// Same, by type name; unknown names give kLow.
Severity severity_for(std::string_view type, Side side) noexcept;

/// Masks a secret for display: a short prefix, "…" (U+2026) and the last 4
/// characters ("AKIA…WXYZ"). Shorter values keep less; the whole value is never
/// returned (values of 4 bytes or less become "…"). Never cuts a UTF-8 sequence.
std::string mask_secret(std::string_view value);

/// Shannon entropy in bits per byte of `value` (0 for empty).
double shannon_entropy(std::string_view value) noexcept;

/// Validators, exposed for tests and for other modules (CloudTrail parameters).
bool luhn_valid(std::string_view digits) noexcept;          ///< digits only
bool card_iin_valid(std::string_view digits) noexcept;      ///< issuer range and length
bool ssn_valid(std::string_view area, std::string_view group, std::string_view serial) noexcept;
bool iban_valid(std::string_view iban_no_spaces) noexcept;  ///< country length and mod-97
bool jwt_header_valid(std::string_view header_b64url);      ///< decodes to a JSON object with "alg"

/// What a scan looks for. kCredentials: only values that are a credential by
/// their form alone (private_key, aws_secret_access_key, bedrock_api_key, api_token, jwt):
/// no access key ids (they name keys), no generic assignments, no PII. Used
/// where identifiers and names far outnumber secrets (CloudTrail request
/// parameters); its hits are exactly kAll's hits of those four types.
enum class SecretScope : std::uint8_t { kAll, kCredentials };

/// A cheap necessary condition for any secret or PII pattern to match (one
/// pass, no allocation): false means scan() would find nothing. Exposed for tests.
bool may_hold_secret(std::string_view text) noexcept;
/// The same for SecretScope::kCredentials (fewer triggers: no digits, '@',
/// '+' or "bearer"; only "secret" as the context word of an assignment).
bool may_hold_credential(std::string_view text) noexcept;

/// The compiled pattern set. Build once (setup; may throw aiir::Error), share
/// read-only between threads: scanning is const and thread-safe.
class SecretScanner {
 public:
  SecretScanner();
  ~SecretScanner();
  SecretScanner(const SecretScanner&) = delete;
  SecretScanner& operator=(const SecretScanner&) = delete;

  /// Appends the hits found in `text` to `out` (ordered by offset; overlapping
  /// candidates resolved in favour of the more specific type). Linear time in
  /// the text size; does not throw.
  void scan(std::string_view text, std::vector<SecretHit>& out, Side side = Side::kInput,
            Role role = Role::kUser, SecretScope scope = SecretScope::kAll) const;

  /// The process-wide scanner (built on first use, thread-safe).
  static const SecretScanner& instance();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Convenience: SecretScanner::instance().scan(text, out, side, role).
void find_secrets(std::string_view text, std::vector<SecretHit>& out, Side side = Side::kInput,
                  Role role = Role::kUser);

}  // namespace aiir::secrets
