// SPDX-License-Identifier: Apache-2.0
// Documents and images in invocation requests: type sniffing by magic bytes,
// size, SHA-256 and flags for executables, scripts, archives and EICAR.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "content/extract.h"

namespace aiir::content {

/// File type by magic bytes.
enum class FileType : std::uint8_t {
  kUnknown, kText, kPdf, kPng, kJpeg, kGif, kWebp, kZip, kOle2, kElf, kPe, kMachO, kScript, kGzip
};
std::string_view to_string(FileType type) noexcept;

/// What is known of one attachment. Bytes are never kept.
struct AttachmentInfo {
  AttachmentRef ref;              ///< where it was found (views into the record)
  bool have_bytes = false;        ///< inline bytes decoded (false: S3 only or bad base64)
  std::size_t size = 0;           ///< decoded size in bytes
  std::string sha256;             ///< lowercase hex, empty without bytes
  FileType type = FileType::kUnknown;
  bool executable = false;        ///< ELF, PE, Mach-O
  bool script = false;            ///< shebang
  bool archive = false;           ///< ZIP/Office, gzip
  bool eicar = false;             ///< contains the EICAR test string
  bool active_pdf = false;        ///< PDF with /JavaScript, /OpenAction, /Launch or /EmbeddedFile
  bool type_mismatch = false;     ///< declared format disagrees with the magic bytes
  /// Anything a responder must look at: executable, script, archive, EICAR, active PDF.
  bool flagged() const noexcept { return executable || script || archive || eicar || active_pdf; }
};

/// Sniffs the type of decoded bytes.
FileType sniff_file_type(std::span<const std::uint8_t> bytes) noexcept;
/// True if `bytes` contain the EICAR anti-virus test string.
bool contains_eicar(std::string_view bytes) noexcept;
/// Lowercase hex SHA-256 (OpenSSL EVP).
std::string sha256_hex(std::string_view bytes);

/// Analyses decoded bytes. `declared` is the Converse format or media type.
void analyze_attachment_bytes(std::string_view bytes, std::string_view declared, AttachmentInfo& out);
/// Decodes the reference's inline base64 (into `scratch`) and analyses it;
/// S3-only references get no bytes (resolve them with S3ObjectIndex).
AttachmentInfo analyze_attachment(const AttachmentRef& ref, std::string& scratch);

}  // namespace aiir::content
