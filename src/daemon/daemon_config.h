// daemon-config.json: how multus-daemon runs (socket, log, metrics, limits, config generation)
// and the multus config keys it imposes on every request (server-side overrides).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "multus/log.h"
#include "multus/status.h"

namespace multus::daemon {

inline constexpr std::string_view kDefaultConfigPath = "/etc/cni/net.d/multus.d/daemon-config.json";
inline constexpr int kDefaultWorkers = 16;

struct DaemonConfig {
  // Upstream's keys.
  std::string chroot_dir;  // plugins run chrooted here (the host's / in the container)
  std::string socket_dir = "/run/multus/";
  log::Settings log;          // logFile, logLevel, logToStderr, logOptions
  int metrics_port = 0;       // 0: no metrics listener
  bool enable_pprof = false;  // accepted, ignored
  int connection_limit = 0;   // CNI requests run at once; 0: kDefaultWorkers
  std::string multus_config_file = "auto";
  std::string multus_autoconfig_dir;  // empty: cni_config_dir
  std::string multus_master_cni;      // file name of the master, empty: alphabetically first
  std::string cni_config_dir = "/etc/cni/net.d";
  bool force_cni_version = false;
  bool override_network_name = false;
  std::string cni_version;
  std::string readiness_indicator_file;
  bool per_node_certificate = false;  // accepted; enabled is refused at start (unsupported)
  // Ours.
  int request_queue_length = -1;  // requests waiting for a worker; -1: 4 x workers
  std::chrono::seconds request_timeout{300};
  std::chrono::seconds shutdown_grace{10};
  // Multus config keys of the daemon config, as written, with their raw JSON values: they
  // replace the request's own (case-insensitively) in every request's config.
  std::vector<std::pair<std::string, std::string>> overrides;

  int Workers() const { return connection_limit > 0 ? connection_limit : kDefaultWorkers; }
  int QueueLength() const {
    return request_queue_length >= 0 ? request_queue_length : 4 * Workers();
  }
  const std::string& AutoconfigDir() const {
    return multus_autoconfig_dir.empty() ? cni_config_dir : multus_autoconfig_dir;
  }
};

// Parses daemon-config.json: keys case-insensitive, unknown keys ignored. Code 6 when it is not
// JSON, 7 naming the key for a value of the wrong type or range.
Result<DaemonConfig> ParseDaemonConfig(std::string_view text);

// Returns the request's multus config (a JSON object) with each override set, replacing any
// member whose key matches case-insensitively; every other byte is kept. Code 6 when
// `request_conf` is not a JSON object.
Result<std::string> ApplyOverrides(
    std::string_view request_conf,
    const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace multus::daemon
