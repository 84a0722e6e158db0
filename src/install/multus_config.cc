#include "multus_config.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "multus/cni_version.h"
#include "multus/json_parse.h"
#include "multus/log.h"
#include "multus/multus_type.h"

namespace multus::install {
namespace {

using Json = nlohmann::ordered_json;

Status Invalid(std::string msg, std::string details = "") {
  return Status(code::kInvalidConfig, std::move(msg), std::move(details));
}

std::string_view Trim(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 BOM
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool IsMultusPlugin(const Json& conf) {
  auto it = conf.find("type");
  return it != conf.end() && it->is_string() && IsMultusType(it->get_ref<const std::string&>());
}

// Adds the capabilities of one plugin to `caps`. A capability is on if any plugin turns it on.
Status MergeCapabilities(const Json& plugin, std::string_view where,
                         std::map<std::string, bool>* caps) {
  auto it = plugin.find("capabilities");
  if (it == plugin.end()) return OkStatus();
  if (!it->is_object()) return Invalid(std::string(where) + ".capabilities must be an object");
  for (const auto& [name, value] : it->items()) {
    if (!value.is_boolean()) {
      return Invalid(std::string(where) + ".capabilities." + name + " must be true or false");
    }
    caps->try_emplace(name, false).first->second |= value.get<bool>();
  }
  return OkStatus();
}

std::string Sentinel() {
  std::random_device device;
  std::uniform_int_distribution<uint64_t> dist;
  return "@multus-install-master-" + std::to_string(dist(device)) + "@";
}

}  // namespace

Result<int> CompareCniVersions(std::string_view a, std::string_view b) {
  for (std::string_view version : {a, b}) {
    if (!IsWellFormedVersion(version)) {
      return Invalid("invalid cniVersion \"" + std::string(version) + "\"");
    }
  }
  return CompareVersions(a, b);
}

Result<std::string> NormalizeLogLevel(std::string_view level) {
  // Exactly the levels the plugin accepts (multus/log.h).
  if (!level.empty() && !log::ParseLevel(level).ok()) {
    return Invalid(
        "--multus-log-level should be one of debug, verbose, warning, error, panic; got \"" +
        std::string(level) + "\"");
  }
  std::string lower(level);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return lower;
}

Result<RenderedConfig> RenderMultusConfig(std::string_view master_text,
                                          const ConfigSettings& settings) {
  std::string_view raw_master = Trim(master_text);
  Json master;
  try {
    master = ParseJson<Json>(raw_master);
  } catch (const Json::exception& e) {
    return Status(code::kDecode, std::string("master CNI config is not valid JSON: ") + e.what());
  }
  if (!master.is_object()) return Invalid("master CNI config is not a JSON object");

  auto version_it = master.find("cniVersion");
  if (version_it == master.end() || !version_it->is_string()) {
    return Invalid("master CNI config has no string \"cniVersion\"");
  }
  std::string version = version_it->get<std::string>();

  std::string embedded(raw_master);
  if (settings.force_cni_version && !settings.cni_version.empty()) {
    version = settings.cni_version;
    master["cniVersion"] = version;
    embedded = master.dump();
  } else if (!settings.cni_version.empty() && settings.cni_version != version) {
    return Invalid("the multus cniVersion is \"" + settings.cni_version +
                       "\" but the master CNI config's is \"" + version + "\"",
                   "make --cni-version match the master config, or leave it empty");
  }
  auto cmp = CompareCniVersions(version, "1.0.0");
  if (!cmp.ok()) return cmp.status();

  // The union of capabilities, and a guard against wrapping a multus config in another.
  std::map<std::string, bool> caps;
  if (IsMultusPlugin(master)) return Invalid("master CNI config is a multus config itself");
  if (auto plugins = master.find("plugins"); plugins != master.end()) {
    if (!plugins->is_array()) return Invalid("master CNI config: \"plugins\" must be a list");
    for (size_t i = 0; i < plugins->size(); ++i) {
      const Json& plugin = (*plugins)[i];
      std::string where = "plugins[" + std::to_string(i) + "]";
      if (!plugin.is_object()) return Invalid("master CNI config: " + where + " is not an object");
      if (IsMultusPlugin(plugin)) return Invalid("master CNI config is a multus config itself");
      RETURN_IF_ERROR(MergeCapabilities(plugin, where, &caps));
    }
  } else {
    RETURN_IF_ERROR(MergeCapabilities(master, "master", &caps));
  }

  std::string name(kDefaultNetworkName);
  if (settings.override_network_name) {
    auto it = master.find("name");
    if (it == master.end() || !it->is_string() || it->get<std::string>().empty()) {
      return Invalid("--override-network-name: the master CNI config has no string \"name\"");
    }
    name = it->get<std::string>();
  }

  // The multus plugin entry, in the order upstream writes its keys.
  Json plugin = Json::object();
  plugin["type"] = "multus";
  if (!caps.empty()) {
    Json caps_json = Json::object();
    for (const auto& [cap, on] : caps) caps_json[cap] = on;
    plugin["capabilities"] = caps_json;
  }
  if (settings.namespace_isolation) plugin["namespaceIsolation"] = true;
  if (!settings.global_namespaces.empty()) {
    plugin["globalNamespaces"] = settings.global_namespaces;
  }
  if (!settings.log_to_stderr) plugin["logToStderr"] = false;
  if (!settings.log_level.empty()) plugin["logLevel"] = settings.log_level;
  if (!settings.log_file.empty()) plugin["logFile"] = settings.log_file;
  if (!settings.bin_dir.empty()) plugin["binDir"] = settings.bin_dir;
  if (!settings.conf_dir.empty()) plugin["confDir"] = settings.conf_dir;
  if (!settings.readiness_indicator_file.empty()) {
    plugin["readinessindicatorfile"] = settings.readiness_indicator_file;
  }
  plugin["kubeconfig"] = settings.kubeconfig;
  // The master goes in as a placeholder string, replaced by its own bytes after dump().
  const std::string sentinel = Sentinel();
  plugin["delegates"] = Json::array({sentinel});

  RenderedConfig out;
  out.cni_version = version;
  Json doc = Json::object();
  doc["cniVersion"] = version;
  doc["name"] = name;
  if (cmp.value() >= 0) {
    out.file_name = kConflistFileName;
    out.stale_file_name = kConfFileName;
    doc["plugins"] = Json::array({plugin});
  } else {
    out.file_name = kConfFileName;
    out.stale_file_name = kConflistFileName;
    plugin.erase("type");
    doc["type"] = "multus";
    doc.update(plugin);
  }

  std::string text = doc.dump(4);
  const std::string quoted = "\"" + sentinel + "\"";
  size_t at = text.find(quoted);
  if (at == std::string::npos || text.find(quoted, at + 1) != std::string::npos) {
    return Status(code::kInternal, "could not place the master config in the multus config");
  }
  text.replace(at, quoted.size(), embedded);
  // Wrapping nests the master a few levels deeper; the plugin must accept what we write.
  if (!JsonDepthWithin(text, kMaxJsonDepth)) {
    return Invalid("master CNI config nests too deep to be wrapped (the multus config may nest "
                   "at most " + std::to_string(kMaxJsonDepth) + " levels)");
  }
  out.content = text + "\n";
  return out;
}

}  // namespace multus::install
