// CHECK: every network of the saved plan (upstream checked only the static delegates, W15).
#include "commands.h"
#include "multus/cache.h"

namespace multus {

Status CmdCheck(const Command& cmd) {
  ASSIGN_OR_RETURN(ContainerLock lock,
                   ContainerLock::Acquire(cmd.conf.cni_dir, cmd.env.container_id));
  std::string scratch = ScratchCachePath(cmd.conf.cni_dir, cmd.env.container_id);
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, ReadFileIfExists(scratch));
  if (!bytes) {
    (void)lock.Remove();  // no container here: leave no lock file for it either
    return Status::UnknownContainer(
        cmd.PodLabel() + ": no multus cache for container " + cmd.env.container_id,
        "CHECK is only valid after a successful ADD");
  }
  Result<NetworkPlan> plan =
      ParsePlanCache(*bytes, cmd.env.container_id, cmd.env.netns, cmd.env.ifname);
  if (!plan.ok()) return Status::CorruptCache(plan.status().msg()).Prefixed(cmd.PodLabel());
  DelegateRunner runner(*cmd.deps.executor,
                        cmd.MakeInvocation(cmd.env.container_id, cmd.env.netns));
  for (const PlannedDelegate& delegate : plan->delegates) {
    Status checked = runner.Check(delegate);
    if (!checked.ok()) {
      return checked.Prefixed(cmd.PodLabel() + ": network \"" + delegate.display_name +
                              "\" interface " + delegate.ifname);
    }
  }
  return OkStatus();
}

}  // namespace multus
