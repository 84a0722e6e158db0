// Upstream's format: reference/upstream-behaviour.md §1.g.7.
#include "upstream_plan_cache.h"

#include <string>
#include <utility>
#include <vector>

namespace multus {
namespace {

using cache_json::Corrupt;
using cache_json::DelegateWhere;
using cache_json::Dump;
using cache_json::Json;
using cache_json::Reader;

// Upstream's display name is `Name`; older caches may lack it, so fall back to the CNI name.
std::string UpstreamDisplayName(const Json& item) {
  auto it = item.find("Name");
  if (it != item.end() && it->is_string() && !it->get<std::string>().empty()) {
    return it->get<std::string>();
  }
  for (const char* key : {"ConfList", "Conf"}) {
    auto it = item.find(key);
    if (it == item.end() || !it->is_object()) continue;
    auto name = it->find("name");
    if (name != it->end() && name->is_string() && !name->get<std::string>().empty()) {
      return name->get<std::string>();
    }
  }
  return "";
}

// One element of upstream multus v4's scratch cache (its DelegateNetConf, §1.g.7).
Result<PlannedDelegate> ParseUpstreamDelegate(const Json& item, size_t index,
                                              std::string_view cni_ifname) {
  const std::string where = "upstream " + DelegateWhere(index);
  if (!item.is_object()) return Corrupt(where + "is not an object");
  Reader r(item, where);
  PlannedDelegate d;
  std::string config;
  RETURN_IF_ERROR(r.Base64Member("Bytes", &config, /*required=*/true, "Bytes"));
  d.LoadConfig(std::move(config));
  d.display_name = UpstreamDisplayName(item);
  d.master = index == 0;

  // Upstream's getIfname: explicit request, else CNI_IFNAME for the master, else net<i>.
  std::string ifname_request;
  RETURN_IF_ERROR(r.String("ifnameRequest", &ifname_request));
  if (!ifname_request.empty()) {
    d.ifname = ifname_request;
  } else if (d.master) {
    d.ifname = cni_ifname;
  } else {
    d.ifname = "net" + std::to_string(index);
  }

  std::string mac, guid;
  std::vector<std::string> ips;
  RETURN_IF_ERROR(r.String("macRequest", &mac));
  RETURN_IF_ERROR(r.String("infinibandGUIDRequest", &guid));
  RETURN_IF_ERROR(r.Strings("ipRequest", &ips));
  RETURN_IF_ERROR(r.Strings("default-route", &d.default_route));
  RETURN_IF_ERROR(r.String("deviceID", &d.device_id));
  RETURN_IF_ERROR(r.String("resourceName", &d.resource_name));

  // Upstream offers only non-empty values as capability args (§1.g.2).
  Json caps = Json::object();
  if (!mac.empty()) caps["mac"] = mac;
  if (!ips.empty()) caps["ips"] = ips;
  if (!guid.empty()) caps["infinibandGUID"] = guid;
  if (!d.device_id.empty()) caps["deviceID"] = d.device_id;
  d.capability_args = Dump(caps);

  // Upstream appends MAC= then IP= to CNI_ARGS on ADD; keep the plan equivalent.
  if (!mac.empty()) d.add_cni_args.emplace_back("MAC", mac);
  if (!ips.empty()) {
    std::string joined;
    for (const auto& ip : ips) joined += (joined.empty() ? "" : ",") + ip;
    d.add_cni_args.emplace_back("IP", joined);
  }
  return d;
}

}  // namespace

Result<NetworkPlan> ParseUpstreamPlan(const Json& doc, std::string_view container_id,
                                      std::string_view netns, std::string_view cni_ifname) {
  if (doc.empty()) return Corrupt("upstream scratch cache: the delegate list is empty");
  NetworkPlan plan;
  plan.container_id = container_id;
  plan.netns = netns;
  plan.from_upstream = true;
  for (size_t i = 0; i < doc.size(); ++i) {
    ASSIGN_OR_RETURN(PlannedDelegate d, ParseUpstreamDelegate(doc[i], i, cni_ifname));
    plan.delegates.push_back(std::move(d));
  }
  return plan;
}

}  // namespace multus
