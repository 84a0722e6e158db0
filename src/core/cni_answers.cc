#include "multus/cni_answers.h"

#include <nlohmann/json.hpp>

#include "multus/cni_version.h"

namespace multus {

using nlohmann::json;

std::string ErrorJson(const Status& status, std::string_view cni_version) {
  json error = {{"cniVersion", cni_version},
                {"code", status.code()},
                {"msg", status.msg()},
                {"details", status.details()}};
  return error.dump(4, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string AboutText(std::string_view about) {
  std::string list;
  for (std::string_view v : kSupportedVersions) list += (list.empty() ? "" : ", ") + std::string(v);
  return std::string(about) + "\nCNI protocol versions supported: " + list + "\n";
}

Status UnsupportedVersion(std::string_view config_version) {
  return Status::IncompatibleVersion("incompatible CNI versions",
                                     "config is \"" + std::string(config_version) +
                                         "\", plugin supports " + json(kSupportedVersions).dump());
}

std::string VersionJson() {
  return json{{"cniVersion", kCurrentVersion}, {"supportedVersions", kSupportedVersions}}.dump() +
         "\n";
}

bool IsFlag(const std::vector<std::string>& argv, std::initializer_list<std::string_view> names) {
  if (argv.size() < 2) return false;
  for (std::string_view name : names) {
    if (argv[1] == name) return true;
  }
  return false;
}

Status AnswerCniCall(const EnvMap& env, std::string_view about, std::string& stdout_data,
                     std::string& stderr_data,
                     const std::function<Result<std::string>(const CniEnv&)>& command) {
  try {
    Result<CniEnv> cni_env = ParseCniEnv(env);
    if (!cni_env.ok()) return cni_env.status();
    if (cni_env->command.empty()) {
      stderr_data = AboutText(about);
      return OkStatus();
    }
    if (cni_env->command == "VERSION") {
      stdout_data = VersionJson();
      return OkStatus();
    }
    Result<std::string> output = command(*cni_env);
    if (!output.ok()) return output.status();
    stdout_data = std::move(output).value();
    return OkStatus();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("internal error: ") + e.what());
  } catch (...) {
    return Status::Internal("internal error");
  }
}

}  // namespace multus
