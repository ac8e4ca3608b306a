// SPDX-License-Identifier: Apache-2.0
// A minimal, fast JSON emitter over std::string for every JSON writer.
// All strings from logs pass through write_escaped: valid JSON whatever the bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace aiir {

/// Appends `text` as a JSON string (util/escape.h append_json_string).
/// Returns false when bytes had to be replaced, so callers can mark the value.
bool append_json_quoted(std::string& out, std::string_view text);

/// Builds one JSON object or array incrementally; tracks commas.
class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}
  JsonOut& begin_object() { sep(); out_ += '{'; first_ = true; return *this; }
  JsonOut& end_object() { out_ += '}'; first_ = false; return *this; }
  JsonOut& begin_array() { sep(); out_ += '['; first_ = true; return *this; }
  JsonOut& end_array() { out_ += ']'; first_ = false; return *this; }
  /// Writes `"name":` (the name is ours, never log text).
  JsonOut& key(std::string_view name) {
    if (!first_) out_ += ',';
    // One append for `"name":` (this runs for every field of every event).
    char buf[64];
    if (name.size() + 3 <= sizeof buf) {
      buf[0] = '"';
      std::memcpy(buf + 1, name.data(), name.size());
      buf[name.size() + 1] = '"';
      buf[name.size() + 2] = ':';
      out_.append(buf, name.size() + 3);
    } else {
      out_ += '"';
      out_ += name;
      out_ += "\":";
    }
    first_ = true;
    return *this;
  }
  /// Writes `"name":` for a name that may come from a log (escaped).
  JsonOut& key_escaped(std::string_view name) {
    sep();
    append_json_quoted(out_, name);
    out_ += ':';
    first_ = true;
    return *this;
  }
  JsonOut& str(std::string_view value) { sep(); append_json_quoted(out_, value); return *this; }
  JsonOut& num(std::int64_t value);
  JsonOut& unum(std::uint64_t value);
  JsonOut& dbl(double value);
  JsonOut& boolean(bool value) { sep(); out_ += value ? "true" : "false"; return *this; }
  JsonOut& null() { sep(); out_ += "null"; return *this; }
  /// Appends already-valid JSON text (e.g. a minified raw record).
  JsonOut& raw(std::string_view json) { sep(); out_ += json; return *this; }
  /// Key and string value, omitted when the value is empty.
  JsonOut& field(std::string_view name, std::string_view value) {
    if (!value.empty()) key(name).str(value);
    return *this;
  }
  JsonOut& time_field(std::string_view name, std::int64_t ms);

 private:
  void sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

}  // namespace aiir
