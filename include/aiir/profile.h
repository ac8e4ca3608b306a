// SPDX-License-Identifier: Apache-2.0
/// The environment profile (`--profile env.yaml`): the designed access
/// patterns that let analyzers tell the expected from the unexpected.
/// Documented with a full example in docs/profile.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiir {

/// An application role (or user) and what it is designed to do.
struct AppPrincipal {
  std::string arn;                       ///< role or user ARN; "*" and "?" wildcards allowed
  std::vector<std::string> allowed_actions;  ///< "service:Action" patterns, e.g. "bedrock:InvokeModel", "s3:Get*"
};

/// A resource holding private data.
struct PrivateResource {
  std::string kind;   ///< "s3", "dynamodb", "rds", "secretsmanager", "ssm"
  std::string name;   ///< bucket, bucket/prefix, table, db identifier, secret id, parameter name (wildcards allowed)
};

struct Profile {
  bool loaded = false;                    ///< false when no --profile was given
  std::string source;                     ///< path of the profile file
  std::vector<std::string> accounts;
  std::vector<std::string> regions;       ///< expected regions
  std::vector<std::string> known_cidrs;   ///< corporate / known egress ranges
  std::vector<std::string> known_user_agents;  ///< substrings
  std::vector<AppPrincipal> app_principals;    ///< the AI application's roles
  std::vector<std::string> expected_models;    ///< model ids or families ("anthropic.claude-3-haiku*")
  std::vector<std::string> kb_buckets;         ///< S3 buckets backing knowledge bases
  std::vector<PrivateResource> private_resources;
  std::vector<std::string> admin_principals;   ///< principals expected to change infrastructure
  std::int64_t incident_start_ms = 0;          ///< 0: not set
  std::int64_t incident_end_ms = 0;
  std::int64_t baseline_until_ms = 0;          ///< end of the "normal" period; 0: inferred
  std::vector<std::string> bad_access_keys;
  std::vector<std::string> bad_ips;            ///< IPs or CIDRs
  std::vector<std::string> bad_principals;
  /// Values for Sigma `|expand` placeholders: name -> values.
  std::vector<std::pair<std::string, std::vector<std::string>>> placeholders;
};

/// Loads a profile from YAML. Throws aiir::Error naming file:line on a bad file.
Profile load_profile(const std::string& path);

/// True when `text` matches `pattern` with `*` and `?` wildcards, ASCII case-insensitive.
bool wildcard_match(std::string_view pattern, std::string_view text) noexcept;

/// True when `ip` (IPv4 or IPv6 literal, lenient about leading zeros) lies in `cidr`.
/// A bare address is treated as a /32 or /128.
bool ip_in_cidr(std::string_view ip, std::string_view cidr) noexcept;

}  // namespace aiir
