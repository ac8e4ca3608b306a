// SPDX-License-Identifier: Apache-2.0
// The -o output folder: checks before the run, checked writes after it.
#include "scan/outputs.h"

#include <aiir/error.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "report/stats_writer.h"
#include "util/sha256.h"

namespace aiir {
namespace {

namespace fs = std::filesystem;

/// True when `inner` is `outer` or lies below it (both made absolute, symlinks resolved where they exist).
bool is_within(const fs::path& inner, const fs::path& outer) {
  std::error_code ec;
  fs::path a = fs::weakly_canonical(fs::absolute(inner, ec), ec);
  fs::path b = fs::weakly_canonical(fs::absolute(outer, ec), ec);
  if (ec) return false;
  auto ai = a.begin();
  for (auto bi = b.begin(); bi != b.end(); ++bi, ++ai) {
    if (bi->empty()) continue;  // trailing separator
    if (ai == a.end() || *ai != *bi) return false;
  }
  return true;
}

}  // namespace

void prepare_output_dir(const std::string& dir, bool force, const std::vector<std::string>& input_paths) {
  std::error_code ec;
  for (const std::string& in : input_paths) {
    if (in == "-") continue;
    bool clash = fs::is_directory(in, ec) && is_within(dir, in);
    for (std::string_view name : {kReportMdName, kReportJsonName, kFindingsJsonlName, kManifestName})
      clash = clash || (!fs::is_directory(in, ec) && is_within(in, fs::path(dir) / std::string(name)));
    if (clash)
      throw Error(fmt::format("-o {}: the output would be written into the input {}; write it outside the evidence",
                              terminal_safe(dir), terminal_safe(in)));
  }
  fs::file_status st = fs::status(dir, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st)) throw Error(fmt::format("-o {}: exists and is not a folder", terminal_safe(dir)));
    if (!fs::is_empty(dir, ec) && !force)
      throw Error(fmt::format("-o {}: the folder exists and is not empty; choose a new folder or add --force "
                              "(which overwrites the report and manifest files in it)",
                              terminal_safe(dir)));
    if (ec) throw Error(fmt::format("-o {}: {}", terminal_safe(dir), ec.message()));
    return;
  }
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("-o {}: cannot create the folder: {}", terminal_safe(dir), ec.message()));
}

bool write_output_file(const std::string& path, std::string_view bytes, std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) {
      error = "short write";
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  // Delayed allocation can report ENOSPC only at fsync/close (NFS, some file
  // systems); a character device cannot be synced (EINVAL), which is not an error.
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
    error = std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (::close(fd) != 0) {
    error = std::strerror(errno);
    return false;
  }
  return true;
}

void write_scan_outputs(const std::string& dir, const Report& report, Manifest& manifest) {
  auto write_one = [&](std::string_view name, const std::string& bytes) {
    std::string path = (fs::path(dir) / std::string(name)).string();
    std::string error;
    if (!write_output_file(path, bytes, error))
      throw Error(fmt::format("-o: cannot write {}: {}", terminal_safe(path), error));
    manifest.outputs.push_back({std::string(name), bytes.size(), sha256_hex(bytes)});
  };
  manifest.outputs.clear();
  write_one(kReportMdName, format_report_markdown(report));
  write_one(kReportJsonName, format_report_json(report));
  write_one(kFindingsJsonlName, format_findings_jsonl(report));
  std::string text = format_manifest_json(manifest);
  std::string path = (fs::path(dir) / std::string(kManifestName)).string();
  std::string error;
  if (!write_output_file(path, text, error))
    throw Error(fmt::format("-o: cannot write {}: {}", terminal_safe(path), error));
}

}  // namespace aiir
