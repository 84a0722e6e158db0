// The kubeconfig multus-install writes for the plugin. Pure: no I/O.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "multus/base64.h"
#include "multus/status.h"

namespace multus::install {

struct KubeconfigInputs {
  std::string server;  // https://host:port
  std::string ca_pem;  // contents of ca.crt (ignored with skip_tls_verify)
  bool skip_tls_verify = false;
  std::string token_file;  // host path of the token copy, written as "tokenFile"
};

// The API server URL from KUBERNETES_SERVICE_PROTOCOL (default https), _HOST and _PORT
// (default 443); IPv6 hosts are bracketed. Code 4 (invalid env) when the host is unset or
// any of the three is not what kubelet would set (a host or IP, a port, https or http).
Result<std::string> ApiServerUrl(const std::map<std::string, std::string>& env);

// A kubeconfig with one cluster "local", one user "multus" authenticated by tokenFile (read by
// the plugin on every call, so a rotated token is picked up), and CA data inline.
std::string RenderKubeconfig(const KubeconfigInputs& inputs);

// The core library's encoder (one implementation for cache files and kubeconfigs).
using multus::Base64Encode;

}  // namespace multus::install
