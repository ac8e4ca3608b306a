// SPDX-License-Identifier: Apache-2.0
// Attachment sniffing, hashing and flags (invocation.md §3.1).
#include "content/attachments.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "content/normalize_text.h"

namespace aiir::content {

std::string_view to_string(FileType type) noexcept {
  switch (type) {
    case FileType::kUnknown: return "unknown";
    case FileType::kText: return "text";
    case FileType::kPdf: return "pdf";
    case FileType::kPng: return "png";
    case FileType::kJpeg: return "jpeg";
    case FileType::kGif: return "gif";
    case FileType::kWebp: return "webp";
    case FileType::kZip: return "zip";
    case FileType::kOle2: return "ole2";
    case FileType::kElf: return "elf";
    case FileType::kPe: return "pe";
    case FileType::kMachO: return "macho";
    case FileType::kScript: return "script";
    case FileType::kGzip: return "gzip";
  }
  return "unknown";
}

namespace {
bool starts(std::span<const std::uint8_t> b, std::initializer_list<std::uint8_t> magic) {
  if (b.size() < magic.size()) return false;
  return std::equal(magic.begin(), magic.end(), b.begin());
}
std::string_view as_view(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Declared Converse format / MIME type -> expected type (kUnknown: no opinion).
FileType declared_type(std::string_view d) {
  std::string low;
  for (char c : d) low.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  std::size_t slash = low.find('/');
  std::string_view f = slash == std::string::npos ? std::string_view(low) : std::string_view(low).substr(slash + 1);
  if (f == "png") return FileType::kPng;
  if (f == "jpeg" || f == "jpg") return FileType::kJpeg;
  if (f == "gif") return FileType::kGif;
  if (f == "webp") return FileType::kWebp;
  if (f == "pdf") return FileType::kPdf;
  if (f == "docx" || f == "xlsx" || f == "pptx") return FileType::kZip;
  if (f == "doc" || f == "xls") return FileType::kOle2;
  if (f == "txt" || f == "md" || f == "csv" || f == "html" || f == "plain" || f == "markdown") return FileType::kText;
  return FileType::kUnknown;
}
}  // namespace

FileType sniff_file_type(std::span<const std::uint8_t> b) noexcept {
  if (b.empty()) return FileType::kUnknown;
  if (starts(b, {'%', 'P', 'D', 'F', '-'})) return FileType::kPdf;
  if (starts(b, {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) return FileType::kPng;
  if (starts(b, {0xFF, 0xD8, 0xFF})) return FileType::kJpeg;
  if (starts(b, {'G', 'I', 'F', '8'})) return FileType::kGif;
  if (b.size() >= 12 && starts(b, {'R', 'I', 'F', 'F'}) && std::memcmp(b.data() + 8, "WEBP", 4) == 0)
    return FileType::kWebp;
  if (starts(b, {'P', 'K', 0x03, 0x04}) || starts(b, {'P', 'K', 0x05, 0x06})) return FileType::kZip;
  if (starts(b, {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})) return FileType::kOle2;
  if (starts(b, {0x7F, 'E', 'L', 'F'})) return FileType::kElf;
  if (starts(b, {'M', 'Z'})) return FileType::kPe;
  if (starts(b, {0xFE, 0xED, 0xFA, 0xCE}) || starts(b, {0xFE, 0xED, 0xFA, 0xCF}) ||
      starts(b, {0xCE, 0xFA, 0xED, 0xFE}) || starts(b, {0xCF, 0xFA, 0xED, 0xFE}) ||
      starts(b, {0xCA, 0xFE, 0xBA, 0xBE}))
    return FileType::kMachO;
  if (starts(b, {'#', '!'})) return FileType::kScript;
  if (starts(b, {0x1F, 0x8B})) return FileType::kGzip;
  std::string_view head = as_view(b.first(std::min<std::size_t>(b.size(), 512)));
  // Cut at a UTF-8 boundary so a sliced multibyte char does not fail the check.
  std::size_t n = head.size();
  while (n > 0 && n < b.size() && (static_cast<unsigned char>(head[n]) & 0xC0) == 0x80) --n;
  if (detail::printable_ratio(head.substr(0, n)) >= 0.9) return FileType::kText;
  return FileType::kUnknown;
}

bool contains_eicar(std::string_view bytes) noexcept {
  // Found by its 'V' (find() stops at every 'E', a capital common in prose),
  // then compared whole; every piece of every record is searched.
  static constexpr std::string_view kEicar = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE";
  constexpr std::size_t kV = kEicar.find('V');
  for (std::size_t v = bytes.find('V', kV); v != std::string_view::npos; v = bytes.find('V', v + 1))
    if (bytes.substr(v - kV, kEicar.size()) == kEicar) return true;
  return false;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

void analyze_attachment_bytes(std::string_view bytes, std::string_view declared, AttachmentInfo& out) {
  out.have_bytes = true;
  out.size = bytes.size();
  out.sha256 = sha256_hex(bytes);
  std::span<const std::uint8_t> b(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  out.type = sniff_file_type(b);
  out.executable = out.type == FileType::kElf || out.type == FileType::kPe || out.type == FileType::kMachO;
  out.script = out.type == FileType::kScript;
  out.archive = out.type == FileType::kZip || out.type == FileType::kGzip;
  out.eicar = contains_eicar(bytes);
  if (out.type == FileType::kPdf) {
    for (std::string_view key : {"/JavaScript", "/OpenAction", "/Launch", "/EmbeddedFile"})
      if (bytes.find(key) != std::string_view::npos) out.active_pdf = true;
  }
  FileType want = declared_type(declared);
  if (want != FileType::kUnknown && out.type != FileType::kUnknown && want != out.type) {
    // Office formats are ZIP/OLE2; plain text declared but binary found is a mismatch.
    out.type_mismatch = true;
  }
}

bool executable_file_name(std::string_view name) noexcept {
  while (!name.empty() && (name.back() == '.' || name.back() == ' ')) name.remove_suffix(1);
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || name.size() - dot > 5) return false;
  char ext[5] = {};
  std::size_t n = 0;
  for (char c : name.substr(dot + 1)) ext[n++] = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const std::string_view e(ext, n);
  for (std::string_view x : {"exe", "dll", "scr", "msi", "pif", "cpl", "hta", "lnk", "jar", "apk"})
    if (e == x) return true;
  return false;
}

AttachmentInfo analyze_attachment(const AttachmentRef& ref, std::string& scratch) {
  AttachmentInfo info;
  info.ref = ref;
  info.executable_name = executable_file_name(ref.name);
  if (ref.base64.empty()) return info;
  if (!detail::decode_base64(ref.base64, scratch)) return info;
  analyze_attachment_bytes(scratch, ref.declared_format, info);
  return info;
}

}  // namespace aiir::content
