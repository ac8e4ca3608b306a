// SPDX-License-Identifier: Apache-2.0
// SHA-256 through OpenSSL's libcrypto (EVP): one-shot, streaming, and over a file as stored.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace aiir {

/// Streaming SHA-256. update() any number of times, then final() once.
/// Not copyable (owns an EVP_MD_CTX); movable.
class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  /// Throws aiir::Error if libcrypto cannot provide SHA-256 (broken install).
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  void update(const void* data, std::size_t size);
  /// Finishes the hash; the object can be reused after reset().
  Digest final();
  /// final() as 64 lowercase hex characters.
  std::string final_hex();
  /// Starts a new hash.
  void reset();

 private:
  void* ctx_ = nullptr;  // EVP_MD_CTX*, kept opaque so callers need no OpenSSL headers
};

/// Lowercase hex of `bytes`.
std::string to_hex(std::string_view bytes);
/// Lowercase hex of a digest.
std::string to_hex(const Sha256::Digest& digest);

/// SHA-256 of `bytes`, 64 lowercase hex characters.
std::string sha256_hex(std::string_view bytes);

/// SHA-256 of the file's bytes as stored (a .gz file is hashed compressed).
/// Opens read-only (with O_NOATIME when permitted, so evidence access times are
/// not touched) and never writes. On failure returns "" and sets `ec`.
std::string sha256_file_hex(const std::filesystem::path& path, std::error_code& ec);
/// As above; throws aiir::Error naming the path on failure.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace aiir
