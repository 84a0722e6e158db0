// The multus configuration read from stdin (00-multus.conf). Every upstream key is accepted,
// matched case-insensitively; unknown keys are ignored.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "multus/delegate_conf.h"
#include "multus/log.h"
#include "multus/status.h"

namespace multus {

// How long multus waits for the Kubernetes API (`apiTimeouts`, milliseconds). ADD waits for
// the pod and its NADs (a pod without its networks is worse than a retried ADD); DEL only
// improves its guess with the API, so it gets a short budget: kubelet retries DEL anyway.
struct ApiTimeouts {
  std::chrono::milliseconds request{5000};  // one request: connect, TLS, answer
  std::chrono::milliseconds add{20000};     // all requests of an ADD, CHECK, GC or STATUS
  std::chrono::milliseconds del{2000};      // all requests of a DEL
};

struct NetConf {
  std::string cni_version;
  std::string name;
  std::string type = "multus";
  std::string conf_dir = "/etc/cni/multus/net.d";
  std::string cni_dir = "/var/lib/cni/multus";
  std::string bin_dir = "/opt/cni/bin";
  std::string kubeconfig;
  log::Settings log;
  bool namespace_isolation = false;
  std::vector<std::string> global_namespaces = {"default"};
  std::string runtime_config = "{}";  // JSON object text, passed to delegates as capability args
  std::string readiness_indicator_file;
  std::vector<std::string> system_namespaces = {"kube-system"};
  std::string multus_namespace = "kube-system";
  bool retry_delete_on_error = false;
  ApiTimeouts api_timeouts;
  // multus-daemon's socket directory (socket <dir>/multus.sock): when set and the daemon is
  // ready, Kubernetes requests go through it (the fast path, docs/thick-mode.md).
  std::string daemon_socket_dir;
  std::string cluster_network;
  std::vector<std::string> default_networks;
  // Loaded, each keeping its exact bytes; [0] is the cluster network. Empty when
  // clusterNetwork is set (then they are ignored, as upstream).
  std::vector<DelegateConf> delegates;
  std::string valid_attachments;  // JSON text of cni.dev/valid-attachments (GC), or empty
  // Top-level keys that neither multus nor the CNI protocol defines, as written (a typo such
  // as "namespaceIsolaton" is ignored, as upstream does, but worth a warning).
  std::vector<std::string> unknown_keys;
};

// Parses and validates the config. Errors: code 6 for malformed JSON; code 7 for a missing or
// invalid `name`, a key of the wrong type (named in the message), no delegates and no
// clusterNetwork, or a delegate that is neither a conf nor a conflist.
Result<NetConf> ParseNetConf(std::string_view bytes);

// For reporting a call that failed before (or while) its config was parsed: the defaults plus
// whichever of cniVersion, logFile, logLevel, logToStderr and logOptions are well-formed.
// Never fails.
NetConf ParseReportingSettings(std::string_view bytes);

}  // namespace multus
