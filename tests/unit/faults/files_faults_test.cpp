// SPDX-License-Identifier: Apache-2.0
// Fault tests for reading: files that change between discovery and reading,
// symlink loops, dangling links, FIFOs, read errors, many files, a huge file.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "fault_support.h"
#include "pipeline/pipeline.h"
#include "source/discover.h"
#include "support/files.h"

using namespace aiir;
using aiir::testing::CollectSink;
using aiir::testing::ct_line;
using aiir::testing::has_warning;
using aiir::testing::skipped;
using aiir::testing::TempDir;
using aiir::testing::warned;

namespace {

PipelineOptions one_thread() {
  PipelineOptions o;
  o.threads = 1;
  return o;
}

std::vector<InputFile> discover(const std::string& root, ReadStats& stats) {
  DiscoveryResult d = discover_inputs({root}, stats);
  REQUIRE(d.roots_missing.empty());
  return d.files;
}

}  // namespace

TEST_CASE("a file truncated between discovery and reading: records before the cut, warned", "[faults]") {
  TempDir dir;
  std::string body = "{\"Records\":[" + ct_line("e1") + "," + ct_line("e2") + "," + ct_line("e3") + "]}";
  std::string path = dir.write("a.json", body);
  ReadStats listing;
  auto files = discover(dir.path(), listing);
  REQUIRE(files.size() == 1);
  REQUIRE(files[0].size == body.size());
  // Cut in the middle of the third record.
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(body.size() - 40)) == 0);
  CollectSink sink;
  ReadStats s = run_pipeline(files, one_thread(), sink);
  CHECK(sink.ids == std::vector<std::string>{"e1", "e2"});
  CHECK(s.files_total == 1);
  CHECK(s.files_failed == 1);
  CHECK(has_warning(s, WarningKind::kReadFailed, path));     // size changed since listing
  CHECK(warned(s, WarningKind::kTruncatedJson) == 1);        // the cut record
  CHECK(skipped(s, SkipReason::kTruncated) == 1);
  REQUIRE(s.files.size() == 1);
  CHECK(s.files[0].size == body.size() - 40);  // what was actually read
}

TEST_CASE("a file truncated to nothing, deleted or replaced after discovery", "[faults]") {
  TempDir dir;
  std::string a = dir.write("a.json", ct_line("a1"));
  std::string b = dir.write("b.json", ct_line("b1"));
  std::string c = dir.write("c.json", ct_line("c1"));
  std::string d = dir.write("d.json", ct_line("d1"));
  ReadStats listing;
  auto files = discover(dir.path(), listing);
  REQUIRE(files.size() == 4);
  REQUIRE(::truncate(a.c_str(), 0) == 0);
  std::filesystem::remove(b);
  // Replaced by rename (what a sync tool does): new content, other size.
  std::string c_new = dir.write("c.tmp", "{\"Records\":[" + ct_line("c2") + "," + ct_line("c3") + "]}");
  std::filesystem::rename(c_new, c);
  CollectSink sink;
  ReadStats s = run_pipeline(files, one_thread(), sink);
  CHECK(sink.ids == std::vector<std::string>{"c2", "c3", "d1"});
  CHECK(s.files_total == 4);
  CHECK(s.files_failed == 3);  // a, b, c; d is untouched
  CHECK(has_warning(s, WarningKind::kReadFailed, a));
  CHECK(has_warning(s, WarningKind::kOpenFailed, b));
  CHECK(has_warning(s, WarningKind::kReadFailed, c));
  CHECK_FALSE(has_warning(s, WarningKind::kReadFailed, d));
  CHECK(s.files[1].shape == FileShape::kUnreadable);
}

TEST_CASE("a file replaced by a FIFO after discovery is refused, never blocks", "[faults]") {
  TempDir dir;
  std::string path = dir.write("a.json", ct_line("e1"));
  std::string other = dir.write("b.json", ct_line("e2"));
  ReadStats listing;
  auto files = discover(dir.path(), listing);
  REQUIRE(files.size() == 2);
  std::filesystem::remove(path);
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);  // nobody will ever write to it
  CollectSink sink;
  ReadStats s = run_pipeline(files, one_thread(), sink);
  CHECK(sink.ids == std::vector<std::string>{"e2"});
  CHECK(has_warning(s, WarningKind::kOpenFailed, path));
  CHECK(s.files_failed == 1);
}

TEST_CASE("symlink loops: a folder linked into itself and a link to itself", "[faults]") {
  TempDir dir;
  dir.write("logs/a.json", ct_line("e1"));
  std::filesystem::create_directory_symlink("..", dir.file("logs/up"));   // logs/up -> dir (contains logs)
  std::filesystem::create_symlink("self", dir.file("logs/self"));         // ELOOP on stat
  ReadStats stats;
  DiscoveryResult d = discover_inputs({dir.path()}, stats);
  // a.json is found twice through links (logs/a.json, logs/up/logs/a.json is not walked: loop).
  REQUIRE(d.files.size() == 1);
  CHECK(d.files[0].path == dir.file("logs/a.json"));
  CHECK(warned(stats, WarningKind::kSymlinkLoop) >= 1);
  CHECK(has_warning(stats, WarningKind::kOpenFailed, dir.file("logs/self")));
  CollectSink sink;
  ReadStats s = run_pipeline(d.files, one_thread(), sink);
  CHECK(sink.ids == std::vector<std::string>{"e1"});
}

TEST_CASE("dangling symlinks, FIFOs and sockets are warned with their path, never opened", "[faults]") {
  TempDir dir;
  dir.write("ok.json", ct_line("e1"));
  std::filesystem::create_symlink(dir.file("gone.json"), dir.file("dangling.json"));
  REQUIRE(::mkfifo(dir.file("pipe.json").c_str(), 0600) == 0);
  ReadStats stats;
  DiscoveryResult d = discover_inputs({dir.path(), dir.file("dangling.json")}, stats);
  REQUIRE(d.files.size() == 1);
  CHECK(has_warning(stats, WarningKind::kOpenFailed, dir.file("dangling.json")));
  CHECK(has_warning(stats, WarningKind::kOpenFailed, dir.file("pipe.json")));
  CHECK(d.roots_missing.empty());  // a dangling root is warned, not "missing"
}

TEST_CASE("a read error (EIO from /proc/self/mem) is a counted warning", "[faults]") {
  // Runs as root in CI, so chmod 000 does not stop a read: /proc/self/mem
  // opens as a regular file and fails on read at offset 0.
  std::vector<InputFile> files{{"/proc/self/mem", 0, false}};
  CollectSink sink;
  ReadStats s = run_pipeline(files, one_thread(), sink);
  CHECK(sink.ids.empty());
  CHECK(s.files_failed == 1);
  CHECK(has_warning(s, WarningKind::kReadFailed, "/proc/self/mem"));
  REQUIRE(s.files.size() == 1);
  CHECK(s.files[0].shape == FileShape::kUnreadable);
}
