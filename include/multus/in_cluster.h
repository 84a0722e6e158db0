// Where the API server is from inside the cluster: the KUBERNETES_SERVICE_* variables the
// kubelet sets in every pod. The plugin's in-cluster config and the installer's kubeconfig
// both use it.
#pragma once

#include <string>

#include "multus/cni_env.h"
#include "multus/status.h"

namespace multus {

// The API server URL from KUBERNETES_SERVICE_PROTOCOL (default https), _HOST and _PORT
// (default 443); IPv6 hosts are bracketed. Code 4 (invalid env) when the host is unset or
// any of the three is not what kubelet would set (a host or IP, a port, https or http).
Result<std::string> InClusterServerUrl(const EnvMap& env);

}  // namespace multus
