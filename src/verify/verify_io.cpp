// SPDX-License-Identifier: Apache-2.0
// File walking and multi-member gunzip for `aiir verify` (until the source module provides them).
#include <aiir/error.h>
#include <libdeflate.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>

#include "verify/verify.h"

namespace aiir::detail {

namespace fs = std::filesystem;

std::vector<std::string> list_input_files(const std::vector<std::string>& paths,
                                          std::vector<VerifyProblem>& errors) {
  std::vector<std::string> files;
  for (const auto& root : paths) {
    std::error_code ec;
    const fs::file_status status = fs::status(root, ec);
    if (ec || !fs::exists(status)) throw Error(root + ": no such file or directory");
    if (fs::is_regular_file(status)) {
      files.push_back(fs::weakly_canonical(root, ec).string());
      continue;
    }
    if (!fs::is_directory(status)) {
      errors.push_back({root, "not a regular file or directory"});
      continue;
    }
    // Directory symlinks are not followed, so a link loop cannot recurse.
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      errors.push_back({root, "cannot list: " + ec.message()});
      continue;
    }
    for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
      if (ec) {
        errors.push_back({it->path().string(), "cannot list: " + ec.message()});
        ec.clear();
        continue;
      }
      std::error_code fec;
      if (it->is_regular_file(fec)) files.push_back(fs::weakly_canonical(it->path(), fec).string());
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

InflateStatus gunzip_all(std::string_view in, std::string& out, std::uint64_t cap) {
  out.clear();
  struct Free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  std::unique_ptr<libdeflate_decompressor, Free> dec(libdeflate_alloc_decompressor());
  if (!dec) return InflateStatus::kCorrupt;
  const auto* base = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t pos = 0;
  // First guess for a member's size: the ISIZE trailer of the last member
  // (exact for single-member files), at least 4x the compressed size.
  std::size_t room = in.size() * 4;
  if (in.size() >= 4) {
    const std::size_t isize = std::size_t{base[in.size() - 4]} | std::size_t{base[in.size() - 3]} << 8 |
                              std::size_t{base[in.size() - 2]} << 16 |
                              std::size_t{base[in.size() - 1]} << 24;
    room = std::max(room, isize);
  }
  room = std::max<std::size_t>(room, 4096);
  while (pos < in.size()) {
    if (in.size() - pos < 18 || base[pos] != 0x1f || base[pos + 1] != 0x8b) {
      const bool padding = std::all_of(in.begin() + static_cast<std::ptrdiff_t>(pos), in.end(),
                                       [](char c) { return c == 0; });
      return padding && pos > 0 ? InflateStatus::kOk : InflateStatus::kCorrupt;
    }
    for (;;) {
      const std::size_t old = out.size();
      if (old >= cap) return InflateStatus::kOverCap;
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(cap - old, room));
      out.resize(old + want);
      std::size_t in_used = 0, out_used = 0;
      const libdeflate_result r = libdeflate_gzip_decompress_ex(
          dec.get(), base + pos, in.size() - pos, out.data() + old, want, &in_used, &out_used);
      if (r == LIBDEFLATE_SUCCESS) {
        out.resize(old + out_used);
        pos += in_used;
        break;
      }
      out.resize(old);
      if (r != LIBDEFLATE_INSUFFICIENT_SPACE) return InflateStatus::kCorrupt;
      if (old + want >= cap) return InflateStatus::kOverCap;
      room *= 2;
    }
  }
  return InflateStatus::kOk;
}

std::string_view key_suffix(std::string_view key) noexcept {
  constexpr std::string_view kMarker = "AWSLogs/";
  std::size_t at = key.rfind(kMarker);
  while (at != std::string_view::npos && at != 0 && key[at - 1] != '/') {
    at = key.rfind(kMarker, at - 1);
  }
  return at == std::string_view::npos ? std::string_view{} : key.substr(at);
}

}  // namespace aiir::detail
