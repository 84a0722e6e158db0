// The scratch cache's format: the NetworkPlan as ADD saved it (docs/cache-format.md).
#pragma once

#include <string>
#include <string_view>

#include "multus/network_plan.h"
#include "multus/status.h"

namespace multus {

// Serializes a plan in our scratch-cache format ("kind": "multusPlanV1").
std::string SerializePlan(const NetworkPlan& plan);

// Parses a scratch cache: ours, or upstream multus v4's (a JSON array of delegate objects
// with base64 `Bytes`). For upstream's format, interface names are recomputed with its rule
// (ifnameRequest, else `cni_ifname` for index 0, else net<index>), and `container_id` and
// `netns` fill what it does not store. Code 101 (corrupt cache) on anything unreadable.
Result<NetworkPlan> ParsePlanCache(std::string_view bytes, std::string_view container_id,
                                   std::string_view netns, std::string_view cni_ifname);

}  // namespace multus
