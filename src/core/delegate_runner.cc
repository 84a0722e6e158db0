#include "multus/delegate_runner.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "multus/cache_paths.h"
#include "multus/cni_result.h"
#include "multus/cni_version.h"
#include "multus/file_io.h"
#include "multus/json_parse.h"
#include "multus/log.h"
#include "multus/result_cache.h"
#include "multus/text.h"

namespace multus {
namespace {

using nlohmann::json;

constexpr std::string_view kK8sKeys[] = {"K8S_POD_NAMESPACE", "K8S_POD_NAME",
                                         "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID"};

std::string JoinArgs(const KeyValues& pairs) {
  std::string out;
  for (const auto& [key, value] : pairs) out += (out.empty() ? "" : ";") + key + "=" + value;
  return out;
}

std::string JoinPath(const std::vector<std::string>& dirs) {
  std::string out;
  for (const auto& dir : dirs) out += (out.empty() ? "" : ":") + dir;
  return out;
}

// A failed plugin: its own CNI error when it printed one, else its stderr.
Status PluginFailure(const PluginConf& plugin, const ExecOutcome& outcome,
                     std::chrono::milliseconds timeout) {
  if (outcome.timed_out) {
    return Status::TryAgainLater("plugin \"" + plugin.type + "\" did not finish within " +
                                 std::to_string(timeout.count() / 1000) + "s and was killed");
  }
  try {
    json error = ParseJson(outcome.stdout_data);
    // A failing plugin that claims code 0 still failed.
    if (error.is_object() && error.contains("code") && error["code"].is_number_integer() &&
        error["code"].get<int>() != code::kOk) {
      return Status(error["code"].get<int>(), error.value("msg", ""), error.value("details", ""));
    }
  } catch (const json::exception&) {
  }
  std::string text = outcome.stderr_data.empty() ? outcome.stdout_data : outcome.stderr_data;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty()) {
    return Status::DelegateFailed("netplugin failed with no error message: exit status " +
                                  std::to_string(outcome.exit_code));
  }
  return Status::DelegateFailed("netplugin failed: \"" + text + "\"");
}

}  // namespace

KeyValues ComposeCniArgs(const KeyValues& runtime_args) {
  KeyValues out = {{"IgnoreUnknown", "1"}};
  for (std::string_view key : kK8sKeys) {
    for (const auto& [k, v] : runtime_args) {
      if (k == key) {
        out.emplace_back(k, v);
        break;
      }
    }
  }
  for (const auto& arg : runtime_args) {  // not a structured binding: clang 14 cannot capture one
    bool seen =
        std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == arg.first; });
    if (!seen) out.push_back(arg);
  }
  return out;
}

Result<std::string> FindPlugin(std::string_view type, const std::vector<std::string>& search_path) {
  RETURN_IF_ERROR(ValidatePluginType(type));
  for (const std::string& dir : search_path) {
    if (dir.empty()) continue;
    std::filesystem::path candidate = std::filesystem::path(dir) / type;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
  }
  return Status(
      code::kInvalidConfig,
      "failed to find plugin \"" + std::string(type) + "\" in path [" + JoinPath(search_path) + "]",
      "install the plugin in binDir or a CNI_PATH directory");
}

std::vector<std::string> DelegateRunner::Environment(std::string_view command,
                                                     const PlannedDelegate& delegate) {
  std::vector<std::string> env;
  for (const auto& [key, value] : invocation_.base_env) {
    if (key.rfind("CNI_", 0) != 0) env.push_back(key + "=" + value);
  }
  KeyValues args = invocation_.cni_args;
  if (command == "ADD")
    args.insert(args.end(), delegate.add_cni_args.begin(), delegate.add_cni_args.end());
  bool per_container = command != "GC" && command != "STATUS";
  env.push_back("CNI_COMMAND=" + std::string(command));
  if (per_container) {
    env.push_back("CNI_CONTAINERID=" + invocation_.container_id);
    env.push_back("CNI_NETNS=" + invocation_.netns);
    env.push_back("CNI_IFNAME=" + delegate.ifname);
    env.push_back("CNI_ARGS=" + JoinArgs(args));
  }
  env.push_back("CNI_PATH=" + JoinPath(invocation_.search_path));
  return env;
}

Result<std::string> DelegateRunner::RunPlugin(
    std::string_view command, const PlannedDelegate& delegate, const DelegateConf& conf,
    const PluginConf& plugin, std::string_view prev_result,
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string context = "plugin type=\"" + plugin.type + "\" name=\"" + conf.name + "\" failed (" +
                        AsciiLower(command) + ")";
  auto known = invocation_.found_plugins.find(plugin.type);
  Result<std::string> path = known != invocation_.found_plugins.end()
                                 ? Result<std::string>(known->second)
                                 : FindPlugin(plugin.type, invocation_.search_path);
  if (!path.ok()) return path.status().Prefixed(context);
  ASSIGN_OR_RETURN(std::string stdin_data,
                   BuildPluginStdin(conf, plugin, delegate.capability_args, prev_result, extra));
  log::Debug("exec {} [command={}, container={}, ifname={}] stdin={}", *path, command,
             invocation_.container_id, delegate.ifname, stdin_data);
  Result<ExecOutcome> outcome = executor_.Run(
      ExecRequest{*path, Environment(command, delegate), stdin_data, invocation_.timeout});
  if (!outcome.ok()) return outcome.status().Prefixed(context);
  bool failed = outcome->timed_out || outcome->exit_code != 0;
  if (!outcome->stderr_data.empty()) {
    std::string text = outcome->stderr_data;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    std::string line =
        "plugin stderr [plugin=" + plugin.type + ", ifname=" + delegate.ifname + "]: " + text;
    failed ? log::Error("{}", line) : log::Debug("{}", line);
  }
  if (failed) {
    log::Error("delegate failed [container={}, ifname={}, plugin={}, exit={}]",
               invocation_.container_id, delegate.ifname, plugin.type, outcome->exit_code);
    return PluginFailure(plugin, *outcome, invocation_.timeout).Prefixed(context);
  }
  return std::move(outcome->stdout_data);
}

Result<DelegateResult> DelegateRunner::Add(const PlannedDelegate& delegate) {
  RETURN_IF_ERROR(delegate.conf_error);
  const DelegateConf& conf = delegate.conf;
  std::string prev;
  Result<DelegateResult> result = Status::Internal("delegate " + conf.name + " has no plugin");
  for (const PluginConf& plugin : conf.plugins) {
    ASSIGN_OR_RETURN(std::string out, RunPlugin("ADD", delegate, conf, plugin, prev));
    result = ReadDelegateResult(out, conf.cni_version);
    if (!result.ok()) {
      return result.status().Prefixed("plugin type=\"" + plugin.type + "\" returned a bad result");
    }
    prev = result->original.dump();
  }
  RETURN_IF_ERROR(SaveResult(delegate, prev));
  return result;
}

Status DelegateRunner::SaveResult(const PlannedDelegate& delegate, const std::string& result) {
  const DelegateConf& conf = delegate.conf;
  CachedResult cached{invocation_.container_id, delegate.ifname, conf.name,
                      invocation_.netns,        conf.bytes,      invocation_.cni_args,
                      delegate.capability_args, result};
  std::string path =
      ResultCachePath(invocation_.cni_dir, conf.name, invocation_.container_id, delegate.ifname);
  // Not synced: after a power loss the plan (synced before any delegate ran) is enough for DEL
  // to release everything; a lost result only costs its plugins their prevResult.
  Status saved = WriteFileAtomic(path, SerializeCachedResult(cached), {.durable = false});
  if (!saved.ok())
    return saved.Prefixed("failed to set network \"" + conf.name + "\" cached result");
  return OkStatus();
}

Status DelegateRunner::RewriteCachedResult(const PlannedDelegate& delegate,
                                           const DelegateResult& result) {
  RETURN_IF_ERROR(delegate.conf_error);
  return SaveResult(delegate, result.original.dump());
}

std::string DelegateRunner::CachedPrevResult(const PlannedDelegate& delegate,
                                             const DelegateConf& conf) {
  if (!VersionAtLeast(conf.cni_version, "0.4.0")) return "";
  std::string path =
      ResultCachePath(invocation_.cni_dir, conf.name, invocation_.container_id, delegate.ifname);
  Result<std::optional<std::string>> bytes = ReadFileIfExists(path);
  if (!bytes.ok() || !bytes->has_value()) return "";
  Result<json> cached = ReadCachedResultMember(**bytes);
  if (!cached.ok()) {
    log::Error("ignoring unreadable result cache {}: {}", path, cached.status().msg());
    return "";
  }
  if (cached->is_null()) return "";
  Result<json> result = AsPluginResult(std::move(cached).value(), conf.cni_version);
  if (!result.ok()) return "";
  Result<json> converted = ConvertResult(*result, conf.cni_version);
  return converted.ok() ? converted->dump() : "";
}

Status DelegateRunner::Del(const PlannedDelegate& delegate) {
  RETURN_IF_ERROR(delegate.conf_error);
  const DelegateConf& conf = delegate.conf;
  std::string prev = CachedPrevResult(delegate, conf);
  for (auto plugin = conf.plugins.rbegin(); plugin != conf.plugins.rend(); ++plugin) {
    Result<std::string> out = RunPlugin("DEL", delegate, conf, *plugin, prev);
    if (!out.ok()) return out.status();
  }
  return ForgetResult(delegate);
}

Status DelegateRunner::ForgetResult(const PlannedDelegate& delegate) {
  const std::string& name = delegate.conf_error.ok() ? delegate.conf.name : delegate.display_name;
  return RemoveFileIfExists(
      ResultCachePath(invocation_.cni_dir, name, invocation_.container_id, delegate.ifname));
}

Status DelegateRunner::Check(const PlannedDelegate& delegate) {
  RETURN_IF_ERROR(delegate.conf_error);
  const DelegateConf& conf = delegate.conf;
  if (conf.disable_check || !VersionAtLeast(conf.cni_version, "0.4.0")) {
    log::Verbose("CHECK skipped for {} [ifname={}, cniVersion={}]", conf.name, delegate.ifname,
                 conf.cni_version);
    return OkStatus();
  }
  std::string prev = CachedPrevResult(delegate, conf);
  if (prev.empty()) {
    return Status::UnknownContainer(
        "no cached result for network \"" + conf.name + "\" interface " + delegate.ifname,
        "the container was not added by this multus, or its cache was removed");
  }
  for (const PluginConf& plugin : conf.plugins) {
    Result<std::string> out = RunPlugin("CHECK", delegate, conf, plugin, prev);
    if (!out.ok()) return out.status();
  }
  return OkStatus();
}

Status DelegateRunner::PluginStatus(const PlannedDelegate& delegate) {
  RETURN_IF_ERROR(delegate.conf_error);
  const DelegateConf& conf = delegate.conf;
  if (!VersionAtLeast(conf.cni_version, "1.1.0")) return OkStatus();
  for (const PluginConf& plugin : conf.plugins) {
    Result<std::string> out = RunPlugin("STATUS", delegate, conf, plugin, "");
    if (!out.ok()) return out.status();
  }
  return OkStatus();
}

Status DelegateRunner::Gc(const PlannedDelegate& delegate, const std::string& valid_attachments) {
  RETURN_IF_ERROR(delegate.conf_error);
  const DelegateConf& conf = delegate.conf;
  if (conf.disable_gc || !VersionAtLeast(conf.cni_version, "1.1.0")) return OkStatus();
  Status first_error;
  for (const PluginConf& plugin : conf.plugins) {
    // Spec: GC continues past errors; cni.dev/attachments is libcni's compatibility alias.
    Result<std::string> out = RunPlugin("GC", delegate, conf, plugin, "",
                                        {{"cni.dev/valid-attachments", valid_attachments},
                                         {"cni.dev/attachments", valid_attachments}});
    if (!out.ok() && first_error.ok()) first_error = out.status();
  }
  return first_error;
}

}  // namespace multus
