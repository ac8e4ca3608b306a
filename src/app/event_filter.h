// SPDX-License-Identifier: Apache-2.0
// Pivot filters of `aiir events` (--principal, --key, --ip, --action): after
// triage names a key, a principal or an address, everything it did.
#pragma once

#include <aiir/event.h>

#include <string>
#include <vector>

namespace aiir {

/// Values of one flag are alternatives; flags given together must all match.
/// An empty filter keeps every event.
struct EventFilter {
  std::vector<std::string> principals;  ///< `*`/`?` patterns on the actor ARN or its role (session issuer)
  std::vector<std::string> keys;        ///< access key ids, exact
  std::vector<std::string> ips;         ///< source addresses or CIDRs
  std::vector<std::string> actions;     ///< `*`/`?` patterns on eventName, or on "service:eventName"

  bool empty() const noexcept { return principals.empty() && keys.empty() && ips.empty() && actions.empty(); }
  /// Throws aiir::Error (a usage error) for a value that can never match: an --ip that is no address or CIDR.
  void validate() const;
  /// Thread-safe (no state); called on worker threads.
  bool matches(const EventView& event) const;
};

}  // namespace aiir
