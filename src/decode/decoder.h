// SPDX-License-Identifier: Apache-2.0
// Decoding (pipeline stage 2): bytes -> records. Decides the file's shape by
// content (formats.md §2.10), never by its name, and hands each record to the
// normalizer. Everything a batch's events point into lives in the batch.
#pragma once

#include <aiir/diagnostics.h>
#include <aiir/event.h>
#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "event/normalize.h"
#include "source/reader.h"

namespace aiir {

/// The decoded content of one file: its events and all memory they point into.
/// Pooled and reused; cleared before each file.
struct DecodedBatch {
  simdjson::dom::parser main_parser;     ///< the file (or its lines wrapped into an array)
  simdjson::dom::parser nested_parser;   ///< JSON held in strings (CloudTrailEvent, message)
  PaddedBuffer main_text;                ///< rewritten text when the file needed it
  PaddedBuffer nested_text;
  PaddedBuffer transcoded;               ///< the file's UTF-8 transcoding when it is UTF-16
  NormalizeArena arena;
  std::vector<EventView> events;         ///< in file order
  FileStats file;                        ///< this file's reading result
  ReadStats stats;                       ///< this file's skips and warnings (merged in file order)
  std::uint32_t file_index = 0;
  std::string path;

  void clear();
};

/// Turns a file's bytes into events. One per worker (owns a scratch parser).
class Decoder {
 public:

  /// Decodes `text` (padded: SIMDJSON_PADDING readable bytes after it) of the
  /// file `batch.path` into `batch`. Never throws on bad input.
  void decode(std::string_view text, DecodedBatch& batch);
  /// The same for the whole of `text`, which the decoder may rewrite: JSON
  /// Lines become an array in place (PaddedBuffer::kSlack) instead of a copy.
  void decode(PaddedBuffer& text, DecodedBatch& batch);

 private:
  struct Ctx;
  /// in_place: `text` lies in a PaddedBuffer that may be rewritten.
  void decode(std::string_view text, DecodedBatch& batch, bool in_place);
  void decode_damaged(Ctx& ctx, std::string_view body, simdjson::error_code err);
  /// CSV with a column of whole records, or CloudTrail columns (flat mode);
  /// false when `body` is no CSV of ours.
  bool decode_csv(Ctx& ctx, std::string_view body);
  simdjson::dom::parser scratch_;
  std::string repair_;  // UTF-8 repair and UTF-16 transcoding scratch
  std::string flat_store_;  // CSV records out of their quoting, rows rebuilt in flat mode; until the batch is decoded
};

}  // namespace aiir
