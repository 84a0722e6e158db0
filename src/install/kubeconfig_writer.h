// The kubeconfig multus-install writes for the plugin. Pure: no I/O.
#pragma once

#include <string>

#include "multus/status.h"

namespace multus::install {

struct KubeconfigInputs {
  std::string server;  // https://host:port
  std::string ca_pem;  // contents of ca.crt (ignored with skip_tls_verify)
  bool skip_tls_verify = false;
  std::string token_file;  // host path of the token copy, written as "tokenFile"
};

// A kubeconfig with one cluster "local", one user "multus" authenticated by tokenFile (read by
// the plugin on every call, so a rotated token is picked up), and CA data inline.
std::string RenderKubeconfig(const KubeconfigInputs& inputs);

}  // namespace multus::install
