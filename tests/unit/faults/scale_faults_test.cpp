// SPDX-License-Identifier: Apache-2.0
// Fault tests at scale: a folder of 100,000 tiny files and a 2 GB single file.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <string>

#include "fault_support.h"
#include "pipeline/pipeline.h"
#include "source/discover.h"
#include "support/files.h"

using namespace aiir;
using aiir::testing::CollectSink;
using aiir::testing::ct_line;
using aiir::testing::TempDir;
using aiir::testing::warned;

TEST_CASE("100,000 tiny files: every one accounted for", "[faults][.slow]") {
  constexpr int kFiles = 100000;
  TempDir dir;
  // 100 folders of 1,000 files; every 10th is damaged, every 100th empty.
  for (int d = 0; d < 100; ++d) {
    std::string folder = dir.file(std::to_string(d));
    REQUIRE(::mkdir(folder.c_str(), 0755) == 0);
    for (int f = 0; f < 1000; ++f) {
      int n = d * 1000 + f;
      std::string body = n % 100 == 0 ? "" : n % 10 == 0 ? "{\"Records\":[" : ct_line("e" + std::to_string(n));
      std::string path = folder + "/" + std::to_string(f) + ".json";
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      REQUIRE(fd >= 0);
      REQUIRE(::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()));
      ::close(fd);
    }
  }
  ReadStats listing;
  DiscoveryResult found = discover_inputs({dir.path()}, listing);
  REQUIRE(found.files.size() == kFiles);
  PipelineOptions options;
  options.threads = 2;
  CollectSink sink;
  ReadStats s = run_pipeline(found.files, options, sink);
  CHECK(s.files_total == kFiles);
  CHECK(s.files.size() == kFiles);
  CHECK(sink.ids.size() == 90000);
  CHECK(s.events_total() == 90000);
  CHECK(s.files_by_shape[static_cast<std::size_t>(FileShape::kMarker)] == 1000);       // empty
  CHECK(s.files_by_shape[static_cast<std::size_t>(FileShape::kUnreadable)] == 9000);   // "{\"Records\":["
  CHECK(s.files_by_shape[static_cast<std::size_t>(FileShape::kSingleRecord)] == 90000);
  CHECK(s.files_failed == 9000);
  // Order is by path whatever the threads did.
  for (std::size_t i = 1; i < s.files.size(); ++i) REQUIRE(s.files[i - 1].path < s.files[i].path);
}

namespace {

/// Runs `fn` in a child process and returns its exit status.
template <class Fn>
int in_child(Fn fn) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(fn());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// A "VmRSS:"-style line of /proc/self/status, in KiB (-1 if absent).
long status_kib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + key.size());
  return -1;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

}  // namespace

TEST_CASE("a 2 GB file: over-cap warning with the default cap, never 2 GB in memory", "[faults]") {
  TempDir dir;
  std::string path = dir.file("huge.json");
  constexpr off_t kSize = off_t{2} << 30;  // sparse: costs no disk
  {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, kSize) == 0);  // all zeros: binary, so only the reader's memory is measured
    ::close(fd);
  }
  PipelineOptions options;  // default cap: 1 GiB
  options.threads = 1;
  REQUIRE(options.max_file_bytes < static_cast<std::uint64_t>(kSize));
  std::string rss_file = dir.file("rss");
  int status = in_child([&] {
    // Outside sanitizers, cap the address space too: allocating 2 GB must fail the run.
    if (!kAsan) {
      struct rlimit lim {};
      ::getrlimit(RLIMIT_AS, &lim);
      struct rlimit want {std::uint64_t{1800} << 20, lim.rlim_max};
      if (::setrlimit(RLIMIT_AS, &want) != 0) return 10;
    }
    std::ofstream("/proc/self/clear_refs") << "5";  // reset the peak RSS (VmHWM) to now
    long start_kib = status_kib("VmRSS:");
    try {
      ReadStats listing;
      DiscoveryResult found = discover_inputs({path}, listing);
      if (found.files.size() != 1 || found.files[0].size != static_cast<std::uint64_t>(kSize)) return 11;
      CollectSink sink;
      ReadStats s = run_pipeline(found.files, options, sink);
      std::ofstream(rss_file) << status_kib("VmHWM:") - start_kib;
      if (warned(s, WarningKind::kOverCap) != 1) return 12;
      if (s.files_failed != 1) return 13;
      if (s.files[0].size != options.max_file_bytes) return 14;  // read up to the cap, not further
      if (!sink.ids.empty()) return 15;
      if (s.files[0].shape != FileShape::kUnrecognised) return 16;  // read, and found to be binary
      return 0;
    } catch (const std::bad_alloc&) {
      return 20;
    }
  });
  CHECK(status == 0);
  long grew_kib = -1;
  std::ifstream(rss_file) >> grew_kib;
  // The cap (1 GiB) and change, never the file's 2 GB.
  CHECK(grew_kib > 0);
  CHECK(grew_kib < (1536L << 10));
  WARN("peak RSS growth reading the 2 GB file: " << grew_kib / 1024 << " MiB");
}
