#include "multus/delegate_conf.h"

#include <nlohmann/json.hpp>

#include "multus/cni_env.h"
#include "multus/cni_version.h"
#include "multus/json_parse.h"
#include "multus/json_raw.h"

namespace multus {
namespace {

using nlohmann::json;

Status Invalid(std::string msg, std::string details = "") {
  return Status::InvalidConfig(std::move(msg), std::move(details));
}

std::string StringMember(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

bool BoolMember(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> TrueCapabilities(const json& plugin) {
  std::vector<std::string> names;
  auto it = plugin.find("capabilities");
  if (it == plugin.end() || !it->is_object()) return names;
  for (const auto& [name, enabled] : it->items()) {
    if (enabled.is_boolean() && enabled.get<bool>()) names.push_back(name);
  }
  return names;
}

// libcni picks the highest version of `cniVersions` it supports, falling back to cniVersion.
std::string ListVersion(const json& list) {
  std::string best = StringMember(list, "cniVersion");
  auto it = list.find("cniVersions");
  if (it == list.end() || !it->is_array()) return best;
  for (const auto& v : *it) {
    if (!v.is_string() || !IsSupportedVersion(v.get<std::string>())) continue;
    if (best.empty() || CompareVersions(v.get<std::string>(), best) > 0)
      best = v.get<std::string>();
  }
  return best;
}

Result<PluginConf> LoadPlugin(const json& parsed, std::string_view bytes, size_t index) {
  if (!parsed.is_object()) {
    return Invalid("plugin #" + std::to_string(index) + " of the conflist is not an object");
  }
  PluginConf plugin{StringMember(parsed, "type"), std::string(bytes), TrueCapabilities(parsed)};
  if (plugin.type.empty()) {
    return Invalid("a plugin delegate must have the 'type' field",
                   "plugin #" + std::to_string(index) + " has no \"type\"");
  }
  RETURN_IF_ERROR(ValidatePluginType(plugin.type));
  return plugin;
}

Result<DelegateConf> LoadList(const json& parsed, std::string_view bytes) {
  DelegateConf conf{std::string(bytes),
                    true,
                    StringMember(parsed, "name"),
                    ListVersion(parsed),
                    BoolMember(parsed, "disableCheck"),
                    BoolMember(parsed, "disableGC"),
                    {}};
  auto plugins = parsed.find("plugins");
  if (plugins == parsed.end() || !plugins->is_array() || plugins->empty()) {
    return Invalid("delegate must have the 'type' or 'plugins' field",
                   "a conf needs \"type\", a conflist a non-empty \"plugins\" list");
  }
  ASSIGN_OR_RETURN(std::vector<RawMember> members, RawObjectMembers(bytes));
  ASSIGN_OR_RETURN(std::vector<std::string_view> raw_plugins,
                   RawArrayElements(FindRawMember(members, "plugins")));
  for (size_t i = 0; i < raw_plugins.size(); ++i) {
    ASSIGN_OR_RETURN(PluginConf plugin, LoadPlugin((*plugins)[i], raw_plugins[i], i));
    conf.plugins.push_back(std::move(plugin));
  }
  return conf;
}

}  // namespace

Status ValidatePluginType(std::string_view type) {
  if (type.empty()) return Invalid("no plugin name provided");
  if (type.find('/') != std::string_view::npos || type == "." || type == "..") {
    return Invalid("invalid plugin name: " + std::string(type),
                   "\"type\" must be a file name in binDir or CNI_PATH, not a path");
  }
  return OkStatus();
}

Result<DelegateConf> LoadDelegateConf(std::string_view bytes) {
  json parsed;
  try {
    parsed = ParseJson(bytes);
  } catch (const json::exception& e) {
    return Status::Decode(std::string("error parsing delegate config: ") + e.what());
  }
  return LoadDelegateConf(bytes, parsed);
}

Result<DelegateConf> LoadDelegateConf(std::string_view bytes, const nlohmann::json& parsed) {
  if (!parsed.is_object()) return Invalid("delegate config is not a JSON object");
  auto name = parsed.find("name");
  if (name != parsed.end() && !name->is_string())
    return Invalid("delegate \"name\" is not a string");
  std::string type = StringMember(parsed, "type");
  Result<DelegateConf> conf = [&]() -> Result<DelegateConf> {
    if (type.empty()) return LoadList(parsed, bytes);
    RETURN_IF_ERROR(ValidatePluginType(type));
    DelegateConf single{std::string(bytes),
                        false,
                        StringMember(parsed, "name"),
                        StringMember(parsed, "cniVersion"),
                        false,
                        false,
                        {}};
    single.plugins.push_back(PluginConf{type, std::string(bytes), TrueCapabilities(parsed)});
    return single;
  }();
  if (!conf.ok()) return conf;
  if (conf->name.empty()) {
    return Invalid("missing network name", "every delegate conf or conflist needs a \"name\"");
  }
  if (!IsValidCniIdentifier(conf->name)) {
    return Invalid("invalid characters found in network name: \"" + conf->name + "\"");
  }
  if (!IsSupportedVersion(conf->cni_version)) {
    return Status(
        code::kIncompatibleVersion,
        "delegate \"" + conf->name + "\" has unsupported cniVersion \"" + conf->cni_version + "\"",
        "supported: 0.1.0 to 1.1.0");
  }
  return conf;
}

Result<std::string> EditPluginObjects(
    std::string_view config, const std::function<Result<std::string>(std::string_view)>& edit) {
  ASSIGN_OR_RETURN(DelegateConf conf, LoadDelegateConf(config));
  if (!conf.is_list) return edit(config);
  std::string plugins;
  for (const PluginConf& plugin : conf.plugins) {
    ASSIGN_OR_RETURN(std::string edited, edit(plugin.bytes));
    if (!plugins.empty()) plugins += ',';
    plugins += edited;
  }
  return SetRawMembers(config, {{"plugins", "[" + plugins + "]"}});
}

Result<std::string> BuildPluginStdin(
    const DelegateConf& delegate, const PluginConf& plugin, std::string_view capability_args,
    std::string_view prev_result,
    const std::vector<std::pair<std::string, std::string>>& extra_members) {
  std::vector<std::pair<std::string, std::string>> members = {{"name", json(delegate.name).dump()}};
  if (!delegate.cni_version.empty()) {
    members.emplace_back("cniVersion", json(delegate.cni_version).dump());
  }
  if (!plugin.capabilities.empty() && !capability_args.empty()) {
    ASSIGN_OR_RETURN(std::vector<RawMember> offered, RawObjectMembers(capability_args));
    std::string runtime_config;
    for (const std::string& capability : plugin.capabilities) {
      std::string_view value = FindRawMember(offered, capability);
      if (value.empty()) continue;
      // Appended piece by piece: cheaper, and GCC 12 at -O3 misreads `"" + string` (-Wrestrict).
      if (!runtime_config.empty()) runtime_config += ',';
      runtime_config += json(capability).dump();
      runtime_config += ':';
      runtime_config += value;
    }
    if (!runtime_config.empty()) members.emplace_back("runtimeConfig", "{" + runtime_config + "}");
  }
  if (!prev_result.empty()) members.emplace_back("prevResult", std::string(prev_result));
  members.insert(members.end(), extra_members.begin(), extra_members.end());
  return SetRawMembers(plugin.bytes, members);
}

}  // namespace multus
