#include "multus/network_source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "multus/delegate_conf.h"
#include "multus/log.h"
#include "multus/multus_type.h"

namespace multus {
namespace {

namespace fs = std::filesystem;

Status Invalid(std::string msg, std::string details = "") {
  return Status::InvalidConfig(std::move(msg), std::move(details));
}

bool IsConfigFile(const fs::path& path) {
  auto ext = path.extension();
  return ext == ".conf" || ext == ".conflist" || ext == ".json";
}

Result<std::string> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Invalid("cannot read CNI config file " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Regular config files of `dir`, sorted by name. A missing directory is an empty list.
std::vector<fs::path> ListConfigFiles(const std::string& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec) && IsConfigFile(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Loads a file as a delegate; a .conflist must be a list, anything else a single conf.
Result<DelegateConf> LoadFile(const fs::path& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  Result<DelegateConf> conf = LoadDelegateConf(bytes);
  if (!conf.ok()) {
    return Status::InvalidConfig(conf.status().msg(), conf.status().details())
        .Prefixed("error loading CNI config file " + path.string());
  }
  if (path.extension() == ".conflist" && !conf->is_list) {
    return Invalid("error loading CNI conflist file " + path.string() + ": no \"plugins\" list");
  }
  return conf;
}

// multus must never delegate to itself (upstream W27: directory mode could pick 00-multus.conf).
bool IsMultusConfig(const DelegateConf& conf) {
  return std::any_of(conf.plugins.begin(), conf.plugins.end(),
                     [](const PluginConf& p) { return IsMultusType(p.type); });
}

ResolvedNetwork FromConf(const DelegateConf& conf) {
  ResolvedNetwork network;
  network.display_name = conf.name;
  network.conf = conf;
  return network;
}

}  // namespace

Result<ResolvedNetwork> FindConfigByName(const std::string& dir, std::string_view name) {
  for (const fs::path& file : ListConfigFiles(dir)) {
    Result<DelegateConf> conf = LoadFile(file);
    if (!conf.ok()) {
      log::Error("skipping unreadable config while looking for \"{}\": {}", name,
                 conf.status().msg());
      continue;
    }
    if (conf->name == name && !IsMultusConfig(*conf)) return FromConf(*conf);
  }
  return Invalid("no network available in the name " + std::string(name) + " in cni dir " + dir,
                 "add a config with \"name\": \"" + std::string(name) + "\" to " + dir);
}

Result<ResolvedNetwork> LoadConfigFromPath(const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return Invalid("network path must be absolute: " + path);
  }
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return Invalid("cannot find network: " + path, "no such file or directory");
  }
  if (!fs::is_directory(status)) {
    if (!fs::is_regular_file(status)) {
      return Invalid("CNI configuration path is not a regular file: " + path);
    }
    ASSIGN_OR_RETURN(DelegateConf conf, LoadFile(path));
    if (IsMultusConfig(conf)) return Invalid("refusing to delegate to multus itself: " + path);
    return FromConf(conf);
  }
  for (const fs::path& file : ListConfigFiles(path)) {
    ASSIGN_OR_RETURN(DelegateConf conf, LoadFile(file));
    if (!IsMultusConfig(conf)) return FromConf(conf);
  }
  return Invalid("cannot find network: " + path, "the directory holds no CNI config file");
}

Result<ResolvedNetwork> ResolveNetworkReference(const std::string& reference, const NetConf& conf,
                                                NadLookup* nads) {
  if (reference.find('/') != std::string::npos) return LoadConfigFromPath(reference);
  if (nads != nullptr) {
    ASSIGN_OR_RETURN(std::optional<ResolvedNetwork> nad,
                     nads->Find(conf.multus_namespace, reference));
    if (nad) return *nad;
  }
  Result<ResolvedNetwork> file = FindConfigByName(conf.conf_dir, reference);
  if (!file.ok()) {
    return Invalid("cannot find network: " + reference,
                   "no NetworkAttachmentDefinition " + conf.multus_namespace + "/" + reference +
                       " and no config named \"" + reference + "\" in " + conf.conf_dir);
  }
  return file;
}

Result<ResolvedNetwork> ResolveClusterNetwork(const NetConf& conf, NadLookup* nads) {
  if (conf.cluster_network.empty()) {
    if (conf.delegates.empty()) return Invalid("the multus config has no cluster network");
    return FromConf(conf.delegates.front());
  }
  Result<ResolvedNetwork> cluster = ResolveNetworkReference(conf.cluster_network, conf, nads);
  if (!cluster.ok()) return cluster.status().Prefixed("failed to get clusterNetwork");
  return cluster;
}

Result<std::vector<ResolvedNetwork>> ResolveDefaultNetworks(const NetConf& conf,
                                                            std::string_view pod_namespace,
                                                            NadLookup* nads) {
  std::vector<ResolvedNetwork> networks;
  if (conf.cluster_network.empty()) {
    for (size_t i = 1; i < conf.delegates.size(); ++i)
      networks.push_back(FromConf(conf.delegates[i]));
    return networks;
  }
  const auto& system = conf.system_namespaces;
  if (std::find(system.begin(), system.end(), pod_namespace) != system.end()) return networks;
  for (const std::string& reference : conf.default_networks) {
    Result<ResolvedNetwork> network = ResolveNetworkReference(reference, conf, nads);
    if (!network.ok()) return network.status().Prefixed("failed to get defaultNetworks");
    networks.push_back(std::move(network).value());
  }
  return networks;
}

Result<std::vector<ResolvedNetwork>> ResolveStaticNetworks(const NetConf& conf,
                                                           std::string_view pod_namespace,
                                                           NadLookup* nads) {
  ASSIGN_OR_RETURN(ResolvedNetwork cluster, ResolveClusterNetwork(conf, nads));
  ASSIGN_OR_RETURN(std::vector<ResolvedNetwork> others,
                   ResolveDefaultNetworks(conf, pod_namespace, nads));
  others.insert(others.begin(), std::move(cluster));
  return others;
}

}  // namespace multus
