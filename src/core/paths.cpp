// SPDX-License-Identifier: Apache-2.0
// Rules folder resolution.
#include "core/paths.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace aiir {

std::string find_rules_path(std::string_view rel) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("AIIR_RULES_DIR"); env != nullptr && *env != '\0') {
    candidates.emplace_back(fs::path(env) / rel);
  }
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.emplace_back(exe.parent_path() / ".." / "share" / "aiir" / "rules" / rel);
#ifdef AIIR_SOURCE_DIR
  candidates.emplace_back(fs::path(AIIR_SOURCE_DIR) / "rules" / rel);
#endif
  for (const fs::path& p : candidates) {
    if (fs::exists(p, ec)) return p.lexically_normal().string();
  }
  return {};
}

}  // namespace aiir
