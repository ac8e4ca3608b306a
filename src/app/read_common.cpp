// SPDX-License-Identifier: Apache-2.0
// What every reading command does before and after the pipeline.
#include <aiir/error.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "app/commands.h"
#include "report/stats_writer.h"
#include "util/time.h"

namespace aiir {

PreparedRead prepare_read(const ReadOptions& options) {
  PreparedRead p;
  p.pipeline.threads = options.threads;
  p.pipeline.max_file_bytes = options.max_file_bytes;
  if (!options.from.empty() && !parse_rfc3339(options.from, p.pipeline.from_ms))
    throw Error(fmt::format("--from: '{}' is not an RFC 3339 time (e.g. 2026-03-10T00:00:00Z)", options.from));
  if (!options.to.empty() && !parse_rfc3339(options.to, p.pipeline.to_ms))
    throw Error(fmt::format("--to: '{}' is not an RFC 3339 time (e.g. 2026-03-12T23:59:59+01:00)", options.to));
  if (p.pipeline.from_ms > p.pipeline.to_ms) throw Error("--from is later than --to");
  p.pipeline.progress = !options.quiet && ::isatty(2);
  if (options.paths.empty()) throw Error("no input: give files, folders or - for stdin");
  p.inputs = discover_inputs(options.paths, p.discovery_stats);
  if (!p.inputs.roots_missing.empty())
    throw Error(fmt::format("no such file or folder: {}", terminal_safe(p.inputs.roots_missing.front())));
  return p;
}

void merge_discovery(PreparedRead& prepared, ReadStats& stats) {
  for (auto& w : prepared.discovery_stats.warnings) {
    ++stats.warnings_by_kind[static_cast<std::size_t>(w.kind)];
    stats.warnings.push_back(std::move(w));
    ++stats.files_failed;
  }
  prepared.discovery_stats.warnings.clear();
}

int finish_read(const ReadOptions& options, PreparedRead& prepared, ReadStats& stats) {
  merge_discovery(prepared, stats);
  if (!options.quiet) {
    std::string summary = format_read_summary(stats);
    std::fputs(summary.c_str(), stderr);
  }
  if (!options.stats_file.empty()) {
    std::ofstream out(options.stats_file, std::ios::binary | std::ios::trunc);
    out << format_read_stats_json(stats);
    if (!out) throw Error(fmt::format("--stats: cannot write {}", options.stats_file));
  }
  if (stats.events_total() == 0) {
    std::fputs(fmt::format("aiir: no events found in {} file(s){}\n", stats.files_total,
                           stats.files_skipped_window ? " (some files lie outside --from/--to)" : "")
                   .c_str(),
               stderr);
    return kExitUsage;
  }
  return stats.files_failed > 0 ? kExitPartial : kExitOk;
}

}  // namespace aiir
