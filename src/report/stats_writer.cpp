// SPDX-License-Identifier: Apache-2.0
// Reading summary writers.
#include "report/stats_writer.h"

#include <fmt/format.h>

#include "report/json_out.h"
#include "util/escape.h"
#include "util/time.h"

namespace aiir {

std::string terminal_safe(std::string_view text) {
  std::string out;
  append_terminal(out, text);
  return out;
}

std::string format_read_summary(const ReadStats& s) {
  std::string o;
  double mb = static_cast<double>(s.bytes_inflated) / 1e6;
  o += fmt::format("aiir: read {} file(s), {:.1f} MB stored, {:.1f} MB inflated, in {:.2f}s ({:.1f} MB/s)\n",
                   s.files_total, static_cast<double>(s.bytes_read) / 1e6, mb, s.seconds,
                   s.seconds > 0 ? mb / s.seconds : 0.0);
  std::string shapes;
  for (int i = 0; i < kFileShapeCount; ++i) {
    if (s.files_by_shape[static_cast<std::size_t>(i)] == 0) continue;
    if (!shapes.empty()) shapes += ", ";
    shapes += fmt::format("{} {}", s.files_by_shape[static_cast<std::size_t>(i)], to_string(static_cast<FileShape>(i)));
  }
  if (s.files_skipped_window) shapes += fmt::format("{}{} outside --from/--to (not opened)", shapes.empty() ? "" : ", ", s.files_skipped_window);
  if (!shapes.empty()) o += fmt::format("  files: {}\n", shapes);
  std::string kinds;
  for (int i = 0; i < 4; ++i) {
    if (s.events_by_kind[static_cast<std::size_t>(i)] == 0) continue;
    if (!kinds.empty()) kinds += ", ";
    kinds += fmt::format("{} {}", s.events_by_kind[static_cast<std::size_t>(i)], to_string(static_cast<EventKind>(i)));
  }
  o += fmt::format("  events: {}{}\n", s.events_total(), kinds.empty() ? "" : fmt::format(" ({})", kinds));
  if (s.seconds > 0 && s.events_total() > 0)
    o += fmt::format("  throughput: {:.0f} records/s\n", static_cast<double>(s.events_total()) / s.seconds);
  for (int i = 0; i < kSkipReasonCount; ++i) {
    std::uint64_t n = s.skipped_by_reason[static_cast<std::size_t>(i)];
    if (n == 0) continue;
    o += fmt::format("  skipped {}: {}", to_string(static_cast<SkipReason>(i)), n);
    const auto& ex = s.skip_examples[static_cast<std::size_t>(i)];
    for (std::size_t k = 0; k < ex.size() && k < 3; ++k) {
      o += fmt::format("{} {}:{}", k == 0 ? "  e.g." : ",", terminal_safe(ex[k].path), ex[k].position);
    }
    o += '\n';
  }
  for (const auto& [account, regions] : s.time_ranges) {
    for (const auto& [region, range] : regions) {
      o += fmt::format("  range {} {}: {} .. {}\n", account.empty() ? "-" : terminal_safe(account),
                       region.empty() ? "-" : terminal_safe(region), format_time(range.first), format_time(range.second));
    }
  }
  if (!s.warnings.empty()) {
    o += fmt::format("  warnings: {} (files with problems: {})\n", s.warnings.size(), s.files_failed);
    std::size_t shown = 0;
    for (const Warning& w : s.warnings) {
      if (shown++ == 20) {
        o += fmt::format("    ... {} more (see --stats)\n", s.warnings.size() - 20);
        break;
      }
      o += fmt::format("    {}: {}: {}\n", to_string(w.kind), terminal_safe(w.path), terminal_safe(w.detail));
    }
  }
  return o;
}

std::string format_read_stats_json(const ReadStats& s) {
  std::string out;
  JsonOut j(out);
  j.begin_object();
  j.key("schema").str("aiir.stats/1");
  j.key("files_total").unum(s.files_total);
  j.key("files_failed").unum(s.files_failed);
  j.key("files_skipped_window").unum(s.files_skipped_window);
  j.key("bytes_read").unum(s.bytes_read);
  j.key("bytes_inflated").unum(s.bytes_inflated);
  j.key("seconds").dbl(s.seconds);
  j.key("files_by_shape").begin_object();
  for (int i = 0; i < kFileShapeCount; ++i)
    if (s.files_by_shape[static_cast<std::size_t>(i)])
      j.key(to_string(static_cast<FileShape>(i))).unum(s.files_by_shape[static_cast<std::size_t>(i)]);
  j.end_object();
  j.key("events_by_kind").begin_object();
  for (int i = 0; i < 4; ++i)
    j.key(to_string(static_cast<EventKind>(i))).unum(s.events_by_kind[static_cast<std::size_t>(i)]);
  j.end_object();
  j.key("events_total").unum(s.events_total());
  j.key("skipped").begin_object();
  for (int i = 0; i < kSkipReasonCount; ++i) {
    std::uint64_t n = s.skipped_by_reason[static_cast<std::size_t>(i)];
    if (n == 0) continue;
    j.key(to_string(static_cast<SkipReason>(i))).begin_object();
    j.key("count").unum(n);
    j.key("examples").begin_array();
    for (const SkipExample& e : s.skip_examples[static_cast<std::size_t>(i)]) {
      j.begin_object().key("file").str(e.path).key("position").unum(e.position).field("detail", e.detail).end_object();
    }
    j.end_array().end_object();
  }
  j.end_object();
  j.key("warnings").begin_array();
  for (const Warning& w : s.warnings)
    j.begin_object().key("kind").str(to_string(w.kind)).key("file").str(w.path).key("detail").str(w.detail).end_object();
  j.end_array();
  j.key("time_ranges").begin_array();
  for (const auto& [account, regions] : s.time_ranges)
    for (const auto& [region, range] : regions)
      j.begin_object().key("account").str(account).key("region").str(region).time_field("first", range.first)
          .time_field("last", range.second).end_object();
  j.end_array();
  j.key("files").begin_array();
  for (const FileStats& f : s.files) {
    j.begin_object().key("path").str(f.path).key("size").unum(f.size).key("inflated").unum(f.inflated);
    j.key("compressed").boolean(f.compressed);
    j.key("shape").str(f.skipped_by_window ? "not_opened_outside_window" : to_string(f.shape));
    j.key("records").unum(f.records).key("skipped").unum(f.skipped).key("failed").boolean(f.failed);
    j.end_object();
  }
  j.end_array();
  j.end_object();
  out += '\n';
  return out;
}

}  // namespace aiir
