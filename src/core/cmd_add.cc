// ADD: plan, validate everything, save the plan, run the delegates, roll back on failure.
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "commands.h"
#include "multus/annotations.h"
#include "multus/background_events.h"
#include "multus/cache.h"
#include "multus/cni_result.h"
#include "multus/cni_version.h"
#include "multus/default_route.h"
#include "multus/delegate_conf.h"
#include "multus/device_info.h"
#include "multus/log.h"
#include "multus/network_status.h"
#include "multus/platform.h"

namespace multus {
namespace {

// Deletes delegates [0, last] in reverse order and records the outcome in `plan` for the
// runtime's DEL (docs/teardown.md): delegates whose DEL succeeded, the one whose ADD failed
// (`failed_add`, its DEL was attempted here) and those never added are done; the others
// count one failed DEL. True when every DEL succeeded.
bool RollBack(DelegateRunner& runner, NetworkPlan& plan, size_t last,
              std::optional<size_t> failed_add) {
  bool clean = true;
  for (size_t i = plan.delegates.size(); i-- > 0;) {
    PlannedDelegate& delegate = plan.delegates[i];
    if (i > last) {
      delegate.del_done = true;
      continue;
    }
    Status deleted = runner.Del(delegate);
    delegate.del_done = deleted.ok() || i == failed_add;
    if (!deleted.ok()) {
      clean = clean && i == failed_add;
      if (i != failed_add) delegate.del_failures = 1;
      log::Error("rollback DEL failed [container={}, ifname={}]: {}", plan.container_id,
                 delegate.ifname, deleted.msg());
    }
  }
  return clean;
}

// After a rollback: nothing left, so no plan; else the plan with what the rollback did, so
// the runtime's DEL finishes only what is unfinished.
void SettleRollBack(const std::string& scratch, const NetworkPlan& plan, bool clean) {
  Status settled =
      clean ? RemoveFileIfExists(scratch) : WriteFileAtomic(scratch, SerializePlan(plan));
  if (!settled.ok()) log::Error("{}", settled.msg());
}

// default-route: netlink in the pod netns, then the results (returned, cached, reported)
// rewritten to match what is really there.
Status MoveDefaultRoutes(PodNetns& netns_ops, DelegateRunner& runner, const NetworkPlan& plan,
                         std::vector<DelegateResult>& results) {
  std::vector<GatewayRequest> requests = GatewayRequests(plan);
  if (requests.empty()) return OkStatus();
  RETURN_IF_ERROR(netns_ops.ApplyDefaultRoutes(plan.netns, requests));
  for (size_t i = 0; i < plan.delegates.size(); ++i) {
    ASSIGN_OR_RETURN(
        nlohmann::json rewritten,
        RewriteResultRoutes(std::move(results[i].original), plan.delegates[i].ifname, requests));
    results[i] = MakeDelegateResult(std::move(rewritten));
    RETURN_IF_ERROR(runner.RewriteCachedResult(plan.delegates[i], results[i]));
  }
  return OkStatus();
}

std::vector<AttachedNetwork> Attachments(const NetworkPlan& plan,
                                         const std::vector<DelegateResult>& results) {
  std::vector<AttachedNetwork> attached;
  for (size_t i = 0; i < plan.delegates.size(); ++i) {
    const PlannedDelegate& delegate = plan.delegates[i];
    attached.push_back({delegate.display_name, delegate.ifname, delegate.master, results[i].latest,
                        ReadDeviceInfo(delegate, plan.container_id)});
  }
  return attached;
}

// "Add net1 [10.1.1.2/24] from default/macvlan-conf", as upstream's AddedInterface event.
std::string AddedInterfaceMessage(const PlannedDelegate& delegate, const DelegateResult& result) {
  std::string ips;
  if (result.latest.ok()) {
    for (const auto& ip : result.latest->value("ips", nlohmann::json::array())) {
      if (!ips.empty()) ips += ' ';
      ips += ip.value("address", "");
    }
  }
  return "Add " + delegate.ifname + " [" + ips + "] from " + delegate.display_name;
}

// Writes network-status (one PATCH).
Status PublishNetworkStatus(const Command& cmd, const NetworkPlan& plan,
                            const std::vector<DelegateResult>& results, const Pod& pod) {
  ASSIGN_OR_RETURN(KubeApi * client, cmd.Kube());
  ASSIGN_OR_RETURN(std::string status, BuildNetworkStatus(Attachments(plan, results)));
  return client->SetPodAnnotation(pod.namespace_name, pod.name, kNetworkStatusAnnotation, status);
}

// After every delegate succeeded: default routes, network-status, the result for the
// runtime. Any failure here is rolled back like a delegate failure.
Result<std::string> Finish(const Command& cmd, DelegateRunner& runner, const NetworkPlan& plan,
                           std::vector<DelegateResult>& results, const std::optional<Pod>& pod) {
  Status routed = MoveDefaultRoutes(*cmd.deps.netns, runner, plan, results);
  if (!routed.ok()) return routed.Prefixed(cmd.PodLabel() + ": error setting default gateway");
  Result<nlohmann::json> converted =
      ConvertResult(results.front().original, EffectiveVersion(cmd.conf.cni_version));
  if (!converted.ok())
    return converted.status().Prefixed(cmd.PodLabel() + ": cluster network result");
  if (pod) {
    Status published = PublishNetworkStatus(cmd, plan, results, *pod);
    if (!published.ok())
      return published.Prefixed(cmd.PodLabel() + ": error setting the networks status");
  }
  return PrintResult(*converted);
}

// The AddedInterface events, when a pod is known: posted as each delegate succeeds (as
// upstream does), so that their round trips overlap the delegates after it. The last one
// follows the status write: nothing is left to overlap it with.
std::optional<BackgroundEvents> MakeEvents(const Command& cmd, const std::optional<Pod>& pod) {
  if (!pod) return std::nullopt;
  Result<KubeApi*> client = cmd.Kube();
  if (!client.ok()) return std::nullopt;  // FetchPod connected; this cannot fail
  return std::optional<BackgroundEvents>(std::in_place, **client, *pod, cmd.EventsOnOwnThread());
}

Result<std::string> AddLocked(const Command& cmd) {
  RETURN_IF_ERROR(CheckNetnsExists(*cmd.deps.netns, cmd.env.netns));
  RETURN_IF_ERROR(WaitForReadiness(cmd));
  std::optional<Pod> pod;
  if (cmd.UsesKubernetes()) {
    Result<std::optional<Pod>> fetched = cmd.FetchPod();
    if (!fetched.ok()) return fetched.status().Prefixed(cmd.PodLabel());
    if (!*fetched) {
      // Attaching only some networks silently would be worse than kubelet retrying (W5).
      return Status::TryAgainLater(cmd.PodLabel() + ": pod " + cmd.k8s.pod_namespace + "/" +
                                       cmd.k8s.pod_name + " not found in the Kubernetes API",
                                   "nothing was attached; the runtime retries the ADD");
    }
    pod = std::move(fetched).value();
  }
  Result<NetworkPlan> planned = cmd.PodPlan(pod);
  if (!planned.ok()) return planned.status().Prefixed(cmd.PodLabel());
  NetworkPlan plan = std::move(planned).value();
  std::vector<std::string> search_path = cmd.SearchPath();
  PluginPaths plugins;
  Status valid = ValidatePlan(plan, search_path, &plugins);
  if (valid.ok()) valid = CheckInterfacesFree(*cmd.deps.netns, plan);
  if (!valid.ok()) return valid.Prefixed(cmd.PodLabel());

  std::string scratch = ScratchCachePath(cmd.conf.cni_dir, plan.container_id);
  Status saved = WriteFileAtomic(scratch, SerializePlan(plan));
  if (!saved.ok()) return saved.Prefixed(cmd.PodLabel() + ": error saving the delegates");

  Invocation invocation = cmd.MakeInvocation(plan.container_id, plan.netns);
  invocation.found_plugins = std::move(plugins);
  DelegateRunner runner(*cmd.deps.executor, std::move(invocation));
  std::optional<BackgroundEvents> events = MakeEvents(cmd, pod);
  std::vector<DelegateResult> results;
  for (size_t i = 0; i < plan.delegates.size(); ++i) {
    const PlannedDelegate& delegate = plan.delegates[i];
    StageDeviceInfo(delegate, plan.container_id);
    Result<DelegateResult> result = runner.Add(delegate);
    if (!result.ok()) {
      if (events) events->Discard();
      // Nothing is left behind: undo what was added; keep the plan only if undoing failed,
      // so the runtime's DEL can finish the job.
      SettleRollBack(scratch, plan, RollBack(runner, plan, i, i));
      const std::string& net = delegate.conf.name;
      return result.status().Prefixed("[" + plan.pod_namespace + "/" + plan.pod_name + "/" +
                                      plan.pod_uid + ":" + net +
                                      "]: error adding container to network \"" + net + "\"");
    }
    log::Verbose("Add: {}:{}:{}:{}:{} {}", plan.pod_namespace, plan.pod_name, plan.pod_uid,
                 delegate.display_name, delegate.ifname, result->original.dump());
    if (events && i + 1 < plan.delegates.size()) {
      events->Post("Normal", "AddedInterface", AddedInterfaceMessage(delegate, *result));
    }
    results.push_back(std::move(result).value());
  }
  Result<std::string> finished = Finish(cmd, runner, plan, results, pod);
  if (!finished.ok()) {
    if (events) events->Discard();
    SettleRollBack(scratch, plan, RollBack(runner, plan, plan.delegates.size() - 1, std::nullopt));
  } else if (events) {
    events->Drain();
    events->Post("Normal", "AddedInterface",
                 AddedInterfaceMessage(plan.delegates.back(), results.back()));
  }
  return finished;
}

}  // namespace

Result<std::string> CmdAdd(const Command& cmd) {
  ASSIGN_OR_RETURN(ContainerLock lock,
                   ContainerLock::Acquire(cmd.conf.cni_dir, cmd.env.container_id));
  Result<std::string> result = AddLocked(cmd);
  std::string marker = FailedAddPath(cmd.conf.cni_dir, cmd.env.container_id);
  struct stat info;
  bool plan_kept =
      stat(ScratchCachePath(cmd.conf.cni_dir, cmd.env.container_id).c_str(), &info) == 0;
  if (result.ok()) {
    (void)RemoveFileIfExists(marker);
  } else if (!plan_kept) {
    // Nothing is attached: the runtime's DEL must not act on the static config.
    (void)WriteFileAtomic(marker, result.status().msg() + "\n");
  }
  return result;
}

}  // namespace multus
