#include "multus/cni_args_injection.h"

#include <string>
#include <utility>
#include <vector>

#include "multus/delegate_conf.h"
#include "multus/json_raw.h"

namespace multus {
namespace {

Result<std::string> MergeArgsObject(std::string_view object, std::string_view cni_args) {
  ASSIGN_OR_RETURN(std::vector<RawMember> members, RawObjectMembers(object));
  std::string_view args = FindRawMember(members, "args");
  if (args.empty() || args.front() != '{') args = "{}";
  ASSIGN_OR_RETURN(std::vector<RawMember> args_members, RawObjectMembers(args));
  std::string_view cni = FindRawMember(args_members, "cni");
  if (cni.empty() || cni.front() != '{') cni = "{}";
  ASSIGN_OR_RETURN(std::vector<RawMember> overrides, RawObjectMembers(cni_args));
  std::vector<std::pair<std::string, std::string>> updates;
  for (const RawMember& member : overrides)
    updates.emplace_back(member.key, std::string(member.value));
  ASSIGN_OR_RETURN(std::string merged_cni, SetRawMembers(cni, updates));
  ASSIGN_OR_RETURN(std::string merged_args, SetRawMembers(args, {{"cni", merged_cni}}));
  return SetRawMembers(object, {{"args", merged_args}});
}

}  // namespace

Result<std::string> InjectCniArgs(std::string_view config, std::string_view cni_args) {
  return EditPluginObjects(
      config, [cni_args](std::string_view plugin) { return MergeArgsObject(plugin, cni_args); });
}

}  // namespace multus
