// Runs one CNI call in-process, as the multus binary would for the same env and stdin, with the
// daemon's shared executor, netns and clock. Safe to call from several threads at once: Run
// keeps no global state besides the logger, which the daemon configures once at start (the
// request's log settings are not applied).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kube_provider.h"
#include "multus/cni_env.h"
#include "multus/executor.h"

namespace multus::daemon {

struct CniOutput {
  int exit_code = 0;
  std::string stdout_data;  // the result or the CNI error object
};

using CniRunner = std::function<CniOutput(const EnvMap& env, std::string_view config)>;

// The real runner. `daemon_env` is the daemon's own environment: KUBERNETES_SERVICE_HOST and
// _PORT are taken from it when the request lacks them (the shim runs outside the cluster's
// pods, the daemon inside one). `executor` starts the plugins (chrootDir, metrics); the
// hot-plug runner shares it.
CniRunner MakeCniRunner(KubeConnector connector, EnvMap daemon_env,
                        std::shared_ptr<Executor> executor);

}  // namespace multus::daemon
