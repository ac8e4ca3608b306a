// SPDX-License-Identifier: Apache-2.0
// Input discovery: recursive, sorted, loop-safe folder walk.
#include "source/discover.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "util/time.h"

namespace aiir {
namespace {

struct Walker {
  ReadStats& stats;
  std::vector<InputFile>& files;
  std::set<std::pair<dev_t, ino_t>> visited;

  void walk_dir(const std::string& dir, const struct stat& st) {
    if (!visited.insert({st.st_dev, st.st_ino}).second) {
      stats.warn(WarningKind::kSymlinkLoop, dir, "folder already visited (symlink loop); not walked again");
      return;
    }
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      stats.warn(WarningKind::kDirectoryFailed, dir, std::strerror(errno));
      return;
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::string path = dir;
      if (path.empty() || path.back() != '/') path += '/';
      path += name;
      visit(path);
    }
  }

  /// A zip archive's members are inputs of their own ("<archive>!/<name>"),
  /// read in place; an archive whose directory cannot be read is warned.
  void add_zip(const std::string& path) {
    std::vector<ZipMember> members;
    std::string error;
    if (!list_zip(path, members, error)) {
      stats.warn(WarningKind::kUnsupported, path,
                 fmt::format("zip archive not read: {}; extract it (unzip FILE -d DIR) and scan the folder", error));
      return;
    }
    for (ZipMember& m : members) {
      InputFile f;
      f.path = path + std::string(kZipMemberSeparator) + m.name;
      f.size = m.size;
      f.archive = path;
      f.member = std::move(m);
      files.push_back(std::move(f));
    }
  }

  void visit(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      // A dangling link or a file that vanished: say so, never skip silently.
      stats.warn(WarningKind::kOpenFailed, path, std::strerror(errno));
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      walk_dir(path, st);
    } else if (S_ISREG(st.st_mode)) {
      if (zip_file_name(path)) {
        add_zip(path);
        return;
      }
      files.push_back({path, static_cast<std::uint64_t>(st.st_size), false});
    } else {
      stats.warn(WarningKind::kOpenFailed, path, "not a regular file or folder");
    }
  }
};

}  // namespace

DiscoveryResult discover_inputs(const std::vector<std::string>& roots, ReadStats& stats) {
  DiscoveryResult result;
  Walker walker{stats, result.files, {}};
  bool want_stdin = false;
  for (const std::string& root : roots) {
    if (root == "-") {
      want_stdin = true;
      continue;
    }
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0) {
      if (::lstat(root.c_str(), &st) == 0) {
        walker.visit(root);  // dangling link: warned by visit
      } else {
        result.roots_missing.push_back(root);
      }
      continue;
    }
    walker.visit(root);
  }
  std::sort(result.files.begin(), result.files.end(),
            [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
  result.files.erase(std::unique(result.files.begin(), result.files.end(),
                                 [](const InputFile& a, const InputFile& b) { return a.path == b.path; }),
                     result.files.end());
  if (want_stdin) result.files.push_back({"-", 0, true});
  return result;
}

bool s3_key_date_ms(const std::string& path, std::int64_t& day_ms) {
  static constexpr std::string_view kMarkers[] = {"/CloudTrail/", "/CloudTrail-Insight/",
                                                  "/BedrockModelInvocationLogs/"};
  for (std::string_view marker : kMarkers) {
    std::size_t at = path.find(marker);
    if (at == std::string::npos) continue;
    // <marker><region>/YYYY/MM/DD/
    std::size_t region_end = path.find('/', at + marker.size());
    if (region_end == std::string::npos) return false;
    std::string_view rest = std::string_view(path).substr(region_end + 1);
    if (rest.size() < 11 || rest[4] != '/' || rest[7] != '/' || rest[10] != '/') return false;
    int y = 0, m = 0, d = 0;
    for (int i = 0; i < 4; ++i) {
      if (rest[i] < '0' || rest[i] > '9') return false;
      y = y * 10 + (rest[i] - '0');
    }
    for (int i = 5; i < 7; ++i) {
      if (rest[i] < '0' || rest[i] > '9') return false;
      m = m * 10 + (rest[i] - '0');
    }
    for (int i = 8; i < 10; ++i) {
      if (rest[i] < '0' || rest[i] > '9') return false;
      d = d * 10 + (rest[i] - '0');
    }
    if (m < 1 || m > 12 || d < 1 || d > 31) return false;
    day_ms = detail::days_from_civil(y, m, d) * 86400000LL;
    return true;
  }
  return false;
}

}  // namespace aiir
