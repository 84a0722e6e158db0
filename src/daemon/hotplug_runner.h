// Runs /delegate (hot-plug) calls in-process with the core's RunHotplug, on the executor the
// /cni calls use (chrootDir, per-exec timeout, delegate metrics), with the multus settings a
// /cni call of this node gets.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "daemon_config.h"
#include "kube_provider.h"
#include "multus/cni_env.h"
#include "multus/executor.h"
#include "multus/hotplug.h"
#include "multus/net_conf.h"

namespace multus::daemon {

// Returns the result for ADD ("" for DEL) or the CNI error; thread-safe.
using HotplugRunner = std::function<Result<std::string>(const HotplugRequest& request)>;

// The multus settings of a hot-plug (cniDir, binDir, kubeconfig, ...): the multus config the
// daemon serves to the runtime (`served`, "" when there is none yet) with the daemon's
// overrides imposed, as a /cni call gets them. Code 6/7 when they do not parse.
Result<NetConf> HotplugConf(std::string_view served, const DaemonConfig& config);

// The real runner: the served config is re-read on every call (it follows the master).
// `daemon_env` is the plugins' environment (the controller sends only CNI_* variables).
HotplugRunner MakeHotplugRunner(const DaemonConfig& config, KubeConnector connector,
                                EnvMap daemon_env, std::shared_ptr<Executor> executor);

}  // namespace multus::daemon
