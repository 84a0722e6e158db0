// STATUS: multus is ready when its readiness file exists and the cluster network is.
#include "commands.h"

namespace multus {

Status CmdStatus(const Command& cmd) {
  RETURN_IF_ERROR(WaitForReadiness(cmd));
  // The cluster network's plugin (delegates[0]) answers for the node.
  ASSIGN_OR_RETURN(NetworkPlan plan, cmd.StaticPlan());
  DelegateRunner runner(*cmd.deps.executor, cmd.MakeInvocation("", ""));
  return runner.PluginStatus(plan.delegates.front());
}

}  // namespace multus
