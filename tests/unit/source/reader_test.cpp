// SPDX-License-Identifier: Apache-2.0
// File reading, gzip, discovery.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <filesystem>

#include "source/discover.h"
#include "source/reader.h"
#include "support/files.h"

using aiir::FileReader;
using aiir::ReadStats;
using aiir::WarningKind;
using aiir::testing::gzip;
using aiir::testing::TempDir;

namespace {
std::uint64_t warned(const ReadStats& s, WarningKind k) { return s.warnings_by_kind[static_cast<std::size_t>(k)]; }
}  // namespace

TEST_CASE("gzip is detected by magic bytes, whatever the name; all members inflate", "[source]") {
  TempDir dir;
  std::string a = "{\"a\":1}\n", b = "{\"b\":2}\n";
  auto plain_named_gz = dir.write("plain.json.gz", a);
  auto gz_named_json = dir.write("x.json", gzip(a));
  auto multi = dir.write("multi.gz", gzip(a) + gzip(b));
  FileReader reader(1 << 20);
  ReadStats stats;
  auto r1 = reader.read(plain_named_gz, false, stats);
  CHECK(r1.ok);
  CHECK_FALSE(r1.compressed);
  CHECK(r1.text == a);
  auto r2 = reader.read(gz_named_json, false, stats);
  CHECK(r2.compressed);
  CHECK(r2.text == a);
  auto r3 = reader.read(multi, false, stats);
  CHECK(r3.text == a + b);
  CHECK(stats.warnings.empty());
}

TEST_CASE("truncated and corrupt gzip keep what inflated, with a warning", "[source]") {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "{\"eventVersion\":\"1.08\",\"n\":" + std::to_string(i) + "}\n";
  std::string gz = gzip(text);
  auto truncated = dir.write("t.gz", gz.substr(0, gz.size() / 2));
  std::string corrupt_bytes = gz;
  corrupt_bytes[corrupt_bytes.size() / 2] ^= 0x55;
  auto corrupt = dir.write("c.gz", corrupt_bytes);
  FileReader reader(1 << 26);
  ReadStats stats;
  auto r = reader.read(truncated, false, stats);
  CHECK(r.ok);
  CHECK(r.text.size() > 0);
  CHECK(r.text.size() < text.size());
  CHECK(text.compare(0, r.text.size(), r.text) == 0);  // a true prefix
  CHECK(warned(stats, WarningKind::kGzipCorrupt) == 1);
  auto c = reader.read(corrupt, false, stats);
  CHECK(c.ok);
  CHECK(warned(stats, WarningKind::kGzipCorrupt) == 2);
}

TEST_CASE("inflated size is capped per file (gzip bombs)", "[source]") {
  TempDir dir;
  std::string zeros(8 << 20, ' ');
  auto bomb = dir.write("bomb.gz", gzip(zeros, 12));
  FileReader small(1 << 20);
  ReadStats stats;
  auto r = small.read(bomb, false, stats);
  CHECK(r.text.size() <= (1u << 20));
  CHECK(warned(stats, WarningKind::kOverCap) == 1);
  FileReader large(16 << 20);
  ReadStats stats2;
  auto r2 = large.read(bomb, false, stats2);
  CHECK(r2.text.size() == zeros.size());
  CHECK(stats2.warnings.empty());
}

TEST_CASE("unreadable files are warnings naming the path", "[source]") {
  FileReader reader(1 << 20);
  ReadStats stats;
  auto r = reader.read("/nonexistent/aiir/file.json", false, stats);
  CHECK_FALSE(r.ok);
  REQUIRE(warned(stats, WarningKind::kOpenFailed) == 1);
  CHECK(stats.warnings[0].path == "/nonexistent/aiir/file.json");
  // /proc/self/mem opens but fails to read at offset 0 (EIO), even for root.
  ReadStats stats2;
  auto m = reader.read("/proc/self/mem", false, stats2);
  CHECK(stats2.warnings.size() == 1);
  (void)m;
}

TEST_CASE("files of one folder in a row, then of another, then missing from a folder read before", "[source]") {
  // The reader opens files relative to the previous file's folder.
  TempDir dir;
  auto a1 = dir.write("a/1.json", "1"), a2 = dir.write("a/2.json", "2"), b1 = dir.write("b/1.json", "3");
  FileReader reader(1 << 20);
  ReadStats stats;
  CHECK(reader.read(a1, false, stats).text == "1");
  CHECK(reader.read(a2, false, stats).text == "2");
  CHECK(reader.read(b1, false, stats).text == "3");
  CHECK_FALSE(reader.read(dir.file("b/2.json"), false, stats).ok);
  CHECK(reader.read(a1, false, stats).text == "1");
  CHECK_FALSE(reader.read(dir.file("c/1.json"), false, stats).ok);
  CHECK(reader.read(b1, false, stats).text == "3");
  CHECK(warned(stats, WarningKind::kOpenFailed) == 2);
}

TEST_CASE("discovery: recursive, sorted by path, loop-safe, missing roots reported", "[source]") {
  TempDir dir;
  dir.write("b/2.json", "{}");
  dir.write("a/z.json", "{}");
  dir.write("a/sub/1.json", "{}");
  dir.write("c.json", "{}");
  std::filesystem::create_directory_symlink(dir.path(), dir.file("a/sub/loop"));
  ReadStats stats;
  auto found = aiir::discover_inputs({dir.path(), dir.file("c.json"), dir.file("missing")}, stats);
  REQUIRE(found.files.size() == 4);
  CHECK(found.files[0].path == dir.file("a/sub/1.json"));
  CHECK(found.files[1].path == dir.file("a/z.json"));
  CHECK(found.files[2].path == dir.file("b/2.json"));
  CHECK(found.files[3].path == dir.file("c.json"));
  REQUIRE(found.roots_missing.size() == 1);
  CHECK(warned(stats, WarningKind::kSymlinkLoop) == 1);
}

TEST_CASE("S3 key dates", "[source]") {
  std::int64_t day = 0;
  REQUIRE(aiir::s3_key_date_ms(
      "x/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/10/111122223333_CloudTrail_us-east-1_20260310T1005Z_abc.json.gz",
      day));
  CHECK(day == 1773100800000);
  REQUIRE(aiir::s3_key_date_ms("AWSLogs/1/BedrockModelInvocationLogs/us-east-1/2026/03/11/10/x.json.gz", day));
  CHECK(day == 1773187200000);
  CHECK_FALSE(aiir::s3_key_date_ms("logs/2026/03/10/x.json", day));
}
