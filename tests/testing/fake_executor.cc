#include "testing/fake_executor.h"

#include <nlohmann/json.hpp>

#include "multus/cni_version.h"

namespace multus::test {

using nlohmann::json;

Result<ExecOutcome> FakeExecutor::Run(const ExecRequest& request) {
  requests_.push_back(request);
  if (!queue_.empty()) {
    Result<ExecOutcome> reply = std::move(queue_.front());
    queue_.pop_front();
    return reply;
  }
  if (handler_) return handler_(request);
  return ExecOutcome{0, false, "", ""};
}

FakeExecutor::Handler FakeExecutor::LikePlugin() {
  auto counter = std::make_shared<int>(0);
  return [counter](const ExecRequest& request) -> Result<ExecOutcome> {
    if (EnvValue(request, "CNI_COMMAND") != "ADD") return ExecOutcome{0, false, "", ""};
    json config = json::parse(request.stdin_data);
    if (config.contains("prevResult")) return ExecOutcome{0, false, config["prevResult"].dump(), ""};
    std::string version = config.value("cniVersion", "");
    std::string address = "10.0." + std::to_string(++*counter) + ".2/24";
    json result;
    if (!VersionAtLeast(version, "0.3.0")) {
      result = {{"cniVersion", EffectiveVersion(version)}, {"ip4", {{"ip", address}}}};
    } else {
      json ip = {{"address", address}, {"interface", 0}};
      if (!VersionAtLeast(version, "1.0.0")) ip["version"] = "4";
      result = {{"cniVersion", version},
                {"interfaces", json::array({{{"name", EnvValue(request, "CNI_IFNAME")}}})},
                {"ips", json::array({ip})}};
    }
    return ExecOutcome{0, false, result.dump(), ""};
  };
}

std::string EnvValue(const ExecRequest& request, std::string_view key) {
  std::string prefix = std::string(key) + "=";
  for (const std::string& entry : request.env) {
    if (entry.rfind(prefix, 0) == 0) return entry.substr(prefix.size());
  }
  return "";
}

int EnvCount(const ExecRequest& request, std::string_view key) {
  std::string prefix = std::string(key) + "=";
  int count = 0;
  for (const std::string& entry : request.env) count += entry.rfind(prefix, 0) == 0 ? 1 : 0;
  return count;
}

std::string PluginName(const ExecRequest& request) {
  size_t slash = request.path.rfind('/');
  return slash == std::string::npos ? request.path : request.path.substr(slash + 1);
}

}  // namespace multus::test
