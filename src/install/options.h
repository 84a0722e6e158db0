// Command-line options of multus-install: upstream's thin-entrypoint flags plus a few of ours.
#pragma once

#include <string>
#include <vector>

#include "multus/status.h"

namespace multus::install {

struct InstallOptions {
  // Upstream thin-entrypoint flags, same names and defaults.
  std::string cni_bin_dir = "/host/opt/cni/bin";
  std::string cni_conf_dir = "/host/etc/cni/net.d";
  std::string cni_version;
  std::string multus_conf_file = "auto";
  std::string multus_bin_file = "/usr/src/multus-cni/bin/multus";
  std::string multus_cni_conf_dir = "/host/etc/cni/multus/net.d";
  bool skip_multus_binary_copy = false;
  std::string multus_kubeconfig_file_host = "/etc/cni/net.d/multus.d/multus.kubeconfig";
  std::string multus_master_cni_file_name;
  bool namespace_isolation = false;
  std::string global_namespaces;
  std::string multus_autoconfig_dir = "/host/etc/cni/net.d";
  bool multus_log_to_stderr = true;
  std::string multus_log_level;
  std::string multus_log_file;
  bool override_network_name = false;
  bool cleanup_config_on_exit = false;
  bool skip_config_watch = false;
  bool rename_conf_file = false;
  std::string readiness_indicator_file;
  std::string additional_bin_dir;
  bool skip_tls_verify = false;
  bool force_cni_version = false;

  // Ours.
  // Host path written as "confDir"; empty means --multus-cni-conf-dir without a leading "/host".
  std::string multus_cni_conf_dir_host;
  // Directory holding the pod's service-account token and ca.crt.
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  // How long to wait for a master CNI config before giving up (seconds; 0 = do not wait).
  int master_wait_seconds = 600;
  // Seconds between full re-checks in the watch loop (inotify does the real work).
  int resync_seconds = 30;
  // Install once and exit instead of watching.
  bool oneshot = false;

  bool help = false;
  bool version = false;
};

// Parses pflag-style arguments (argv without the program name): "--flag=value", "--flag value",
// booleans as "--flag" or "--flag=false"; one leading dash is accepted too. Returns code 7
// (invalid config) naming the flag for unknown flags, missing or malformed values.
Result<InstallOptions> ParseOptions(const std::vector<std::string>& args);

// The --help text: every flag with its default.
std::string UsageText();

// The effective host path for "confDir" (see multus_cni_conf_dir_host).
std::string ConfDirHostPath(const InstallOptions& options);

}  // namespace multus::install
