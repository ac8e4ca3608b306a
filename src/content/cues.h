// SPDX-License-Identifier: Apache-2.0
// Shared by the content checks that judge a hit or a turn by the words around
// it (quoted.cpp, conversation.cpp): how their cue patterns are compiled and
// matched.
#pragma once

#include <re2/re2.h>

#include <string_view>

namespace aiir::content::detail {

/// Cue patterns: case-insensitive (the canonical text is case-folded; this
/// forgives the rest), quiet on errors (a bad pattern is a test failure), 8 MiB of DFA.
inline RE2::Options cue_options() {
  RE2::Options o;
  o.set_case_sensitive(false);
  o.set_log_errors(false);
  o.set_max_mem(8 << 20);
  return o;
}

/// True when `re` matches somewhere in `text`.
inline bool has(const RE2& re, std::string_view text) { return !text.empty() && RE2::PartialMatch(text, re); }

}  // namespace aiir::content::detail
