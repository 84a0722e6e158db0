#include "testing/fake_platform.h"

namespace multus::test {

Result<std::set<std::string>> FakePodNetns::LinkNames(const std::string& path) {
  auto it = namespaces_.find(path);
  if (it == namespaces_.end()) {
    return Status::InvalidEnv("cannot enter netns " + path + ": No such file or directory");
  }
  return it->second;
}

Status FakePodNetns::ApplyDefaultRoutes(const std::string& path,
                                        const std::vector<GatewayRequest>& requests) {
  std::vector<std::string> routes;
  for (const GatewayRequest& request : requests) {
    routes.push_back(request.ifname + " via " + request.gateway);
  }
  route_calls_.emplace_back(path, std::move(routes));
  if (!Exists(path)) return Status::InvalidEnv("cannot enter netns " + path);
  return route_failure_;
}

void FakeClock::Sleep(std::chrono::milliseconds duration) {
  slept_.push_back(duration);
  now_ += duration;
  if (on_sleep_) on_sleep_();
}

}  // namespace multus::test
