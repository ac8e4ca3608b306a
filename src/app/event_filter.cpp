// SPDX-License-Identifier: Apache-2.0
#include "app/event_filter.h"

#include <aiir/error.h>
#include <aiir/profile.h>

#include <algorithm>

#include "analyzers/scope.h"
#include "profile/profile_detail.h"

namespace aiir {

void EventFilter::validate() const {
  for (const std::string& ip : ips)
    if (!detail::is_valid_cidr(ip)) throw Error("--ip '" + ip + "': not an IPv4/IPv6 address or CIDR");
}

bool EventFilter::matches(const EventView& e) const {
  auto any = [](const std::vector<std::string>& values, auto&& test) {
    return values.empty() || std::any_of(values.begin(), values.end(), test);
  };
  if (!any(keys, [&](const std::string& k) { return !e.access_key_id.empty() && e.access_key_id == k; })) return false;
  if (!any(ips, [&](const std::string& cidr) { return !e.source_ip.empty() && ip_in_cidr(e.source_ip, cidr); }))
    return false;
  if (!any(principals, [&](const std::string& p) {
        return (!e.actor_arn.empty() && wildcard_match(p, e.actor_arn)) ||
               (!e.session_issuer.empty() && wildcard_match(p, e.session_issuer));
      }))
    return false;
  return any(actions, [&](const std::string& a) {
    if (a.find(':') == std::string::npos) return wildcard_match(a, e.action);
    std::string qualified(detail::short_service(e.service));
    qualified.append(1, ':').append(e.action);
    return wildcard_match(a, qualified);
  });
}

}  // namespace aiir
