// default-route: the pod's default gateway moved to the network that asked for it.
#pragma once

#include <string>
#include <vector>

#include "multus/network_plan.h"
#include "multus/status.h"

namespace multus {

// One family's request: default route via `gateway` on `ifname`.
struct GatewayRequest {
  std::string ifname;
  std::string gateway;
  bool ipv6 = false;
};

// The requests of a plan (at most one per family; the plan was checked for ECMP).
std::vector<GatewayRequest> GatewayRequests(const NetworkPlan& plan);

// Rewrites a result (JSON text, any version) for the requests: every default route of a
// requested family is removed (0.0.0.0/0, ::/0 and their spellings), and on the requesting
// interface's own result the requested one is added. Routes that are not defaults are kept.
Result<std::string> RewriteResultRoutes(const std::string& text, const std::string& ifname,
                                        const std::vector<GatewayRequest>& requests);

// In the pod netns (netlink): deletes every default route of each requested family from the
// main table, then adds the requested gateway on its interface. Code 5 on netlink failure.
Status ApplyDefaultRoutes(const std::string& netns_path,
                          const std::vector<GatewayRequest>& requests);

}  // namespace multus
