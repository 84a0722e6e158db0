// The scratch cache: our format (docs/cache-format.md), and upstream's on read.
#include "multus/plan_cache.h"

#include <string>
#include <utility>

#include "cache_json.h"
#include "multus/json_parse.h"
#include "upstream_plan_cache.h"

namespace multus {
namespace {

using cache_json::Corrupt;
using cache_json::DelegateWhere;
using cache_json::Dump;
using cache_json::EmbedObjectText;
using cache_json::Json;
using cache_json::KeyValuesToJson;
using cache_json::PutConfig;
using cache_json::Reader;
using cache_json::TypeName;

constexpr std::string_view kPlanKind = "multusPlanV1";

Result<PlannedDelegate> ParseOurDelegate(const Json& item, size_t index) {
  if (!item.is_object()) return Corrupt(DelegateWhere(index) + "is not an object");
  Reader r(item, DelegateWhere(index));
  PlannedDelegate d;
  RETURN_IF_ERROR(r.String("name", &d.display_name));
  RETURN_IF_ERROR(r.String("ifname", &d.ifname, /*required=*/true));
  if (d.ifname.empty()) return Corrupt(DelegateWhere(index) + "\"ifname\" is empty");
  RETURN_IF_ERROR(r.Bool("master", &d.master));
  std::string config;
  RETURN_IF_ERROR(r.Config("config", &config));
  d.LoadConfig(std::move(config));
  RETURN_IF_ERROR(r.ObjectText("capabilityArgs", &d.capability_args, "{}"));
  RETURN_IF_ERROR(r.Pairs("addCniArgs", &d.add_cni_args));
  RETURN_IF_ERROR(r.Strings("defaultRoute", &d.default_route));
  RETURN_IF_ERROR(r.String("deviceID", &d.device_id));
  RETURN_IF_ERROR(r.String("resourceName", &d.resource_name));
  RETURN_IF_ERROR(r.Bool("delDone", &d.del_done));
  RETURN_IF_ERROR(r.Count("delFailures", &d.del_failures));
  return d;
}

Result<NetworkPlan> ParseOurPlan(const Json& doc, std::string_view container_id,
                                 std::string_view netns) {
  const std::string where = "scratch cache: ";
  Reader r(doc, where);
  std::string kind;
  RETURN_IF_ERROR(r.String("kind", &kind, /*required=*/true));
  if (kind != kPlanKind) {
    return Corrupt("scratch cache: unknown kind \"" + kind + "\" (expected \"" +
                   std::string(kPlanKind) + "\")");
  }
  NetworkPlan plan;
  RETURN_IF_ERROR(r.String("containerId", &plan.container_id));
  RETURN_IF_ERROR(r.String("netns", &plan.netns));
  if (plan.container_id.empty()) plan.container_id = container_id;
  if (plan.netns.empty()) plan.netns = netns;
  if (const Json* pod = r.Find("pod")) {
    if (!pod->is_object()) return Corrupt(where + "\"pod\" must be an object");
    Reader p(*pod, "scratch cache pod: ");
    RETURN_IF_ERROR(p.String("namespace", &plan.pod_namespace));
    RETURN_IF_ERROR(p.String("name", &plan.pod_name));
    RETURN_IF_ERROR(p.String("uid", &plan.pod_uid));
  }
  const Json* delegates = r.Find("delegates");
  if (delegates == nullptr) return Corrupt(where + "\"delegates\" is missing");
  if (!delegates->is_array()) return Corrupt(where + "\"delegates\" must be an array");
  if (delegates->empty()) return Corrupt(where + "\"delegates\" is empty");
  for (size_t i = 0; i < delegates->size(); ++i) {
    ASSIGN_OR_RETURN(PlannedDelegate d, ParseOurDelegate((*delegates)[i], i));
    plan.delegates.push_back(std::move(d));
  }
  return plan;
}

}  // namespace

std::string SerializePlan(const NetworkPlan& plan) {
  Json doc = Json::object();
  doc["kind"] = kPlanKind;
  doc["containerId"] = plan.container_id;
  doc["netns"] = plan.netns;
  doc["pod"] = {{"namespace", plan.pod_namespace}, {"name", plan.pod_name}, {"uid", plan.pod_uid}};
  Json delegates = Json::array();
  for (const PlannedDelegate& d : plan.delegates) {
    Json item = Json::object();
    item["name"] = d.display_name;
    item["ifname"] = d.ifname;
    item["master"] = d.master;
    PutConfig(item, "config", d.conf.bytes);
    item["capabilityArgs"] = EmbedObjectText(d.capability_args);
    item["addCniArgs"] = KeyValuesToJson(d.add_cni_args);
    if (!d.default_route.empty()) item["defaultRoute"] = d.default_route;
    if (!d.device_id.empty()) item["deviceID"] = d.device_id;
    if (!d.resource_name.empty()) item["resourceName"] = d.resource_name;
    if (d.del_done) item["delDone"] = true;
    if (d.del_failures > 0) item["delFailures"] = d.del_failures;
    delegates.push_back(std::move(item));
  }
  doc["delegates"] = std::move(delegates);
  return Dump(doc);
}

Result<NetworkPlan> ParsePlanCache(std::string_view bytes, std::string_view container_id,
                                   std::string_view netns, std::string_view cni_ifname) {
  try {
    Json doc = ParseJson<Json>(bytes, kMaxOwnFileJsonDepth);
    if (doc.is_object()) return ParseOurPlan(doc, container_id, netns);
    if (doc.is_array()) return ParseUpstreamPlan(doc, container_id, netns, cni_ifname);
    return Corrupt(std::string("scratch cache: expected a JSON object or array, got ") +
                   TypeName(doc));
  } catch (const Json::exception& e) {
    return Corrupt(std::string("scratch cache is not valid JSON: ") + e.what());
  }
}

}  // namespace multus
