#include "multus/default_route.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "multus/cni_version.h"

namespace multus {
namespace {

using nlohmann::json;

bool IsIPv6(const std::string& ip) {
  in6_addr addr;
  return inet_pton(AF_INET6, ip.c_str(), &addr) == 1;
}

// True for a default route of the given family, however it is spelled (W3).
bool IsDefaultRoute(const json& route, bool ipv6) {
  std::string dst = route.value("dst", "");
  size_t slash = dst.find('/');
  if (slash == std::string::npos || dst.substr(slash + 1) != "0") return false;
  std::string address = dst.substr(0, slash);
  return IsIPv6(address) == ipv6;
}

void FilterRoutes(json& routes, const std::vector<GatewayRequest>& requests) {
  json kept = json::array();
  for (const json& route : routes) {
    bool drop = false;
    for (const GatewayRequest& request : requests)
      drop = drop || IsDefaultRoute(route, request.ipv6);
    if (!drop) kept.push_back(route);
  }
  routes = kept;
}

json DefaultRoute(const GatewayRequest& request) {
  return {{"dst", request.ipv6 ? "::/0" : "0.0.0.0/0"}, {"gw", request.gateway}};
}

// 0.1.0/0.2.0 results keep routes per family under ip4/ip6.
void RewriteLegacy(json& result, const std::string& ifname,
                   const std::vector<GatewayRequest>& requests) {
  for (const GatewayRequest& request : requests) {
    const char* key = request.ipv6 ? "ip6" : "ip4";
    if (!result.contains(key)) continue;
    json& family = result[key];
    json routes = family.value("routes", json::array());
    FilterRoutes(routes, {request});
    if (request.ifname == ifname) routes.push_back(DefaultRoute(request));
    if (routes.empty()) {
      family.erase("routes");
    } else {
      family["routes"] = routes;
    }
  }
}

}  // namespace

std::vector<GatewayRequest> GatewayRequests(const NetworkPlan& plan) {
  std::vector<GatewayRequest> requests;
  for (const PlannedDelegate& delegate : plan.delegates) {
    for (const std::string& gateway : delegate.default_route) {
      requests.push_back({delegate.ifname, gateway, IsIPv6(gateway)});
    }
  }
  return requests;
}

Result<json> RewriteResultRoutes(json result, const std::string& ifname,
                                 const std::vector<GatewayRequest>& requests) {
  try {
    if (!VersionAtLeast(result.value("cniVersion", ""), "0.3.0")) {
      RewriteLegacy(result, ifname, requests);
      return result;
    }
    json routes = result.value("routes", json::array());
    FilterRoutes(routes, requests);
    for (const GatewayRequest& request : requests) {
      if (request.ifname == ifname) routes.push_back(DefaultRoute(request));
    }
    if (routes.empty()) {
      result.erase("routes");
    } else {
      result["routes"] = routes;
    }
    return result;
  } catch (const json::exception& e) {
    return Status::Decode(std::string("cannot rewrite routes of a result: ") + e.what());
  }
}

}  // namespace multus
