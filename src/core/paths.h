// SPDX-License-Identifier: Apache-2.0
// Where the shipped data files (rules/) are found at run time.
#pragma once

#include <string>
#include <string_view>

namespace aiir {

/// Finds `rel` (e.g. "sigma", "bedrock-prices.yaml") in the rules folder:
/// $AIIR_RULES_DIR, then <exe>/../share/aiir/rules, then the source tree's
/// rules/. Returns the first that exists, or "" when none does.
std::string find_rules_path(std::string_view rel);

}  // namespace aiir
