// SPDX-License-Identifier: Apache-2.0
// Whether the loops that have a 64-byte AVX-512 version beside their portable
// one may use it.
#pragma once

#include <cstdlib>

namespace aiir {

/// True when the CPU runs AVX-512 F, BW and DQ (every AVX-512 CPU but the Xeon
/// Phi has the three), for the text normalizer, the secrets prefilters and the
/// prompt model's hashing, whose wide loops give the same results as their
/// portable ones. AIIR_NO_AVX512 in the environment (any value) says no, so
/// that the portable loops run, and are tested (tests/cli/portable_test.sh), on
/// a machine that has AVX-512. Asked once per process.
inline bool cpu_has_avx512() noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool yes = std::getenv("AIIR_NO_AVX512") == nullptr && __builtin_cpu_supports("avx512f") &&
                          __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  return yes;
#else
  return false;
#endif
}

}  // namespace aiir
