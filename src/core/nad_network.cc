#include "multus/nad_network.h"

#include <nlohmann/json.hpp>
#include <string>

#include "multus/delegate_conf.h"
#include "multus/device_info.h"
#include "multus/json_parse.h"
#include "multus/json_raw.h"

namespace multus {
namespace {

using nlohmann::json;

Status Invalid(std::string msg) { return Status::InvalidConfig(std::move(msg)); }

}  // namespace

Result<ResolvedNetwork> NetworkFromNad(const Nad& nad, const NetConf& conf) {
  ResolvedNetwork network;
  network.display_name = nad.namespace_name + "/" + nad.name;
  auto resource = nad.annotations.find(std::string(kResourceNameAnnotation));
  if (resource != nad.annotations.end()) network.resource_name = resource->second;
  if (nad.config.empty()) {
    // The NAD name is a validated DNS name, and FindConfigByName only reads confDir's files.
    Result<ResolvedNetwork> file = FindConfigByName(conf.conf_dir, nad.name);
    if (!file.ok())
      return file.status().Prefixed("NAD " + network.display_name + " has no spec.config");
    network.conf = std::move(file->conf);
    return network;
  }
  json parsed;
  try {
    parsed = ParseJson(nad.config);
  } catch (const json::exception& e) {
    return Invalid("NAD " + network.display_name + ": spec.config is not valid JSON: " + e.what());
  }
  if (!parsed.is_object())
    return Invalid("NAD " + network.display_name + ": spec.config is not an object");
  std::string bytes = nad.config;
  if (!parsed.contains("name") || parsed["name"] == "") {
    ASSIGN_OR_RETURN(bytes, SetRawMembers(nad.config, {{"name", json(nad.name).dump()}}));
    parsed["name"] = nad.name;  // still the document `bytes` hold
  }
  Result<DelegateConf> delegate = LoadDelegateConf(bytes, parsed);
  if (!delegate.ok()) return delegate.status().Prefixed("NAD " + network.display_name);
  network.conf = std::move(delegate).value();
  return network;
}

}  // namespace multus
