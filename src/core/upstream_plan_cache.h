// Reader of upstream multus v4's scratch cache (a JSON array of its DelegateNetConf),
// so a node can switch binaries with pods running.
#pragma once

#include <string_view>

#include "cache_json.h"
#include "multus/network_plan.h"

namespace multus {

// `doc` is the parsed array. Interface names are recomputed with upstream's rule; code 101
// (corrupt cache) naming the element and member on anything unreadable.
Result<NetworkPlan> ParseUpstreamPlan(const cache_json::Json& doc, std::string_view container_id,
                                      std::string_view netns, std::string_view cni_ifname);

}  // namespace multus
