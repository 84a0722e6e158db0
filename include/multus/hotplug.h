// Pod interface hot-plug: one network added to or removed from a running pod, as
// multus-dynamic-networks-controller asks multus-daemon (POST /delegate). The network is
// recorded in the pod's plan (the scratch cache) before its plugin runs and its result cached
// like any delegate's, so the pod's own DEL removes it too (docs/thick-mode.md, "Hot-plug").
#pragma once

#include <string>
#include <string_view>

#include "multus/app.h"
#include "multus/cni_env.h"
#include "multus/net_conf.h"
#include "multus/network_plan.h"
#include "multus/status.h"

namespace multus {

// The version of the result a hot-plug ADD answers (the controller reads a 1.0.0 result).
inline constexpr std::string_view kHotplugResultVersion = "1.0.0";

struct HotplugRequest {
  CniEnv env;  // ADD or DEL of one interface: container ID, netns, ifname (no CNI_PATH)
  K8sArgs k8s;
  // The network as it runs: the request's config with its interfaceAttributes applied.
  PlannedDelegate delegate;
};

// Validates a /delegate call before anything runs. `env`: CNI_COMMAND ADD or DEL,
// CNI_CONTAINERID, CNI_IFNAME, CNI_NETNS for ADD, CNI_ARGS naming the pod (K8S_POD_NAMESPACE
// and K8S_POD_NAME): code 4. `config`: the network's conf or conflist with its "name" (code 6
// when it is not JSON, 7 when it is not a CNI config or is multus itself).
// `interface_attributes`: a raw JSON object ("" when absent) whose "ips", "mac" and "cni-args"
// are applied as a selection element's (code 7).
Result<HotplugRequest> ParseHotplugRequest(const EnvMap& env, std::string_view config,
                                           std::string_view interface_attributes);

// Runs a validated request under the container's lock, with `conf`'s cniDir and binDir (the
// only plugin directory: the controller sends no CNI_PATH); the plugins get the non-CNI
// variables of `process_env`.
// ADD: records the network in the pod's plan, runs it and returns its result converted to
// kHotplugResultVersion (JSON text). Code 3 when the container has no plan of this multus,
// 4 without its netns, 7 when the interface is already in the plan or in the pod, or a
// plugin is missing; a plugin's failure with its own code. A failed ADD is rolled back: the
// network's DEL runs and it leaves the plan.
// DEL: deletes the interface's network with the config it was added with and removes it from
// the plan; returns "". Idempotent: a network the plan does not record gets one DEL with the
// request's config, whose failure is logged and given up (docs/teardown.md). Code 7 for the
// pod's cluster network, 101 for a corrupt plan, or a recorded network's DEL failure (the
// third one gives it up and succeeds).
Result<std::string> RunHotplug(const HotplugRequest& request, const NetConf& conf,
                               const EnvMap& process_env, Deps& deps);

}  // namespace multus
