// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the libFuzzer targets: touch every byte a view points to,
// so AddressSanitizer sees a dangling or out-of-bounds view at once.
#pragma once

#include <aiir/event.h>

#include <cstdint>
#include <string_view>

namespace aiir::fuzz {

/// Folds every byte of `s` into `acc` (forces reads through the view).
inline std::uint64_t touch(std::uint64_t acc, std::string_view s) noexcept {
  for (char c : s) acc = acc * 1099511628211ULL ^ static_cast<unsigned char>(c);
  return acc + s.size();
}

/// Reads every string an event points to, and its resources.
inline std::uint64_t touch(std::uint64_t acc, const EventView& ev) noexcept {
  for (std::string_view s :
       {ev.account, ev.region, ev.inference_region, ev.actor_arn, ev.actor_type, ev.principal_id, ev.user_name,
        ev.actor_account, ev.session_issuer, ev.access_key_id, ev.invoked_by, ev.source_ip, ev.user_agent,
        ev.service, ev.action, ev.event_type, ev.event_category, ev.error_code, ev.error_message, ev.request_id,
        ev.event_id, ev.model_id, ev.file})
    acc = touch(acc, s);
  for (const ResourceView& r : ev.resources) acc = touch(touch(acc, r.type), r.arn);
  return acc ^ static_cast<std::uint64_t>(ev.time_ms);
}

/// Keeps the optimizer from dropping the reads.
inline void sink(std::uint64_t v) noexcept {
  static volatile std::uint64_t g;
  g = v;
}

}  // namespace aiir::fuzz
