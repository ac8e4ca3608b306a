// SPDX-License-Identifier: Apache-2.0
// Stable, platform-independent hashing for ids and deduplication keys.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace aiir::detail {

/// std::hash of a string_view, usable for heterogeneous lookup: an
/// unordered_map<std::string, T, StringHash, std::equal_to<>> finds by
/// string_view without building a std::string. For in-memory indexes only
/// (std::hash differs across platforms; ids use StableHash).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// FNV-1a 64 followed by a murmur-style finalizer: stable across runs and
/// platforms (never std::hash, whose values are implementation-defined).
class StableHash {
 public:
  StableHash& add(std::string_view text) noexcept {
    for (unsigned char c : text) {
      h_ ^= c;
      h_ *= 0x100000001b3ULL;
    }
    h_ ^= 0xff;  // field separator, so ("ab","c") != ("a","bc")
    h_ *= 0x100000001b3ULL;
    return *this;
  }
  StableHash& add(std::uint64_t value) noexcept {
    for (int i = 0; i < 8; ++i) {
      h_ ^= (value >> (8 * i)) & 0xff;
      h_ *= 0x100000001b3ULL;
    }
    return *this;
  }
  std::uint64_t value() const noexcept {
    std::uint64_t x = h_;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
  }
  std::string hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(16, '0');
    std::uint64_t v = value();
    for (int i = 15; i >= 0; --i) {
      out[static_cast<std::size_t>(i)] = kDigits[v & 0xf];
      v >>= 4;
    }
    return out;
  }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace aiir::detail
