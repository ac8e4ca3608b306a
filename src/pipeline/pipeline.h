// SPDX-License-Identifier: Apache-2.0
// The pipeline: discover -> read -> decode/normalize (workers, in parallel per
// file) -> consume (one thread, in input order). Stateless per-event work runs
// in the workers (EventSink::prepare); stateful work (analyzers, dedup,
// output order) runs in the consumer, so results never depend on --threads.
#pragma once

#include <aiir/diagnostics.h>
#include <aiir/event.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "decode/decoder.h"
#include "source/discover.h"

namespace aiir {

struct PipelineOptions {
  unsigned threads = 0;                                  ///< 0: all cores
  std::uint64_t max_file_bytes = std::uint64_t{1} << 30; ///< inflated-size cap per file
  std::int64_t from_ms = std::numeric_limits<std::int64_t>::min();
  std::int64_t to_ms = std::numeric_limits<std::int64_t>::max();
  bool progress = false;                                 ///< progress line on stderr
  bool dedup = true;                                     ///< drop repeated CloudTrail events
  /// Hash every input as stored (FileStats::sha256), for the evidence manifest.
  /// Computed by the worker over the bytes it already read (one extra read only
  /// for files the pipeline does not otherwise open in full: markers, files
  /// outside --from/--to, files over --max-file-bytes).
  bool want_sha256 = false;
};

/// Per-batch scratch a sink may attach (serialized output, content results).
struct BatchExtra {
  virtual ~BatchExtra() = default;
};

/// Receives events. prepare() runs on worker threads; consume() runs on one
/// thread, in input order (files by path, records in file order), for each
/// in-window event that is not a duplicate.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual std::unique_ptr<BatchExtra> make_extra() { return nullptr; }
  /// Stateless per-event work for events [begin, end) of `batch`, called in
  /// order over the batch (begin 0 starts it). Worker threads prepare a whole
  /// batch in one call; on one thread the pipeline prepares a chunk and
  /// consumes it at once, so the consumer finds the chunk's records still in
  /// cache (a batch is a whole file, larger than the caches).
  virtual void prepare(DecodedBatch& /*batch*/, BatchExtra* /*extra*/, std::size_t /*begin*/, std::size_t /*end*/) {}
  virtual void consume(const EventView& event, std::size_t index, BatchExtra* extra) = 0;
  /// After the last event of a file (consumer thread).
  virtual void file_done(const DecodedBatch& /*batch*/, BatchExtra* /*extra*/) {}
  /// True when the sink wants no more input (e.g. stdout was closed); the run stops early.
  virtual bool cancelled() const { return false; }
};

/// Names of objects that exports leave beside the logs; counted, never parsed.
bool is_marker_file(std::string_view path) noexcept;

/// Runs the whole read over `files` into `sink`; returns what was read.
/// Never throws on bad input; problems are counted in the returned stats.
ReadStats run_pipeline(const std::vector<InputFile>& files, const PipelineOptions& options, EventSink& sink);

}  // namespace aiir
