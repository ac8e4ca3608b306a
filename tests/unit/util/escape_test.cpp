// SPDX-License-Identifier: Apache-2.0
// Tests for the injection-safe escapers in util/escape.h: hostile payloads must not survive live.
#include "util/escape.h"

#include <catch2/catch.hpp>
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using aiir::detail::decode_utf8;
using aiir::detail::is_invisible_format;

// Payloads aimed at the analyst: terminal escapes, hyperlinks, bidi, Markdown,
// HTML, spreadsheet formulas, broken UTF-8.
const std::vector<std::string>& payloads() {
  static const std::vector<std::string> kPayloads = {
      "\x1b[31mRED\x1b[0m",
      "\x1b]8;;http://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
      "\x1b]8;;http://evil\x07link\x1b]8;;\x07",
      "bell\x07" "bell",
      "abc\xe2\x80\xae" "fdp.exe",         // U+202E RIGHT-TO-LEFT OVERRIDE
      "zero\xe2\x80\x8bwidth\xef\xbb\xbf",  // U+200B, U+FEFF
      "tag\xf3\xa0\x80\x81\xf3\xa0\x81\xa1",  // U+E0001, U+E0061 (tag block)
      "isolate\xe2\x81\xa6x\xe2\x81\xa9",   // U+2066 .. U+2069
      "[x](http://evil)",
      "![img](http://evil/?q=secret)",
      "<script>alert(1)</script>",
      "<img src=x onerror=alert(1)>",
      "| table | break |",
      "=HYPERLINK(\"http://evil\")",
      "+cmd|' /C calc'!A0",
      "@SUM(1+1)*cmd|' /C calc'!A0",
      "-2+3",
      "\tleading tab",
      "\rleading cr",
      "line1\nline2\r\nline3",
      "invalid \xff\xfe bytes",
      "overlong \xc0\xaf slash \xe0\x80\xaf and \xf0\x80\x80\xaf",
      "surrogate \xed\xa0\x80 half",
      "truncated \xe2\x82",
      "c1 \xc2\x9b" "31m csi and \xc2\x85 nel",
      "del\x7f",
      std::string("nul\0byte", 8),
      "ls\xe2\x80\xa8ps\xe2\x80\xa9",
      "<https://evil.example>",
      "visit www.evil.example or evil.example/x",
      "mail me: a@evil.example",
      "# heading",
      "> quote",
      "1. list",
      "```fence```",
      "`code` and ``double``",
      "**bold** _it_ ~~strike~~",
      "&lt;not-an-entity&gt; &amp;",
      "'single' \"double\"",
      "\xef\xbc\x9d" "1+1",  // full-width equals sign
      "\\[escaped\\]",
      "$x$ math",
  };
  return kPayloads;
}

std::string all_payloads() {
  std::string s;
  for (const auto& p : payloads()) {
    s += p;
    s += ' ';
  }
  return s;
}

// Walks `s`, failing on anything a terminal or renderer would act on: invalid
// UTF-8, C0 controls (except those in `allowed`), DEL, C1 controls, invisible
// format characters.
void require_inert_characters(const std::string& s, std::string_view allowed = {}) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto step = decode_utf8(p + i, s.size() - i);
    INFO("output: " << s << " at byte " << i);
    REQUIRE(step.valid);
    const char32_t cp = step.code_point;
    if (cp < 0x20) REQUIRE(allowed.find(static_cast<char>(cp)) != std::string_view::npos);
    REQUIRE(cp != 0x7F);
    REQUIRE(!(cp >= 0x80 && cp <= 0x9F));
    REQUIRE(!is_invisible_format(cp));
    i += step.length;
  }
}

// Markdown inline: every Markdown-active character must be backslash-escaped,
// and no autolink trigger may remain.
void require_markdown_inline_inert(const std::string& s) {
  INFO("markdown: " << s);
  require_inert_characters(s);
  std::string unescaped;  // the text with escape pairs removed, to look for autolinks
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      REQUIRE(i + 1 < s.size());
      unescaped += '\x01';  // marks "an escaped char was here", breaks patterns
      ++i;
      continue;
    }
    REQUIRE(std::string_view("`*_[]()<>#|!~&$@").find(c) == std::string_view::npos);
    unescaped += c;
  }
  REQUIRE(unescaped.find("://") == std::string::npos);
  REQUIRE(unescaped.find("www.") == std::string::npos);
  REQUIRE(unescaped.find("evil.example") == std::string::npos);
  if (!unescaped.empty()) {
    REQUIRE(std::string_view("-+=").find(unescaped.front()) == std::string_view::npos);
  }
}

void require_markdown_code_inert(const std::string& s, bool in_table) {
  INFO("code: " << s);
  require_inert_characters(s);
  std::size_t fence = 0;
  while (fence < s.size() && s[fence] == '`') ++fence;
  REQUIRE(fence >= 1);
  REQUIRE(s.size() >= 2 * fence);
  REQUIRE(s.substr(s.size() - fence) == std::string(fence, '`'));
  const std::string inner = s.substr(fence, s.size() - 2 * fence);
  // No backtick run as long as the fence inside, so the span cannot be closed early.
  REQUIRE(inner.find(std::string(fence, '`')) == std::string::npos);
  // The span must not start or end with a backtick next to the fence.
  if (!inner.empty()) {
    REQUIRE(inner.front() != '`');
    REQUIRE(inner.back() != '`');
  }
  if (in_table) {
    for (std::size_t i = 0; i < inner.size(); ++i) {
      if (inner[i] == '|') REQUIRE((i > 0 && inner[i - 1] == '\\'));
    }
  }
}

void require_csv_inert(const std::string& s) {
  INFO("csv: " << s);
  require_inert_characters(s);
  REQUIRE(s.size() >= 2);
  REQUIRE(s.front() == '"');
  REQUIRE(s.back() == '"');
  const std::string inner = s.substr(1, s.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '"') {
      REQUIRE(i + 1 < inner.size());
      REQUIRE(inner[i + 1] == '"');
      ++i;
    }
  }
  if (!inner.empty()) REQUIRE(std::string_view("=+-@\t\r").find(inner.front()) == std::string_view::npos);
  REQUIRE(inner.rfind("\xef\xbc\x9d", 0) == std::string::npos);
}

void require_html_inert(const std::string& s) {
  INFO("html: " << s);
  require_inert_characters(s, "\n\t");
  for (std::size_t i = 0; i < s.size(); ++i) {
    REQUIRE(std::string_view("<>\"'").find(s[i]) == std::string_view::npos);
    if (s[i] == '&') {
      const auto rest = std::string_view(s).substr(i);
      const bool entity = rest.rfind("&amp;", 0) == 0 || rest.rfind("&lt;", 0) == 0 ||
                          rest.rfind("&gt;", 0) == 0 || rest.rfind("&quot;", 0) == 0 ||
                          rest.rfind("&#39;", 0) == 0;
      REQUIRE(entity);
    }
  }
}

void require_json_inert(const std::string& s, const std::string& input, bool repaired) {
  INFO("json: " << s);
  // Printable ASCII plus valid, visible UTF-8 only.
  require_inert_characters(s);
  REQUIRE(s.find("\xe2\x80\xa8") == std::string::npos);
  simdjson::dom::parser parser;
  simdjson::padded_string padded(s);
  auto doc = parser.parse(padded);
  REQUIRE(doc.error() == simdjson::SUCCESS);
  std::string_view value;
  REQUIRE(doc.get_string().get(value) == simdjson::SUCCESS);
  bool expect_repair = false;
  const std::string clean = aiir::sanitize_utf8(input, &expect_repair);
  REQUIRE(repaired == expect_repair);
  REQUIRE(value == clean);  // lossless for valid text, U+FFFD for the rest
}

void check_all_formats(const std::string& input) {
  std::string json;
  const bool repaired = aiir::append_json_string(json, input);
  require_json_inert(json, input, repaired);

  std::string terminal;
  aiir::append_terminal(terminal, input);
  INFO("terminal: " << terminal);
  require_inert_characters(terminal);

  std::string md;
  aiir::append_markdown_inline(md, input);
  require_markdown_inline_inert(md);

  for (bool in_table : {true, false}) {
    std::string code;
    aiir::append_markdown_code(code, input, in_table);
    if (!input.empty()) require_markdown_code_inert(code, in_table);
  }

  std::string csv;
  aiir::append_csv_field(csv, input);
  require_csv_inert(csv);

  std::string html;
  aiir::append_html_text(html, input);
  require_html_inert(html);
}

template <class F>
std::string run(F f, std::string_view text) {
  std::string out;
  f(out, text);
  return out;
}

}  // namespace

TEST_CASE("every payload goes through every escaper without surviving live", "[escape]") {
  for (const auto& payload : payloads()) {
    INFO("payload: " << payload);
    check_all_formats(payload);
  }
  check_all_formats(all_payloads());
  check_all_formats("");
}

TEST_CASE("pseudo-random bytes stay inert in every format", "[escape]") {
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::string alphabet = std::string("\x1b\x07\n\r\t\"'<>&|`*_[]()#!~@=+-:/.w \\\x7f") +
                               "\xc2\x9b\xe2\x80\xae\xff\xfe\xc0\xe0\xf0\xed\xa0\x80\xbf" + "ab";
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const auto len = next() % 24;
    for (std::uint64_t k = 0; k < len; ++k) {
      s += (next() % 3 == 0) ? static_cast<char>(next() & 0xFF) : alphabet[next() % alphabet.size()];
    }
    INFO("round " << round);
    check_all_formats(s);
  }
}

TEST_CASE("escapers render hostile text visibly and readably", "[escape]") {
  auto json = [](std::string& o, std::string_view t) { aiir::append_json_string(o, t); };
  auto term = [](std::string& o, std::string_view t) { aiir::append_terminal(o, t); };
  auto md = [](std::string& o, std::string_view t) { aiir::append_markdown_inline(o, t); };
  auto code = [](std::string& o, std::string_view t) { aiir::append_markdown_code(o, t); };
  auto csv = [](std::string& o, std::string_view t) { aiir::append_csv_field(o, t); };
  auto html = [](std::string& o, std::string_view t) { aiir::append_html_text(o, t); };

  CHECK(run(json, "\x1b[31mx\n") == "\"\\u001b[31mx\\n\"");
  CHECK(run(json, "q\"b\\") == "\"q\\\"b\\\\\"");
  CHECK(run(json, "\xe2\x80\xae") == "\"\\u202e\"");
  CHECK(run(json, "\xf3\xa0\x80\x81") == "\"\\udb40\\udc01\"");
  CHECK(run(json, "caf\xc3\xa9 \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");

  CHECK(run(term, "\x1b[31mred\x07") == "\\e[31mred\\x07");
  CHECK(run(term, "a\xe2\x80\xae" "b") == "a<U+202E>b");
  CHECK(run(term, "\xc2\x9b") == "<U+009B>");
  CHECK(run(term, "\xff\xfe") == "\\xff\\xfe");
  CHECK(run(term, "\xf3\xa0\x80\x81") == "<U+E0001>");
  CHECK(run(term, "caf\xc3\xa9 ok") == "caf\xc3\xa9 ok");

  CHECK(run(md, "[x](http://evil)") == "\\[x\\]\\(http\\://evil\\)");
  CHECK(run(md, "see www.evil.com") == "see www\\.evil\\.com");
  CHECK(run(md, "a@b") == "a\\@b");
  CHECK(run(md, "- item") == "\\- item");
  CHECK(run(md, "1. item") == "1\\. item");
  CHECK(run(md, "x-y 2+2=4. End.") == "x-y 2+2=4. End.");  // near-miss: nothing to escape
  CHECK(run(md, "a\nb") == "a\\nb");
  CHECK(run(md, "\xe2\x80\xae") == "\\<U\\+202E\\>");

  CHECK(run(code, "plain") == "`plain`");
  CHECK(run(code, "a`b") == "``a`b``");
  CHECK(run(code, "`x`") == "`` `x` ``");
  CHECK(run(code, "a|b") == "`a\\|b`");
  CHECK(run(code, "a\nb") == "`a\\nb`");
  std::string no_table;
  aiir::append_markdown_code(no_table, "a|b", false);
  CHECK(no_table == "`a|b`");

  CHECK(run(csv, "=1+1") == "\"'=1+1\"");
  CHECK(run(csv, "-2+3") == "\"'-2+3\"");
  CHECK(run(csv, "@SUM(A1)") == "\"'@SUM(A1)\"");
  CHECK(run(csv, "\tx") == "\"'\\tx\"");
  CHECK(run(csv, "say \"hi\", ok") == "\"say \"\"hi\"\", ok\"");
  CHECK(run(csv, "a\r\nb") == "\"a\\r\\nb\"");
  CHECK(run(csv, "2-1") == "\"2-1\"");  // near-miss: not a leading formula char

  CHECK(run(html, "<script>\"'&") == "&lt;script&gt;&quot;&#39;&amp;");
  CHECK(run(html, "a\xe2\x80\xae") == "a&lt;U+202E&gt;");
  CHECK(run(html, "line\nnext\ttab") == "line\nnext\ttab");
}

TEST_CASE("escapers append to fmt::memory_buffer the same bytes", "[escape]") {
  const std::string input = all_payloads();
  auto to_string = [](const fmt::memory_buffer& b) { return std::string(b.data(), b.size()); };
  std::string s;
  fmt::memory_buffer b;
  CHECK(aiir::append_json_string(s, input) == aiir::append_json_string(b, input));
  CHECK(to_string(b) == s);
  s.clear(); b.clear();
  aiir::append_terminal(s, input); aiir::append_terminal(b, input);
  CHECK(to_string(b) == s);
  s.clear(); b.clear();
  aiir::append_markdown_inline(s, input); aiir::append_markdown_inline(b, input);
  CHECK(to_string(b) == s);
  s.clear(); b.clear();
  aiir::append_markdown_code(s, input); aiir::append_markdown_code(b, input);
  CHECK(to_string(b) == s);
  s.clear(); b.clear();
  aiir::append_csv_field(s, input); aiir::append_csv_field(b, input);
  CHECK(to_string(b) == s);
  s.clear(); b.clear();
  aiir::append_html_text(s, input); aiir::append_html_text(b, input);
  CHECK(to_string(b) == s);
}

TEST_CASE("UTF-8 decoding rejects overlongs, surrogates and out-of-range forms", "[escape]") {
  bool repaired = false;
  CHECK(aiir::sanitize_utf8("ok \xc3\xa9", &repaired) == "ok \xc3\xa9");
  CHECK_FALSE(repaired);
  // C0 AF (overlong '/') is two invalid bytes; E0 80 AF is three; a truncated
  // valid prefix (E2 82) is one maximal subpart.
  CHECK(aiir::sanitize_utf8("\xc0\xaf", &repaired) == "\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(repaired);
  CHECK(aiir::sanitize_utf8("\xe0\x80\xaf") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(aiir::sanitize_utf8("\xe2\x82z") == "\xef\xbf\xbdz");
  CHECK(aiir::sanitize_utf8("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(aiir::sanitize_utf8("\xf4\x90\x80\x80") ==
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(aiir::is_valid_utf8("\xf4\x8f\xbf\xbf"));
  CHECK_FALSE(aiir::is_valid_utf8("\xf4\x90\x80\x80"));
  std::string out;
  CHECK(aiir::append_json_string(out, "a\xffz"));
  CHECK(out == "\"a\xef\xbf\xbdz\"");
}
