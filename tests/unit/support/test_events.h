// SPDX-License-Identifier: Apache-2.0
// Test support: turn inline JSON into normalized events through the same
// decoder the pipeline uses.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "decode/decoder.h"

namespace aiir::testing {

/// Owns the decoded document(s); `events` are valid while this lives.
struct EventFixture {
  std::unique_ptr<DecodedBatch> batch = std::make_unique<DecodedBatch>();
  std::vector<EventView> events;
  const ReadStats& stats() const { return batch->stats; }
};

/// Decodes `json` (any shape aiir reads: one record, {"Records":[...]},
/// JSON Lines of records, ...) as if it were the file `path`.
inline EventFixture events_from_json(std::string_view json, std::string path = "test.json",
                                     std::uint32_t file_index = 0) {
  EventFixture f;
  f.batch->path = path;
  f.batch->file.path = path;
  f.batch->file_index = file_index;
  PaddedBuffer buf;
  buf.append(json);
  Decoder decoder;
  decoder.decode(buf.view(), *f.batch);
  f.events = f.batch->events;
  return f;
}

}  // namespace aiir::testing
