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
  return Status::InvalidConfig(std::move(msg), std::move(details));
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

namespace {

// The master as parsed, with the version the multus config will carry and the exact bytes
// to embed (its own, unless --force-cni-version rewrote the version).
struct Master {  // NOLINT(bugprone-exception-escape): misreads json's noexcept move
  Json doc;
  std::string version;
  std::string embedded;
};

Result<Master> LoadMaster(std::string_view master_text, const ConfigSettings& settings) {
  Master master;
  std::string_view raw = Trim(master_text);
  try {
    master.doc = ParseJson<Json>(raw);
  } catch (const Json::exception& e) {
    return Status::Decode(std::string("master CNI config is not valid JSON: ") + e.what());
  }
  if (!master.doc.is_object()) return Invalid("master CNI config is not a JSON object");
  auto version = master.doc.find("cniVersion");
  if (version == master.doc.end() || !version->is_string()) {
    return Invalid("master CNI config has no string \"cniVersion\"");
  }
  master.version = version->get<std::string>();
  master.embedded = std::string(raw);
  if (settings.force_cni_version && !settings.cni_version.empty()) {
    master.version = settings.cni_version;
    master.doc["cniVersion"] = master.version;
    master.embedded = master.doc.dump();
  } else if (!settings.cni_version.empty() && settings.cni_version != master.version) {
    return Invalid("the multus cniVersion is \"" + settings.cni_version +
                       "\" but the master CNI config's is \"" + master.version + "\"",
                   "make --cni-version match the master config, or leave it empty");
  }
  return master;
}

// The union of the master's capabilities, and a guard against wrapping a multus config.
Result<std::map<std::string, bool>> MasterCapabilities(const Json& master) {
  std::map<std::string, bool> caps;
  if (IsMultusPlugin(master)) return Invalid("master CNI config is a multus config itself");
  auto plugins = master.find("plugins");
  if (plugins == master.end()) {
    RETURN_IF_ERROR(MergeCapabilities(master, "master", &caps));
    return caps;
  }
  if (!plugins->is_array()) return Invalid("master CNI config: \"plugins\" must be a list");
  for (size_t i = 0; i < plugins->size(); ++i) {
    const Json& plugin = (*plugins)[i];
    std::string where = "plugins[" + std::to_string(i) + "]";
    if (!plugin.is_object()) return Invalid("master CNI config: " + where + " is not an object");
    if (IsMultusPlugin(plugin)) return Invalid("master CNI config is a multus config itself");
    RETURN_IF_ERROR(MergeCapabilities(plugin, where, &caps));
  }
  return caps;
}

Result<std::string> NetworkName(const Json& master, const ConfigSettings& settings) {
  if (!settings.override_network_name) return std::string(kDefaultNetworkName);
  auto it = master.find("name");
  if (it == master.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Invalid("--override-network-name: the master CNI config has no string \"name\"");
  }
  return it->get<std::string>();
}

// The multus plugin entry, in the order upstream writes its keys; `delegate` stands for the
// master.
Json MultusPlugin(const std::map<std::string, bool>& caps, const ConfigSettings& settings,
                  const std::string& delegate) {
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
  plugin["delegates"] = Json::array({delegate});
  return plugin;
}

// Replaces the quoted placeholder in `text` by the master's own bytes. The result must nest
// no deeper than the plugin accepts: wrapping puts the master a few levels down.
Result<std::string> EmbedMaster(std::string text, const std::string& placeholder,
                                const std::string& master) {
  const std::string quoted = "\"" + placeholder + "\"";
  size_t at = text.find(quoted);
  if (at == std::string::npos || text.find(quoted, at + 1) != std::string::npos) {
    return Status::Internal("could not place the master config in the multus config");
  }
  text.replace(at, quoted.size(), master);
  if (!JsonDepthWithin(text, kMaxJsonDepth)) {
    return Invalid("master CNI config nests too deep to be wrapped (the multus config may nest "
                   "at most " + std::to_string(kMaxJsonDepth) + " levels)");
  }
  return text + "\n";
}

}  // namespace

Result<RenderedConfig> RenderMultusConfig(std::string_view master_text,
                                          const ConfigSettings& settings) {
  ASSIGN_OR_RETURN(Master master, LoadMaster(master_text, settings));
  ASSIGN_OR_RETURN(int cmp, CompareCniVersions(master.version, "1.0.0"));
  ASSIGN_OR_RETURN(auto caps, MasterCapabilities(master.doc));
  ASSIGN_OR_RETURN(std::string name, NetworkName(master.doc, settings));
  // The master goes in as a placeholder string, replaced by its own bytes after dump().
  const std::string placeholder = Sentinel();
  Json plugin = MultusPlugin(caps, settings, placeholder);

  RenderedConfig out;
  out.cni_version = master.version;
  Json doc = Json::object();
  doc["cniVersion"] = master.version;
  doc["name"] = name;
  if (cmp >= 0) {
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
  ASSIGN_OR_RETURN(out.content, EmbedMaster(doc.dump(4), placeholder, master.embedded));
  return out;
}

Result<RenderedConfig> RenderShimConfig(std::string_view master_path, std::string_view master_text,
                                        const ConfigSettings& settings,
                                        std::string_view socket_dir) {
  // The master is not embedded here, so its version need not match: read it as it is.
  ConfigSettings as_is = settings;
  as_is.cni_version.clear();
  as_is.force_cni_version = false;
  ASSIGN_OR_RETURN(Master master, LoadMaster(master_text, as_is));
  ASSIGN_OR_RETURN(auto caps, MasterCapabilities(master.doc));
  ASSIGN_OR_RETURN(std::string name, NetworkName(master.doc, settings));
  RenderedConfig out;
  out.cni_version = settings.cni_version.empty() ? master.version : settings.cni_version;
  out.file_name = kConfFileName;
  out.stale_file_name = kConflistFileName;
  Json doc = Json::object();
  doc["cniVersion"] = out.cni_version;
  doc["name"] = name;
  doc["type"] = "multus-shim";
  if (!caps.empty()) {
    Json caps_json = Json::object();
    for (const auto& [cap, on] : caps) caps_json[cap] = on;
    doc["capabilities"] = caps_json;
  }
  if (!socket_dir.empty()) doc["daemonSocketDir"] = socket_dir;
  doc["clusterNetwork"] = master_path;
  out.content = doc.dump(4) + "\n";
  return out;
}

}  // namespace multus::install
