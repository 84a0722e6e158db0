// The CNI verbs, one file each; app.cc parses the invocation and dispatches here.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "multus/app.h"
#include "multus/cni_env.h"
#include "multus/delegate_runner.h"
#include "multus/kube_client.h"
#include "multus/net_conf.h"
#include "multus/network_plan.h"
#include "multus/platform.h"
#include "multus/status.h"

namespace multus {

struct Command {
  Command(const CniEnv& env, const NetConf& conf, const K8sArgs& k8s, const EnvMap& process_env,
          Deps& deps)
      : env(env), conf(conf), k8s(k8s), process_env(process_env), deps(deps) {}

  const CniEnv& env;
  const NetConf& conf;
  const K8sArgs& k8s;
  const EnvMap& process_env;
  Deps& deps;

  // binDir first, then the CNI_PATH entries.
  std::vector<std::string> SearchPath() const;
  // Everything a DelegateRunner needs; `netns` may differ from CNI_NETNS (gone on DEL).
  Invocation MakeInvocation(std::string container_id, std::string netns) const;
  // The plan from the static config (delegates / clusterNetwork / defaultNetworks).
  Result<NetworkPlan> StaticPlan() const;
  // The same from confDir files only, never asking the API (a DEL when it is unreachable).
  Result<NetworkPlan> StaticPlanFromFiles() const;
  // "[ns/name/uid]" for messages.
  std::string PodLabel() const { return PodRef(k8s); }

  // True when the config or the environment gives API access and the runtime named a pod.
  bool UsesKubernetes() const;
  // The API client, connected on first use: through multus-daemon when the config names its
  // socket and it is ready (the fast path), else directly (libcurl is loaded only then).
  Result<KubeApi*> Kube() const;
  // The client Kube() made asks the apiserver itself (KubeAccess::events_on_own_thread).
  bool EventsOnOwnThread() const { return kube_ && kube_->events_on_own_thread; }
  // The pod from the API (ADD: must exist; UID checked unless static).
  Result<std::optional<Pod>> FetchPod() const;
  // The plan for this pod: static networks, plus the pod's annotations when the API is used.
  Result<NetworkPlan> PodPlan(const std::optional<Pod>& pod) const;

 private:
  // The fast path's client, or nullopt when the config names no daemon or it is not ready.
  std::optional<KubeAccess> ConnectThroughDaemon(const RetryPolicy& policy) const;

  mutable std::shared_ptr<KubeAccess> kube_;
};

// Returns the result to print.
Result<std::string> CmdAdd(const Command& cmd);
Status CmdDel(const Command& cmd);
Status CmdCheck(const Command& cmd);
Status CmdStatus(const Command& cmd);
Status CmdGc(const Command& cmd);

// DELs every delegate of `plan` not yet done, in reverse order, continuing past errors, and
// records the outcome in `plan` (del_done, del_failures). A delegate failing its
// kMaxDelAttempts-th DEL is given up: logged at error level with what may be left, and no
// longer an error. Otherwise the first error's code is kept and all messages are joined
// ("errors: a / b"). Policy: docs/teardown.md.
inline constexpr int kMaxDelAttempts = 3;
Status DeletePlanDelegates(const Command& cmd, NetworkPlan& plan, const std::string& netns);

// `netns` if it still exists, else "" (a DEL may come after the sandbox's netns is gone;
// plugins then only release IPAM state).
std::string UsableNetns(PodNetns& netns_ops, const std::string& netns);

// Waits for the readiness indicator file (ADD, STATUS, GC). Code 11 naming the file.
Status WaitForReadiness(const Command& cmd);

// The plan saved at `path` (the scratch cache), or nullopt when there is none. Code 101 for
// a corrupt cache, which is kept for inspection.
Result<std::optional<NetworkPlan>> LoadCachedPlan(const Command& cmd, const std::string& path);

// ADD needs the sandbox's netns: code 4 naming it when it does not exist.
Status CheckNetnsExists(PodNetns& netns_ops, const std::string& netns);
// No interface of `plan` may exist in its netns yet (its plugin would fail, and the
// rollback's DEL would remove a link multus never created). Code 7 naming the interface.
Status CheckInterfacesFree(PodNetns& netns_ops, const NetworkPlan& plan);

}  // namespace multus
