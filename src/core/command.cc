// What every verb shares: search path, invocation, static plan, readiness.
#include <sys/stat.h>

#include <set>

#include "commands.h"
#include "multus/daemon_fast_path.h"
#include "multus/kubeconfig.h"
#include "multus/log.h"
#include "multus/network_source.h"
#include "multus/pod_networks.h"

namespace multus {

std::vector<std::string> Command::SearchPath() const {
  std::vector<std::string> dirs = {conf.bin_dir};
  std::string_view rest = env.path;
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    if (!dir.empty()) dirs.emplace_back(dir);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return dirs;
}

Invocation Command::MakeInvocation(std::string container_id, std::string netns) const {
  Invocation invocation;
  invocation.container_id = std::move(container_id);
  invocation.netns = std::move(netns);
  invocation.search_path = SearchPath();
  invocation.cni_args = ComposeCniArgs(k8s.pairs);
  invocation.base_env = process_env;
  invocation.cni_dir = conf.cni_dir;
  invocation.timeout = deps.plugin_timeout;
  return invocation;
}

Result<NetworkPlan> Command::StaticPlan() const {
  NadLookup* nads = deps.nads;
  std::optional<KubeNadLookup> api_nads;
  // Bare clusterNetwork/defaultNetworks names are NADs first when the API is reachable.
  if (nads == nullptr && !conf.cluster_network.empty() &&
      HasKubernetesAccess(conf.kubeconfig, process_env)) {
    ASSIGN_OR_RETURN(KubeApi * client, Kube());
    nads = &api_nads.emplace(*client, conf);
  }
  ASSIGN_OR_RETURN(std::vector<ResolvedNetwork> networks,
                   ResolveStaticNetworks(conf, k8s.pod_namespace, nads));
  return BuildPlan(networks, conf, env, k8s);
}

Result<NetworkPlan> Command::StaticPlanFromFiles() const {
  ASSIGN_OR_RETURN(std::vector<ResolvedNetwork> networks,
                   ResolveStaticNetworks(conf, k8s.pod_namespace, nullptr));
  return BuildPlan(networks, conf, env, k8s);
}

bool Command::UsesKubernetes() const {
  return HasKubernetesAccess(conf.kubeconfig, process_env) && !k8s.pod_name.empty() &&
         !k8s.pod_namespace.empty();
}

std::optional<KubeAccess> Command::ConnectThroughDaemon(const RetryPolicy& policy) const {
  if (conf.daemon_socket_dir.empty() || deps.in_daemon) return std::nullopt;
  std::string socket = DaemonSocketPath(conf.daemon_socket_dir);
  Result<KubeAccess> access =
      deps.connect_daemon ? deps.connect_daemon(socket, policy)
                          : multus::ConnectThroughDaemon(MakeUnixHttpClient(), socket, policy);
  if (!access.ok()) {
    log::Verbose("{}: no fast path ({}); asking the Kubernetes API directly", PodLabel(),
                 access.status().msg());
    return std::nullopt;
  }
  log::Debug("{}: Kubernetes requests go through multus-daemon at {}", PodLabel(), socket);
  return std::move(access).value();
}

Result<KubeApi*> Command::Kube() const {
  if (!kube_) {
    // DEL only improves its guess with the API, and kubelet retries it: a short budget.
    const ApiTimeouts& timeouts = conf.api_timeouts;
    RetryPolicy policy = RetryPolicy::WithTimeouts(
        timeouts.request, env.command == "DEL" ? timeouts.del : timeouts.add);
    if (std::optional<KubeAccess> fast = ConnectThroughDaemon(policy)) {
      kube_ = std::make_shared<KubeAccess>(std::move(*fast));
      return kube_->client.get();
    }
    auto connect = deps.connect ? deps.connect : ConnectKubernetes;
    Result<KubeAccess> access = connect(conf.kubeconfig, process_env, policy);
    if (!access.ok()) return access.status().Prefixed("error getting k8s client");
    kube_ = std::make_shared<KubeAccess>(std::move(access).value());
  }
  return kube_->client.get();
}

Result<std::optional<Pod>> Command::FetchPod() const {
  ASSIGN_OR_RETURN(KubeApi * client, Kube());
  ASSIGN_OR_RETURN(std::optional<Pod> pod, client->GetPod(k8s.pod_namespace, k8s.pod_name));
  if (pod && !k8s.pod_uid.empty() && pod->uid != k8s.pod_uid && !pod->is_static) {
    return Status(
        code::kTryAgainLater,
        "expected pod UID \"" + k8s.pod_uid + "\" but got \"" + pod->uid + "\" from Kube API",
        "the pod was deleted and re-created; the runtime will retry with the new pod");
  }
  return pod;
}

Result<NetworkPlan> Command::PodPlan(const std::optional<Pod>& pod) const {
  if (!pod) return StaticPlan();
  ASSIGN_OR_RETURN(KubeApi * client, Kube());
  KubeNadLookup nads(*client, conf);
  DeviceAllocator devices(deps.kubelet_checkpoint, pod->uid);
  Result<std::vector<ResolvedNetwork>> applied = ResolvePodNetworks(conf, *pod, nads, devices);
  if (!applied.ok()) {
    for (const auto& [ns, name] : nads.missing()) {
      // Best effort, like every event: the pod's events say why it has no network.
      (void)client->PostEvent(
          *pod, "Warning", "NoNetworkFound",
          "cannot find a network-attachment-definition (" + name + ") in namespace (" + ns + ")");
    }
    return applied.status();
  }
  return BuildPlan(*applied, conf, env, k8s);
}

Status CheckNetnsExists(PodNetns& netns_ops, const std::string& netns) {
  if (netns_ops.Exists(netns)) return OkStatus();
  return Status::InvalidEnv("CNI_NETNS " + netns + " does not exist",
                            "the pod sandbox's network namespace must exist on ADD");
}

// A planned interface that already exists in the pod would make its plugin fail, and the
// rollback's DEL would then remove a link multus never created.
Status CheckInterfacesFree(PodNetns& netns_ops, const NetworkPlan& plan) {
  ASSIGN_OR_RETURN(std::set<std::string> existing, netns_ops.LinkNames(plan.netns));
  for (const PlannedDelegate& delegate : plan.delegates) {
    if (existing.count(delegate.ifname)) {
      return Status::InvalidConfig("network \"" + delegate.display_name + "\": interface name " +
                                       delegate.ifname + " already exists in " + plan.netns,
                                   "choose another interface name for this network");
    }
  }
  return OkStatus();
}

Status WaitForReadiness(const Command& cmd) {
  const std::string& path = cmd.conf.readiness_indicator_file;
  if (path.empty()) return OkStatus();
  std::chrono::milliseconds waited{0};
  struct stat info;
  while (stat(path.c_str(), &info) != 0) {
    if (waited >= cmd.deps.readiness_timeout) {
      return Status::TryAgainLater(
          cmd.PodLabel() +
              ": have you checked that your default network is ready? still "
              "waiting for readinessindicatorfile @ " +
              path,
          "the cluster network's plugin creates this file when it is ready");
    }
    cmd.deps.clock->Sleep(cmd.deps.readiness_poll);
    waited += cmd.deps.readiness_poll;
  }
  return OkStatus();
}

}  // namespace multus
