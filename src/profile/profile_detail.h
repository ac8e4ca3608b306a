// SPDX-License-Identifier: Apache-2.0
// Helpers of the profile loader that other modules and tests may reuse.
#pragma once

#include <cstdint>
#include <string_view>

namespace aiir::detail {

/// True when `cidr` is an IPv4/IPv6 address or an `addr/len` range that ip_in_cidr accepts.
bool is_valid_cidr(std::string_view cidr) noexcept;

/// Parses an RFC 3339 time (`Z` or `+hh:mm` offset, optional fraction) into UTC epoch ms.
bool parse_rfc3339_ms(std::string_view text, std::int64_t& out_ms) noexcept;

}  // namespace aiir::detail
