// Rendering of the generated multus config (00-multus.conf / 00-multus.conflist). Pure: no I/O.
#pragma once

#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus::install {

inline constexpr std::string_view kConfFileName = "00-multus.conf";
inline constexpr std::string_view kConflistFileName = "00-multus.conflist";
inline constexpr std::string_view kDefaultNetworkName = "multus-cni-network";

// What the multus config says besides the master (filled from InstallOptions).
struct ConfigSettings {
  std::string cni_version;         // --cni-version: required version of the master, or empty
  bool force_cni_version = false;  // overwrite the master's cniVersion with cni_version
  bool override_network_name = false;
  std::string kubeconfig;  // host path of the kubeconfig
  bool namespace_isolation = false;
  std::string global_namespaces;
  bool log_to_stderr = true;
  std::string log_level;  // already validated and lower-cased
  std::string log_file;
  std::string bin_dir;
  std::string conf_dir;
  std::string readiness_indicator_file;
};

struct RenderedConfig {
  std::string file_name;        // kConfFileName or kConflistFileName
  std::string stale_file_name;  // the other one, to be removed
  std::string cni_version;      // the effective version
  std::string content;          // the whole file, ending in a newline
};

// Renders the multus config wrapping `master_text` (the bytes of a CNI conf or conflist) as
// the cluster network. The master is validated with a JSON parser and embedded byte for byte
// (surrounding whitespace trimmed), except with force_cni_version, where it is re-serialized
// with the new version and its keys in their original order. Everything else is produced by
// nlohmann::json. Errors: code 6 when the master is not JSON; code 7 when it is not an object,
// missing or non-string cniVersion, version mismatch with cni_version, bad plugins/capabilities
// shapes, a master that is itself a multus config.
Result<RenderedConfig> RenderMultusConfig(std::string_view master_text,
                                          const ConfigSettings& settings);

// The thick-mode config (multus-daemon, auto mode): a single plugin of type "multus-shim" whose
// clusterNetwork is `master_path`, so the daemon reads the master itself. The version is
// settings.cni_version, else the master's; capabilities and (override_network_name) the name
// come from the master as for RenderMultusConfig; `socket_dir` non-empty becomes
// "daemonSocketDir". Always 00-multus.conf. Errors as RenderMultusConfig.
Result<RenderedConfig> RenderShimConfig(std::string_view master_path, std::string_view master_text,
                                        const ConfigSettings& settings,
                                        std::string_view socket_dir);

// Lower-cases and checks a --multus-log-level value; empty stays empty. Code 7 when unknown.
Result<std::string> NormalizeLogLevel(std::string_view level);

// Compares dotted CNI versions ("0.3.1" < "1.0.0"); code 7 for a malformed one.
Result<int> CompareCniVersions(std::string_view a, std::string_view b);

}  // namespace multus::install
