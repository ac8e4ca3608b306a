// SPDX-License-Identifier: Apache-2.0
/// The one exception type of aiir. Thrown by setup code (bad flags, bad rules,
/// bad profile, unwritable output) and caught once in main, which prints the
/// message and exits 2. The hot path never throws.
#pragma once

#include <stdexcept>
#include <string>

namespace aiir {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace aiir
