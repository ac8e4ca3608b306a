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
  bool have_bytes = false;        ///< bytes analysed: inline bytes decoded, or the S3 object read
  bool from_s3 = false;           ///< the bytes are the exported `data/` object of `ref.s3_uri`
  bool s3_missing = false;        ///< an S3-only reference whose object is not in the export
  /// The S3 object is larger than the read cap: only its first bytes were
  /// sniffed and read; `size` is the object's size and there is no SHA-256.
  bool cut = false;
  std::size_t size = 0;           ///< decoded size in bytes
  std::string sha256;             ///< lowercase hex, empty without (all the) bytes
  FileType type = FileType::kUnknown;
  bool executable = false;        ///< ELF, PE, Mach-O
  bool script = false;            ///< shebang
  bool archive = false;           ///< ZIP/Office, gzip
  bool eicar = false;             ///< contains the EICAR test string
  bool active_pdf = false;        ///< PDF with /JavaScript, /OpenAction, /Launch or /EmbeddedFile
  bool type_mismatch = false;     ///< declared format disagrees with the magic bytes
  /// The document's name ends in an executable file extension (`.exe`,
  /// `.dll`, `.scr`, `.msi`, ...; executable_file_name), whatever the bytes.
  bool executable_name = false;
  /// Text read from the bytes (PDF text operators, plain-text documents) and
  /// scanned as user request text; `text_partial` when a limit left some out.
  std::size_t text_bytes = 0;
  bool text_partial = false;
  /// Anything a responder must look at: executable (by bytes or name), script, archive, EICAR, active PDF.
  bool flagged() const noexcept { return executable || script || archive || eicar || active_pdf || executable_name; }
};

/// True when `name` ends in the extension of a Windows or Java executable or
/// installer (.exe .dll .scr .msi .pif .cpl .hta .lnk .jar .apk, any case; a
/// trailing dot or space is ignored). Scripts and source files (.js, .py,
/// .sh) are not: they are sent to models for review every day.
bool executable_file_name(std::string_view name) noexcept;

/// Sniffs the type of decoded bytes.
FileType sniff_file_type(std::span<const std::uint8_t> bytes) noexcept;
/// True if `bytes` contain the EICAR anti-virus test string.
bool contains_eicar(std::string_view bytes) noexcept;
/// Lowercase hex SHA-256 (OpenSSL EVP).
std::string sha256_hex(std::string_view bytes);

/// Analyses decoded bytes. `declared` is the Converse format or media type.
void analyze_attachment_bytes(std::string_view bytes, std::string_view declared, AttachmentInfo& out);
/// Decodes the reference's inline base64 (into `scratch`) and analyses it;
/// S3-only references get no bytes here (ContentAnalyzer reads their exported
/// object through S3ObjectIndex and calls analyze_attachment_bytes).
AttachmentInfo analyze_attachment(const AttachmentRef& ref, std::string& scratch);

}  // namespace aiir::content
