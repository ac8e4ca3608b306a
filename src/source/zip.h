// SPDX-License-Identifier: Apache-2.0
// Reading log files inside zip archives in place (exports are often handed
// over zipped): the central directory is listed at discovery, and each member
// is read, inflated and CRC-checked on its own when the pipeline reaches it.
// The archive is opened read-only and never extracted to disk.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct libdeflate_decompressor;

namespace aiir {

class PaddedBuffer;

/// One file of a zip archive, from its central directory.
struct ZipMember {
  std::string name;                 ///< as stored (forward slashes)
  std::uint64_t header_offset = 0;  ///< of its local file header
  std::uint64_t compressed = 0;
  std::uint64_t size = 0;           ///< uncompressed
  std::uint32_t crc = 0;
  std::uint16_t method = 0;         ///< 0 stored, 8 deflate; others are refused when read
  bool encrypted = false;
};

/// Members of the zip archive at `path` (zip64 included), directories left
/// out, at most `max_members`. False with `error` when the file is not a zip
/// archive whose central directory can be read.
bool list_zip(const std::string& path, std::vector<ZipMember>& out, std::string& error,
              std::size_t max_members = 1000000);

/// Reads member `m` of the archive at `path` into `out` (uncompressed, padded),
/// refusing members larger than `cap`. False with `error` on any problem
/// (unsupported method, encryption, damage, CRC mismatch).
bool read_zip_member(const std::string& path, const ZipMember& m, std::uint64_t cap,
                     libdeflate_decompressor* inflater, PaddedBuffer& out, std::string& error);

/// True for a path whose name ends in `.zip` (any case): discovery reads those as archives.
inline bool zip_file_name(std::string_view path) noexcept {
  if (path.size() < 4) return false;
  const std::string_view ext = path.substr(path.size() - 4);
  return ext[0] == '.' && (ext[1] | 0x20) == 'z' && (ext[2] | 0x20) == 'i' && (ext[3] | 0x20) == 'p';
}

/// The separator between an archive's path and a member's name in input paths:
/// `export.zip!/AWSLogs/...`.
inline constexpr std::string_view kZipMemberSeparator = "!/";

}  // namespace aiir
