// SPDX-License-Identifier: Apache-2.0
// Test support: hostile payloads and the checks that nothing of them survives live in an output.
#pragma once

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "util/escape.h"

namespace aiir::testing {

/// Every payload at once: CSI colour, OSC 8 hyperlink (BEL and ST terminated),
/// title set, BEL, bidi override U+202E, zero-width U+200B, BOM, a C1 CSI,
/// Markdown link and image, HTML script and img, a table break, newline plus
/// heading, spreadsheet formulas, tab, CR, NUL-free invalid UTF-8.
inline const std::string kHostileCore =
    "\x1b[31mRED\x1b[0m \x1b]8;;http://evil.example/\x07" "click\x1b]8;;\x07 \x1b]8;;http://evil/\x1b\\st\x1b]8;;\x1b\\ "
    "\x1b]0;title\x07 \x07" "bell \xe2\x80\xae" "fdp.exe \xe2\x80\x8bzw \xef\xbb\xbf \xc2\x9b" "31m "
    "[x](http://evil) ![i](http://evil/?q=s) <script>alert(1)</script> <img src=x onerror=alert(1)> "
    "| a | b | \n# heading\n## sub \t tab \r cr =HYPERLINK(\"http://evil\") \xff\xfe\xc0\xaf end";

/// Variants that each start with a different formula / control lead, so CSV
/// cells are tested for every lead character.
inline std::vector<std::string> hostile_payloads() {
  std::vector<std::string> out;
  for (std::string_view lead : {"=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
                                "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "\x1b[2J", "# heading",
                                "[x](http://evil)", "<script>alert(1)</script>", "| a | b |", "\xe2\x80\xae" "abc"})
    out.push_back(std::string(lead) + " " + kHostileCore);
  return out;
}

/// True for the code points a terminal or renderer would act on or hide.
inline bool is_live_code_point(char32_t cp, bool allow_tab) {
  if (cp == '\n') return false;
  if (cp == '\t') return !allow_tab;
  if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) return true;
  return aiir::detail::is_invisible_format(cp);
}

/// Text that lands on a terminal, in Markdown or CSV: valid UTF-8, no
/// control characters but LF, no invisible or bidi format characters.
inline void check_no_live_bytes(std::string_view text, std::string_view where, bool allow_tab = false) {
  INFO(where);
  REQUIRE(aiir::is_valid_utf8(text));
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0;
  while (i < text.size()) {
    aiir::detail::Utf8Step s = aiir::detail::decode_utf8(p + i, text.size() - i);
    REQUIRE(s.valid);
    if (is_live_code_point(s.code_point, allow_tab)) {
      INFO("live code point U+" << std::hex << static_cast<unsigned>(s.code_point) << " at byte " << std::dec << i
                                << " near: " << std::string(text.substr(i > 40 ? i - 40 : 0, 80)));
      FAIL_CHECK("live control or format character");
      return;
    }
    i += s.length;
  }
}

/// Markdown: outside code spans, no unescaped `<`, `](`, `![`, no raw URL
/// scheme; no injected heading line; table rows keep their column count.
inline void check_markdown_inert(std::string_view md) {
  check_no_live_bytes(md, "markdown");
  std::size_t header_pipes = 0;
  std::size_t line_start = 0;
  while (line_start < md.size()) {
    std::size_t end = md.find('\n', line_start);
    if (end == std::string_view::npos) end = md.size();
    std::string_view line = md.substr(line_start, end - line_start);
    line_start = end + 1;
    INFO("line: " << std::string(line));
    CHECK(line.rfind("# heading", 0) != 0);
    CHECK(line.rfind("## sub", 0) != 0);
    if (!line.empty() && line[0] == '#') {
      bool ours = line.rfind("# aiir", 0) == 0 || line.rfind("## ", 0) == 0 || line.rfind("### ", 0) == 0 ||
                  line.rfind("#### [", 0) == 0;
      CHECK(ours);
    }
    // Outside code spans.
    std::size_t pipes = 0;
    for (std::size_t i = 0; i < line.size();) {
      char c = line[i];
      if (c == '\\') {  // an escaped character is literal
        i += 2;
        continue;
      }
      if (c == '|') ++pipes;
      if (c == '`') {
        std::size_t run = 0;
        while (i + run < line.size() && line[i + run] == '`') ++run;
        std::string fence(run, '`');
        std::size_t close = line.find(fence, i + run);
        REQUIRE(close != std::string_view::npos);  // a code span never runs past its line
        for (std::size_t k = i + run; k < close; ++k)  // GFM splits cells on unescaped pipes even in code
          if (line[k] == '|' && line[k - 1] != '\\') ++pipes;
        i = close + run;
        continue;
      }
      CHECK(c != '<');
      if (c == ']') CHECK((i + 1 >= line.size() || line[i + 1] != '('));
      if (c == '!') CHECK((i + 1 >= line.size() || line[i + 1] != '['));
      if (c == ':') CHECK(line.substr(i, 3) != "://");
      ++i;
    }
    if (!line.empty() && line[0] == '|') {
      if (line.rfind("|---", 0) == 0 || header_pipes == 0) header_pipes = pipes;
      else CHECK(pipes == header_pipes);
    } else {
      header_pipes = 0;
    }
  }
}

/// JSON text: parses, no raw ESC/BEL/controls or invisible characters (all escaped).
inline void check_json_document(std::string_view json, std::string_view where) {
  INFO(where);
  check_no_live_bytes(json, where);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  auto err = parser.parse(json.data(), json.size()).get(doc);
  INFO(std::string(json.substr(0, 300)));
  CHECK(err == simdjson::SUCCESS);
}

inline void check_jsonl(std::string_view text, std::string_view where) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    REQUIRE(end != std::string_view::npos);
    check_json_document(text.substr(start, end - start), where);
    start = end + 1;
  }
}

/// CSV: one record per line, every field quoted or numeric, no formula lead.
inline void check_csv(std::string_view csv, std::size_t columns) {
  check_no_live_bytes(csv, "csv");
  std::size_t start = 0;
  bool header = true;
  while (start < csv.size()) {
    std::size_t end = csv.find('\n', start);
    REQUIRE(end != std::string_view::npos);
    std::string_view line = csv.substr(start, end - start);
    start = end + 1;
    INFO("csv line: " << std::string(line));
    std::vector<std::string> fields;
    std::string cur;
    bool quoted = false, in_q = false;
    for (std::size_t i = 0; i <= line.size(); ++i) {
      char c = i < line.size() ? line[i] : ',';
      if (in_q) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
        else if (c == '"') in_q = false;
        else cur += c;
        continue;
      }
      if (c == '"' && cur.empty()) {
        in_q = quoted = true;
        continue;
      }
      if (c == ',') {
        if (!header && !quoted && !cur.empty()) {  // unquoted: our numbers and times only
          bool ok = true;
          for (char d : cur) ok = ok && ((d >= '0' && d <= '9') || d == '-' || d == ':' || d == 'T' || d == 'Z' || d == '.');
          CHECK(ok);
        }
        fields.push_back(cur);
        cur.clear();
        quoted = false;
        continue;
      }
      cur += c;
    }
    CHECK(!in_q);
    CHECK(fields.size() == columns);
    if (!header)
      for (const std::string& f : fields) {
        INFO("field: " << f);
        CHECK((f.empty() || (f[0] != '=' && f[0] != '+' && f[0] != '-' && f[0] != '@' && f[0] != '\t' && f[0] != '\r')));
      }
    header = false;
  }
}

}  // namespace aiir::testing
