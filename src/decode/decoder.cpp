// SPDX-License-Identifier: Apache-2.0
// Decoding: shape detection and record extraction for every export shape.
//
// Every file ends up as ONE parsed document per batch (plus one for JSON held
// in strings), so events can point into it without copies: JSON Lines, CloudWatch
// export lines and concatenated values are rewritten into a JSON array first.
// Damaged input is narrowed down to the bad parts, which are counted and skipped.
#include "decode/decoder.h"

#include <algorithm>
#include <deque>
#include <cstring>

#include <fmt/format.h>

#include "decode/flat_record.h"
#include "util/time.h"

namespace aiir {
namespace dom = simdjson::dom;

void DecodedBatch::clear() {
  arena.clear();
  events.clear();
  main_text.clear();
  nested_text.clear();
  transcoded.clear();
  file = FileStats{};
  stats = ReadStats{};
}

namespace {

bool is_ws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

/// The array of an element known to be an array (a local, so range-for does not dangle).
/// `v` as an array; an empty one when it is not an array. (A default-constructed
/// dom::array has no document: iterating it is undefined behaviour.)
dom::array as_array(dom::element v) noexcept {
  dom::array a;
  if (v.get_array().get(a) == simdjson::SUCCESS) return a;
  static const dom::array empty = [] {
    static dom::parser parser;
    static const simdjson::padded_string text("[]", 2);
    return parser.parse(text).get_array().value_unsafe();
  }();
  return empty;
}

std::string_view str(dom::element v) noexcept {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return s;
  return {};
}

/// CloudWatch export line: "<ISO time or epoch ms> <json>". Returns the JSON
/// part and the prefix time, or false when the line has no such prefix.
bool split_export_prefix(std::string_view line, std::string_view& json, std::int64_t& ingest_ms) noexcept {
  std::size_t brace = line.find('{');
  if (brace == std::string_view::npos || brace == 0 || brace > 40) return false;
  std::string_view prefix = trim(line.substr(0, brace));
  if (prefix.empty() || prefix.front() < '0' || prefix.front() > '9') return false;
  if (!parse_time(prefix, ingest_ms)) return false;
  json = line.substr(brace);
  return true;
}

/// Replaces invalid UTF-8 sequences with U+FFFD. Returns the number replaced.
std::size_t repair_utf8(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size() + 16);
  std::size_t bad = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t n = in.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    std::size_t len = 0;
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    bool ok = len > 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (ok && len == 3) {
      if (c == 0xE0 && p[i + 1] < 0xA0) ok = false;           // overlong
      if (c == 0xED && p[i + 1] > 0x9F) ok = false;           // surrogates
    }
    if (ok && len == 4) {
      if (c == 0xF0 && p[i + 1] < 0x90) ok = false;
      if (c == 0xF4 && p[i + 1] > 0x8F) ok = false;
    }
    if (ok) {
      out.append(in.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++bad;
      ++i;
    }
  }
  return bad;
}

/// True when `text` starts with a UTF-16 byte order mark; sets `big_endian`.
bool utf16_bom(std::string_view text, bool& big_endian) noexcept {
  if (text.size() < 2) return false;
  const auto b0 = static_cast<unsigned char>(text[0]), b1 = static_cast<unsigned char>(text[1]);
  big_endian = b0 == 0xFE && b1 == 0xFF;
  return big_endian || (b0 == 0xFF && b1 == 0xFE);
}

/// UTF-16 (after its byte order mark) to UTF-8. Lone surrogates and an odd
/// trailing byte become U+FFFD. Returns the number replaced.
std::size_t utf16_to_utf8(std::string_view in, bool big_endian, std::string& out) {
  out.clear();
  out.reserve(in.size() / 2 * 3 / 2 + 16);
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t units = in.size() / 2;
  auto unit = [&](std::size_t k) -> unsigned {
    return big_endian ? (unsigned{p[2 * k]} << 8 | p[2 * k + 1]) : (unsigned{p[2 * k + 1]} << 8 | p[2 * k]);
  };
  auto put = [&](unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | cp >> 12);
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | cp >> 18);
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  std::size_t bad = 0;
  for (std::size_t k = 1; k < units; ++k) {  // unit 0 is the byte order mark
    const unsigned u = unit(k);
    if (u >= 0xD800 && u <= 0xDBFF && k + 1 < units && unit(k + 1) >= 0xDC00 && unit(k + 1) <= 0xDFFF) {
      put(0x10000 + ((u - 0xD800) << 10) + (unit(k + 1) - 0xDC00));
      ++k;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      put(0xFFFD);
      ++bad;
    } else {
      put(u);
    }
  }
  if (in.size() % 2 != 0) {
    put(0xFFFD);
    ++bad;
  }
  return bad;
}

/// RFC 4180 rows: fields separated by commas, quoted fields with "" for a
/// quote (newlines allowed inside), rows ended by LF or CRLF.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : t_(text) {}
  /// The next row into `fields` (unquoted); false at the end of the text.
  bool next(std::vector<std::string>& fields) {
    if (i_ >= t_.size()) return false;
    fields.clear();
    std::string cur;
    bool quoted = false, was_quoted = false;
    while (i_ < t_.size()) {
      const char c = t_[i_++];
      if (quoted) {
        if (c != '"') cur += c;
        else if (i_ < t_.size() && t_[i_] == '"') cur += '"', ++i_;
        else quoted = false;
      } else if (c == '"' && cur.empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == ',') {
        fields.push_back(std::move(cur));
        cur.clear();
        was_quoted = false;
      } else if (c == '\n') {
        if (!cur.empty() && cur.back() == '\r') cur.pop_back();
        break;
      } else {
        cur += c;
      }
    }
    fields.push_back(std::move(cur));
    return true;
  }

 private:
  std::string_view t_;
  std::size_t i_ = 0;
};

std::string lower_trimmed(std::string_view s) {
  s = trim(s);
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// What to tell about an archive or compression format aiir does not open,
/// from its magic bytes (after gzip is inflated: a .tar.gz is a tar here);
/// empty for anything else.
std::string_view archive_advice(std::string_view b) noexcept {
  auto starts = [&](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
  if (starts(std::string_view("PK\x03\x04", 4)) || starts(std::string_view("PK\x05\x06", 4)))
    return "zip archive: not opened; extract it (unzip FILE -d DIR) and scan the folder";
  if (starts("BZh")) return "bzip2-compressed: not opened; decompress a copy (bunzip2 -k FILE) and scan that";
  if (starts(std::string_view("\xFD" "7zXZ\x00", 6)))
    return "xz-compressed: not opened; decompress a copy (unxz -k FILE) and scan that";
  if (starts(std::string_view("\x28\xB5\x2F\xFD", 4)))
    return "zstd-compressed: not opened; decompress a copy (unzstd FILE) and scan that";
  if (starts(std::string_view("7z\xBC\xAF\x27\x1C", 6)))
    return "7-Zip archive: not opened; extract it (7z x FILE -oDIR) and scan the folder";
  if (b.size() >= 262 && b.substr(257, 5) == "ustar")
    return "tar archive: not opened; extract it (tar -xf FILE -C DIR) and scan the folder";
  return {};
}

/// Spans of the complete elements of the array whose '[' is at `open`, up to
/// the point where the text breaks off. Used to recover truncated documents.
std::vector<std::string_view> complete_elements(std::string_view text, std::size_t open) {
  std::vector<std::string_view> out;
  int depth = 0;
  bool in_string = false, escape = false;
  std::size_t start = open + 1;
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (depth == 0) {  // end of the array itself
        std::string_view el = trim(text.substr(start, i - start));
        if (!el.empty()) out.push_back(el);
        return out;
      }
      --depth;
    } else if (c == ',' && depth == 0) {
      std::string_view el = trim(text.substr(start, i - start));
      if (!el.empty()) out.push_back(el);
      start = i + 1;
    }
  }
  return out;  // the last, incomplete element is dropped
}

/// Position of the first array that opens at depth `want` (1 inside a top-level object).
std::size_t first_array_at_depth(std::string_view text, int want) {
  int depth = 0;
  bool in_string = false, escape = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[') {
      if (depth == want) return i;
      ++depth;
    } else if (c == '{') ++depth;
    else if (c == '}' || c == ']') --depth;
  }
  return std::string_view::npos;
}

void join_as_array(const std::vector<std::string_view>& pieces, PaddedBuffer& out) {
  std::size_t total = 2;
  for (auto p : pieces) total += p.size() + 1;
  out.reserve(total);
  char* w = out.data();
  *w++ = '[';
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i) *w++ = ',';
    std::memcpy(w, pieces[i].data(), pieces[i].size());
    w += pieces[i].size();
  }
  *w++ = ']';
  out.resize(static_cast<std::size_t>(w - out.data()));
}

}  // namespace

struct Decoder::Ctx {
  Decoder& d;
  DecodedBatch& b;
  std::uint32_t next_record = 0;
  struct Nested {
    std::uint32_t record;
    std::string_view text;
    std::int64_t ingest_ms;
    RecordType type = RecordType::kUnknown;  ///< known for rows rebuilt in flat mode
    bool partial = false;                     ///< a row rebuilt in flat mode
  };
  std::vector<Nested> nested;
  /// Rows rebuilt in flat mode: (record, offset and length in d.flat_store_),
  /// viewed once the store no longer grows.
  std::vector<std::pair<std::uint32_t, std::pair<std::size_t, std::size_t>>> flat;
  std::vector<std::size_t> res_begin;
  bool shape_set = false;
  bool resolving = false;  ///< inside resolve_nested(): records found there are not nested again

  void set_shape(FileShape s) {
    if (!shape_set) {
      b.file.shape = s;
      shape_set = true;
    }
  }

  void skip(SkipReason why, std::uint32_t record, std::string_view detail = {}) {
    b.stats.skip(why, b.path, record, detail);
    ++b.file.skipped;
  }

  /// `known`: the container says what the record is (elements of a
  /// CloudTrail `Records` array), so the key scan of classify_record is skipped.
  void record(dom::element el, std::uint32_t index, std::int64_t ingest_ms,
              RecordType known = RecordType::kUnknown, bool partial = false) {
    dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
      skip(SkipReason::kNotAnObject, index, "record");
      return;
    }
    RecordType type = known != RecordType::kUnknown ? known : classify_record(obj);
    if (type == RecordType::kUnknown) {
      // An EventBridge envelope can also sit inside a line or a message.
      dom::element detail;
      if (obj["detail-type"].error() == simdjson::SUCCESS && obj["detail"].get(detail) == simdjson::SUCCESS) {
        record(detail, index, ingest_ms);
        return;
      }
      // The record as a JSON string: Logs Insights results (@message), the
      // elements of lookup-events' Events and of filter-log-events' events
      // saved on their own (`jq .Events`, `jq .events`). Not inside a string
      // already being resolved.
      if (!resolving) {
        for (std::string_view key : {"@message", "CloudTrailEvent", "message"}) {
          dom::element inner;
          std::string_view text;
          if (obj[key].get(inner) != simdjson::SUCCESS || inner.get_string().get(text) != simdjson::SUCCESS) continue;
          if (trim(text).substr(0, 1) != "{") continue;
          std::int64_t ingest = ingest_ms, at = 0;
          dom::element it;
          if (obj["ingestionTime"].get(it) == simdjson::SUCCESS && it.get_int64().get(at) == simdjson::SUCCESS)
            ingest = at;
          nested.push_back({index, text, ingest});
          return;
        }
      }
      skip(SkipReason::kUnrecognisedRecord, index, "record");
      return;
    }
    // Normalized in place: an EventView is some hundred bytes, copied into the
    // batch for every record otherwise.
    EventView& ev = b.events.emplace_back();
    std::size_t begin = 0;
    SkipReason why{};
    if (!normalize_record(el, type, b.arena, ev, begin, why)) {
      b.events.pop_back();
      skip(why, index, "record");
      return;
    }
    ev.file = b.path;
    ev.where = {b.file_index, index};
    ev.ingest_time_ms = ingest_ms;
    ev.partial = partial;
    res_begin.push_back(begin);
  }

  /// A top-level value, a line, or an element of a top-level array.
  void value(dom::element el, bool top, std::int64_t ingest_ms, int depth) {
    if (el.is_array()) {
      if (top) set_shape(FileShape::kJsonArray);
      for (dom::element item : as_array(el)) {
        if (depth < 2 && (item.is_array() || item.is_object())) value(item, false, ingest_ms, depth + 1);
        else skip(SkipReason::kNotAnObject, next_record++, "array element");
      }
      return;
    }
    dom::object obj;
    if (el.get_object().get(obj) != simdjson::SUCCESS) {
      skip(SkipReason::kNotAnObject, next_record++, "value");
      return;
    }
    // Default-constructed elements are not valid to query: track presence by type.
    dom::element records, events_upper, events_lower, log_events, detail;
    bool has_records = false, has_events_upper = false, has_events_lower = false, has_log_events = false;
    bool has_detail = false, has_detail_type = false, digest = false, config = false, lake = false, ocsf = false;
    std::string_view message_type;
    for (auto [key, v] : obj) {
      if (key == "Records") has_records = v.is_array(), records = v;
      else if (key == "Events") has_events_upper = v.is_array(), events_upper = v;
      else if (key == "events") has_events_lower = v.is_array(), events_lower = v;
      else if (key == "logEvents") has_log_events = v.is_array(), log_events = v;
      else if (key == "messageType") message_type = str(v);
      else if (key == "detail") has_detail = v.is_object(), detail = v;
      else if (key == "detail-type") has_detail_type = true;
      else if (key == "digestStartTime" || key == "logFiles") digest = true;
      else if (key == "hashSignature" || key == "queryCompleteTime") digest = true;  // Lake's result_sign.json
      else if (key == "configurationItems" || key == "configSnapshotId" || key == "configurationItem") config = true;
      else if (key == "QueryResultRows") lake = true;
      else if (key == "class_uid") ocsf = true;
    }
    if (has_records) {
      set_shape(FileShape::kCloudTrailRecords);
      for (dom::element r : as_array(records)) record(r, next_record++, ingest_ms, RecordType::kCloudTrail);
    } else if (has_events_upper) {
      set_shape(FileShape::kLookupEvents);
      for (dom::element e : as_array(events_upper)) {
        std::uint32_t index = next_record++;
        dom::element inner;
        if (e.is_object() && e["CloudTrailEvent"].get(inner) == simdjson::SUCCESS && inner.is_string()) {
          nested.push_back({index, str(inner), ingest_ms});
        } else if (e.is_object()) {
          record(e, index, ingest_ms);  // a page whose events are objects, not strings
        } else {
          skip(SkipReason::kNotAnObject, index, "Events element");
        }
      }
    } else if (has_log_events && !message_type.empty()) {
      set_shape(FileShape::kSubscription);
      if (message_type == "CONTROL_MESSAGE") {
        skip(SkipReason::kControlMessage, next_record++, "CONTROL_MESSAGE");
        return;
      }
      messages(log_events);
    } else if (has_events_lower) {
      set_shape(FileShape::kCloudWatchApi);
      messages(events_lower);
    } else if (digest) {
      set_shape(FileShape::kDigest);
    } else if (has_detail_type && has_detail) {
      set_shape(FileShape::kEventBridge);
      record(detail, next_record++, ingest_ms);
    } else if (config) {
      set_shape(FileShape::kConfigSnapshot);
    } else if (lake) {
      set_shape(FileShape::kLakeResults);
      lake_rows(obj["QueryResultRows"]);
    } else if (ocsf) {
      set_shape(FileShape::kUnsupported);
      b.stats.warn(WarningKind::kUnsupported, b.path, "OCSF (Security Lake) records: not supported");
    } else if (top) {
      if (classify_record(obj) == RecordType::kUnknown && !has_detail_type) {
        set_shape(FileShape::kUnrecognised);
        std::string keys;
        int n = 0;
        for (auto [key, v] : obj) {
          if (n++ == 6) {
            keys += ", ...";
            break;
          }
          if (!keys.empty()) keys += ", ";
          keys += key;
        }
        b.stats.warn(WarningKind::kUnrecognised, b.path, fmt::format("JSON object of no known shape (keys: {})", keys));
        return;
      }
      set_shape(FileShape::kSingleRecord);
      record(el, next_record++, ingest_ms);
    } else {
      record(el, next_record++, ingest_ms);
    }
  }

  /// `aws cloudtrail get-query-results`: each row an array of one-key
  /// objects, {"eventName":"..."}, values as strings.
  void lake_rows(dom::element rows) {
    std::vector<FlatCell> cells;
    // Non-string values as JSON text. A deque: cells point into its strings,
    // and a column object may hold several keys, so no reserve() bounds it.
    std::deque<std::string> rendered;
    for (dom::element row : as_array(rows)) {
      const std::uint32_t index = next_record++;
      cells.clear();
      rendered.clear();
      dom::array columns;
      if (row.get_array().get(columns) != simdjson::SUCCESS) {
        skip(SkipReason::kNotAnObject, index, "QueryResultRows element");
        continue;
      }
      for (dom::element column : columns) {
        dom::object one;
        if (column.get_object().get(one) != simdjson::SUCCESS) continue;
        for (auto [key, v] : one) {
          std::string_view text;
          if (v.get_string().get(text) != simdjson::SUCCESS && !v.is_null()) {
            rendered.push_back(simdjson::minify(v));
            text = rendered.back();
          }
          cells.push_back({key, text});
        }
      }
      flat_row(cells, index);
    }
  }

  /// Rebuilds one row as a CloudTrail record (src/decode/flat_record.h).
  void flat_row(std::span<const FlatCell> cells, std::uint32_t index) {
    std::string& store = d.flat_store_;
    const std::size_t at = store.size();
    if (flat_to_record(cells, store) == 0) {
      skip(SkipReason::kUnrecognisedRecord, index, "row without a CloudTrail column");
      return;
    }
    flat.push_back({index, {at, store.size() - at}});
  }

  void messages(dom::element list) {
    for (dom::element e : as_array(list)) {
      std::uint32_t index = next_record++;
      dom::element msg, ts;
      if (e.is_object() && e["message"].get(msg) == simdjson::SUCCESS && msg.is_string()) {
        std::int64_t ingest = 0;
        if (e["timestamp"].get(ts) == simdjson::SUCCESS) {
          std::int64_t t;
          if (ts.get_int64().get(t) == simdjson::SUCCESS) ingest = t;
        }
        nested.push_back({index, str(msg), ingest});
      } else {
        skip(SkipReason::kNotAnObject, index, "log event without a message");
      }
    }
  }

  /// JSON held in strings: wrap all of it into one array, parse once.
  void resolve_nested() {
    if (nested.empty()) return;
    std::vector<std::string_view> pieces;
    pieces.reserve(nested.size());
    for (const Nested& n : nested) pieces.push_back(n.text);
    join_as_array(pieces, b.nested_text);
    dom::element arr;
    if (b.nested_parser.parse(b.nested_text.data(), b.nested_text.size(), false).get(arr) != simdjson::SUCCESS) {
      // Find the bad ones, skip them, parse the rest.
      std::vector<Nested> good;
      pieces.clear();
      for (const Nested& n : nested) {
        PaddedBuffer one;
        one.append(n.text);
        auto e = d.scratch_.parse(one.data(), one.size(), false).error();
        if (e == simdjson::SUCCESS) {
          good.push_back(n);
          pieces.push_back(n.text);
        } else if (e == simdjson::DEPTH_ERROR) {
          skip(SkipReason::kTooDeep, n.record, "message nested too deep");
        } else {
          skip(SkipReason::kInvalidJson, n.record, "message is not JSON");
        }
      }
      nested.swap(good);
      if (nested.empty()) return;
      join_as_array(pieces, b.nested_text);
      if (b.nested_parser.parse(b.nested_text.data(), b.nested_text.size(), false).get(arr) != simdjson::SUCCESS) {
        for (const Nested& n : nested) skip(SkipReason::kInvalidJson, n.record, "message is not JSON");
        return;
      }
    }
    std::size_t i = 0;
    resolving = true;
    for (dom::element el : as_array(arr)) {
      const Nested& n = nested[i++];
      record(el, n.record, n.ingest_ms, n.type, n.partial);
    }
    resolving = false;
  }

  void finish() {
    for (const auto& [index, span] : flat)
      nested.push_back(
          {index, std::string_view(d.flat_store_).substr(span.first, span.second), 0, RecordType::kCloudTrail, true});
    flat.clear();
    resolve_nested();
    for (std::size_t i = 0; i < b.events.size(); ++i) {
      std::size_t begin = res_begin[i];
      std::size_t end = i + 1 < b.events.size() ? res_begin[i + 1] : b.arena.resources.size();
      // res_begin is non-decreasing in push order, so [begin, end) are this event's resources.
      b.events[i].resources = std::span<const ResourceView>(b.arena.resources.data() + begin, end - begin);
    }
    if (!nested.empty()) {
      std::stable_sort(b.events.begin(), b.events.end(),
                       [](const EventView& x, const EventView& y) { return x.where.record < y.where.record; });
    }
    b.file.records = b.events.size();
  }
};

void Decoder::decode(std::string_view text, DecodedBatch& batch) { decode(text, batch, false); }

void Decoder::decode(PaddedBuffer& text, DecodedBatch& batch) { decode(text.view(), batch, true); }

void Decoder::decode(std::string_view text, DecodedBatch& batch, bool in_place) {
  Ctx ctx{*this, batch, 0, {}, {}, {}, false};
  flat_store_.clear();
  // UTF-16 with a byte order mark (Windows PowerShell 5 writes `>` output so):
  // read as its UTF-8 transcoding; the file on disk is not touched.
  if (bool big_endian = false; utf16_bom(text, big_endian)) {
    const std::size_t bad = utf16_to_utf8(text, big_endian, repair_);
    if (bad > 0)
      batch.stats.warn(WarningKind::kInvalidUtf8, batch.path,
                       fmt::format("{} invalid UTF-16 unit(s) replaced by U+FFFD", bad));
    batch.transcoded.clear();
    batch.transcoded.append(repair_);
    text = batch.transcoded.view();
  }
  // UTF-8 byte order mark.
  if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) text.remove_prefix(3);
  std::string_view body = trim(text);
  if (body.empty()) {
    ctx.set_shape(FileShape::kMarker);
    batch.stats.warn(WarningKind::kUnrecognised, batch.path, "empty file");
    return;
  }
  if (body.size() >= 4 && std::memcmp(body.data(), "PAR1", 4) == 0) {
    ctx.set_shape(FileShape::kUnsupported);
    batch.stats.warn(WarningKind::kUnsupported, batch.path, "Parquet (Security Lake): not supported");
    return;
  }
  if (const std::string_view advice = archive_advice(text); !advice.empty()) {
    ctx.set_shape(FileShape::kUnsupported);
    batch.stats.warn(WarningKind::kUnsupported, batch.path, std::string(advice));
    return;
  }

  // An object without a newline near its start (a CloudTrail file: one line of
  // megabytes) is tried as one document first, which saves the search for a
  // newline through all of it. When it is one document it is no JSON Lines
  // (its first line would be a whole value with more after it) and no export
  // lines (no prefix before the brace); else the checks below decide.
  constexpr std::size_t kNear = 64 << 10;
  if (body.front() == '{' && body.substr(0, kNear).find('\n') == std::string_view::npos) {
    dom::element root;
    if (batch.main_parser.parse(body.data(), body.size(), false).get(root) == simdjson::SUCCESS) {
      ctx.value(root, true, 0, 0);
      ctx.finish();
      return;
    }
  }

  // Split into lines when the first line is a complete value (JSON Lines,
  // CloudWatch export) or carries a CloudWatch export prefix.
  std::size_t nl = body.find('\n');
  std::string_view first_line = trim(body.substr(0, nl));
  std::string_view json_part;
  std::int64_t ingest = 0;
  bool export_lines = split_export_prefix(first_line, json_part, ingest);
  bool lines = export_lines;
  if (!lines && nl != std::string_view::npos && (first_line.front() == '{' || first_line.front() == '[')) {
    PaddedBuffer one;
    one.append(first_line);
    auto first = scratch_.parse(one.data(), one.size(), false).error();
    // A first line nested too deep is still one line of several: narrowed down below.
    lines = first == simdjson::SUCCESS || first == simdjson::DEPTH_ERROR;
  }

  if (!lines) {
    char c = body.front();
    if (c != '{' && c != '[' && decode_csv(ctx, body)) return;
    if (c != '{' && c != '[') {
      // Text or binary that is no JSON at all (a README, a YAML file, junk):
      // read, not a log. Counted with its path, but not a read failure.
      ctx.set_shape(FileShape::kUnrecognised);
      std::size_t sample = std::min<std::size_t>(body.size(), 512), binary = 0;
      for (std::size_t i = 0; i < sample; ++i) {
        unsigned char b = static_cast<unsigned char>(body[i]);
        if (b < 0x09 || (b > 0x0d && b < 0x20)) ++binary;
      }
      batch.stats.warn(WarningKind::kUnrecognised, batch.path,
                       binary > 0 ? "binary data, not JSON: not a log" : "text, not JSON: not a log");
      return;
    }
    dom::element root;
    auto err = batch.main_parser.parse(body.data(), body.size(), false).get(root);
    if (err == simdjson::UTF8_ERROR) {
      std::size_t bad = repair_utf8(body, repair_);
      batch.stats.warn(WarningKind::kInvalidUtf8, batch.path,
                       fmt::format("{} invalid UTF-8 sequence(s) replaced by U+FFFD", bad));
      batch.main_text.clear();
      batch.main_text.append(repair_);
      body = batch.main_text.view();
      err = batch.main_parser.parse(body.data(), body.size(), false).get(root);
    }
    if (err == simdjson::SUCCESS) {
      ctx.value(root, true, 0, 0);
      ctx.finish();
      return;
    }
    decode_damaged(ctx, body, err);
    ctx.finish();
    return;
  }

  // Lines: collect each line's JSON, wrap into one array, parse once.
  std::vector<std::string_view> pieces;
  std::vector<std::int64_t> ingest_times;
  std::vector<std::uint32_t> line_numbers;
  std::vector<std::uint32_t> ordinals;  // position among the file's values, broken ones included
  std::uint32_t line_no = 0;
  std::size_t pos = 0;
  std::string_view all = body;
  while (pos < all.size()) {
    std::size_t end = all.find('\n', pos);
    if (end == std::string_view::npos) end = all.size();
    std::string_view line = trim(all.substr(pos, end - pos));
    ++line_no;
    pos = end + 1;
    if (line.empty()) continue;
    std::int64_t t = 0;
    std::string_view js = line;
    if (split_export_prefix(line, js, t)) export_lines = true;
    ordinals.push_back(static_cast<std::uint32_t>(pieces.size()));
    pieces.push_back(js);
    ingest_times.push_back(t);
    line_numbers.push_back(line_no);
  }
  dom::element arr;
  simdjson::error_code err;
  if (in_place && !export_lines && !pieces.empty()) {
    // Lines that are JSON alone are separated by whitespace only (at least the
    // newline): its first byte becomes the comma. '[' and ']' go into the
    // bytes around the lines: whitespace, or the buffer's slack before its
    // content and the first byte of its padding (moved on by the slack after it).
    // (text lies in a PaddedBuffer the caller lets us rewrite, or in batch.transcoded.)
    char* open = const_cast<char*>(pieces.front().data()) - 1;
    char* close = const_cast<char*>(pieces.back().data() + pieces.back().size());
    *open = '[';
    for (std::size_t k = 0; k + 1 < pieces.size(); ++k) const_cast<char*>(pieces[k].data())[pieces[k].size()] = ',';
    *close = ']';
    err = batch.main_parser.parse(open, static_cast<std::size_t>(close + 1 - open), false).get(arr);
  } else {
    join_as_array(pieces, batch.main_text);
    err = batch.main_parser.parse(batch.main_text.data(), batch.main_text.size(), false).get(arr);
  }
  if (err != simdjson::SUCCESS) {
    // Narrow down: validate each line, repair UTF-8, drop what is broken.
    std::vector<std::string> repaired;  // keeps repaired lines alive
    repaired.reserve(pieces.size());
    std::vector<std::string_view> good;
    std::vector<std::int64_t> good_times;
    std::vector<std::uint32_t> good_lines;
    std::vector<std::uint32_t> good_ordinals;
    std::size_t utf8_fixed = 0;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      PaddedBuffer one;
      one.append(pieces[i]);
      auto e = scratch_.parse(one.data(), one.size(), false).error();
      std::string_view use = pieces[i];
      if (e == simdjson::UTF8_ERROR) {
        utf8_fixed += repair_utf8(pieces[i], repair_);
        repaired.push_back(repair_);
        use = repaired.back();
        PaddedBuffer again;
        again.append(use);
        e = scratch_.parse(again.data(), again.size(), false).error();
      }
      if (e == simdjson::SUCCESS) {
        good.push_back(use);
        good_times.push_back(ingest_times[i]);
        good_lines.push_back(line_numbers[i]);
        good_ordinals.push_back(ordinals[i]);
      } else {
        ctx.skip(e == simdjson::DEPTH_ERROR ? SkipReason::kTooDeep
                 : i + 1 == pieces.size() && (pieces[i].front() == '{' || pieces[i].front() == '[')
                     ? SkipReason::kTruncated
                     : SkipReason::kInvalidJson,
                 ordinals[i], fmt::format("line {}: {}", line_numbers[i], simdjson::error_message(e)));
        batch.file.failed = true;
      }
    }
    if (utf8_fixed > 0) {
      batch.stats.warn(WarningKind::kInvalidUtf8, batch.path,
                       fmt::format("{} invalid UTF-8 sequence(s) replaced by U+FFFD", utf8_fixed));
    }
    pieces.swap(good);
    ingest_times.swap(good_times);
    line_numbers.swap(good_lines);
    ordinals.swap(good_ordinals);
    join_as_array(pieces, batch.main_text);
    if (pieces.empty() ||
        batch.main_parser.parse(batch.main_text.data(), batch.main_text.size(), false).get(arr) != simdjson::SUCCESS) {
      ctx.set_shape(export_lines ? FileShape::kCloudWatchExport : FileShape::kJsonLines);
      ctx.finish();
      return;
    }
  }
  // Record positions in line files are line numbers' order; indices count values.
  std::size_t i = 0;
  for (dom::element el : as_array(arr)) {
    // A line holding a container yields several records; otherwise record == line value ordinal.
    ctx.next_record = std::max(ctx.next_record, ordinals[i]);
    ctx.value(el, false, ingest_times[i], 1);
    ++i;
  }
  ctx.set_shape(export_lines ? FileShape::kCloudWatchExport : FileShape::kJsonLines);
  ctx.finish();
}

void Decoder::decode_damaged(Ctx& ctx, std::string_view body, simdjson::error_code err) {
  DecodedBatch& batch = ctx.b;
  // 1. Several top-level values without line structure (pretty-printed pages
  //    one after another, Firehose objects glued together).
  std::vector<std::string_view> docs;
  std::size_t good_end = 0;
  bool stream_error = false;
  simdjson::dom::document_stream stream;
  if (scratch_.parse_many(body.data(), body.size(), std::max<std::size_t>(body.size() + 64, 1 << 20))
          .get(stream) == simdjson::SUCCESS) {
    for (auto it = stream.begin(); it != stream.end(); ++it) {
      if ((*it).error() != simdjson::SUCCESS) {
        stream_error = true;
        break;
      }
      std::string_view src = trim(it.source());
      docs.push_back(src);
      good_end = static_cast<std::size_t>(src.data() + src.size() - body.data());
    }
  }
  // `body` may itself live in batch.main_text (UTF-8 repaired): join into a
  // fresh buffer and keep the old one alive while `body` is still read.
  PaddedBuffer previous;
  if (docs.size() >= 2 || (docs.size() == 1 && trim(body.substr(good_end)).empty())) {
    join_as_array(docs, previous);
    std::swap(batch.main_text, previous);
    simdjson::dom::element arr;
    if (batch.main_parser.parse(batch.main_text.data(), batch.main_text.size(), false).get(arr) ==
        simdjson::SUCCESS) {
      for (simdjson::dom::element el : as_array(arr)) ctx.value(el, false, 0, 1);
      ctx.set_shape(FileShape::kConcatenated);
      std::string_view tail = trim(body.substr(good_end));
      if (stream_error || !tail.empty()) {
        ctx.skip(SkipReason::kTruncated, ctx.next_record, fmt::format("byte {}", good_end));
        batch.stats.warn(WarningKind::kTruncatedJson, batch.path,
                         fmt::format("{} value(s) read; the rest from byte {} is not valid JSON", docs.size(),
                                     good_end));
        batch.file.failed = true;
      }
      return;
    }
  }
  // 2. One document cut off (truncated download, damaged gzip): keep the
  //    complete elements of its first array.
  int want = body.front() == '{' ? 1 : 0;
  std::size_t open = want == 0 ? 0 : first_array_at_depth(body, 1);
  if (open != std::string_view::npos && err != simdjson::DEPTH_ERROR) {
    std::vector<std::string_view> elements = complete_elements(body, open);
    std::string rebuilt(body.substr(0, open + 1));
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (i) rebuilt += ',';
      rebuilt += elements[i];
    }
    rebuilt += want == 1 ? "]}" : "]";
    batch.main_text.clear();
    batch.main_text.append(rebuilt);
    simdjson::dom::element root;
    if (!elements.empty() &&
        batch.main_parser.parse(batch.main_text.data(), batch.main_text.size(), false).get(root) ==
            simdjson::SUCCESS) {
      ctx.value(root, true, 0, 0);
      ctx.skip(SkipReason::kTruncated, ctx.next_record, "after the last complete record");
      batch.stats.warn(WarningKind::kTruncatedJson, batch.path,
                       fmt::format("document is cut off or damaged ({}); {} complete element(s) recovered",
                                   simdjson::error_message(err), elements.size()));
      batch.file.failed = true;
      return;
    }
  }
  ctx.set_shape(FileShape::kUnreadable);
  if (err == simdjson::DEPTH_ERROR) ctx.skip(SkipReason::kTooDeep, 0, "document nested too deep");
  batch.stats.warn(WarningKind::kInvalidJson, batch.path,
                   fmt::format("invalid JSON: {}", simdjson::error_message(err)));
  batch.file.failed = true;
}

bool Decoder::decode_csv(Ctx& ctx, std::string_view body) {
  // The header names the columns: a column of whole records (Logs Insights
  // @message, a CloudTrailEvent column) is read as JSON; without one, CloudTrail
  // columns (CloudTrail Lake's saved results, the console's Event history) are
  // read in flat mode when they name at least the time and the call; anything
  // else is not CSV of ours.
  CsvReader reader(body);
  std::vector<std::string> header;
  if (body.find(',') == std::string_view::npos || !reader.next(header) || header.size() < 2) return false;
  std::size_t column = header.size();
  bool has_time = false, has_call = false, cloudtrail = false;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string name = lower_trimmed(header[i]);
    if (column == header.size() && (name == "@message" || name == "cloudtrailevent" || name == "cloudtrail event"))
      column = i;
    const bool known = flat_column_known(header[i]);
    cloudtrail = cloudtrail || known || name == "@timestamp";
    if (known && (name == "eventtime" || name == "event time" || name == "event_time" || name == "@timestamp"))
      has_time = true;
    if (known && (name.find("eventname") != std::string::npos || name.find("event name") != std::string::npos ||
                  name.find("eventsource") != std::string::npos || name.find("event source") != std::string::npos))
      has_call = true;
  }
  std::vector<std::string> fields;
  if (column == header.size()) {
    if (!cloudtrail) return false;
    if (!has_time || !has_call) {
      ctx.set_shape(FileShape::kUnsupported);
      ctx.b.stats.warn(WarningKind::kUnsupported, ctx.b.path,
                       "CSV with some CloudTrail columns but not the event time and name: not enough to read; "
                       "export JSON, or select eventTime, eventSource and eventName");
      return true;
    }
    // Flat mode: each row rebuilt as a record from the columns it has.
    ctx.set_shape(FileShape::kCsvColumns);
    std::vector<FlatCell> cells;
    while (reader.next(fields)) {
      if (fields.size() == 1 && trim(fields[0]).empty()) continue;  // a blank line
      const std::uint32_t index = ctx.next_record++;
      cells.clear();
      for (std::size_t i = 0; i < fields.size() && i < header.size(); ++i) cells.push_back({header[i], fields[i]});
      ctx.flat_row(cells, index);
    }
    ctx.finish();
    return true;
  }
  ctx.set_shape(FileShape::kCsvRecords);
  // The records are copied out of their quoting into one buffer, viewed once
  // it no longer grows.
  while (reader.next(fields)) {
    if (fields.size() == 1 && trim(fields[0]).empty()) continue;  // a blank line
    const std::uint32_t index = ctx.next_record++;
    const std::string_view cell = column < fields.size() ? trim(fields[column]) : std::string_view();
    if (cell.substr(0, 1) != "{") {
      ctx.skip(SkipReason::kInvalidJson, index, "CSV row whose record column is not a JSON object");
      continue;
    }
    ctx.flat.push_back({index, {flat_store_.size(), cell.size()}});
    flat_store_.append(cell);
  }
  // Whole records: the container does not say what they are.
  for (const auto& [index, span] : ctx.flat)
    ctx.nested.push_back({index, std::string_view(flat_store_).substr(span.first, span.second), 0});
  ctx.flat.clear();
  ctx.finish();
  return true;
}

}  // namespace aiir
