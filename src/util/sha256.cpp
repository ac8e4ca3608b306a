// SPDX-License-Identifier: Apache-2.0
// SHA-256 via OpenSSL EVP: used for the evidence manifest and CloudTrail digest validation.
#include "util/sha256.h"

#include <aiir/error.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "util/open_evidence.h"

namespace aiir {

namespace {
EVP_MD_CTX* as_ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }
}  // namespace

Sha256::Sha256() {
  ctx_ = EVP_MD_CTX_new();
  if (ctx_ == nullptr) throw Error("libcrypto: cannot allocate a digest context");
  reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(as_ctx(ctx_)); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(as_ctx(ctx_));
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void Sha256::reset() {
  if (EVP_DigestInit_ex(as_ctx(ctx_), EVP_sha256(), nullptr) != 1) {
    throw Error("libcrypto: SHA-256 is not available");
  }
}

void Sha256::update(const void* data, std::size_t size) {
  if (size != 0) EVP_DigestUpdate(as_ctx(ctx_), data, size);
}

void Sha256::update(std::string_view bytes) { update(bytes.data(), bytes.size()); }

Sha256::Digest Sha256::final() {
  Digest digest{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(as_ctx(ctx_), digest.data(), &len);
  return digest;
}

std::string Sha256::final_hex() { return to_hex(final()); }

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xF];
  }
  return out;
}

std::string to_hex(const Sha256::Digest& digest) {
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.final_hex();
}

std::string sha256_file_hex(const std::filesystem::path& path, std::error_code& ec) {
  ec.clear();
  const int fd = open_evidence(path.string());
  if (fd < 0) {
    ec.assign(errno, std::generic_category());
    return {};
  }
  Sha256 h;
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      ec.assign(errno, std::generic_category());
      ::close(fd);
      return {};
    }
    if (got == 0) break;
    h.update(buf.data(), static_cast<std::size_t>(got));
  }
  ::close(fd);
  return h.final_hex();
}

std::string sha256_file_hex(const std::filesystem::path& path) {
  std::error_code ec;
  std::string hex = sha256_file_hex(path, ec);
  if (ec) throw Error(path.string() + ": cannot hash: " + ec.message());
  return hex;
}

}  // namespace aiir
