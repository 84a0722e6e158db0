// Fakes of platform.h: network namespaces that are names with a set of links, and a clock
// that only moves when it is slept on.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "multus/platform.h"

namespace multus::test {

class FakePodNetns : public PodNetns {
 public:
  // A netns at `path` holding `links` (a fresh one has only lo).
  void Create(const std::string& path, std::set<std::string> links = {"lo"}) {
    namespaces_[path] = std::move(links);
  }
  // The sandbox went away.
  void Remove(const std::string& path) { namespaces_.erase(path); }
  // Every ApplyDefaultRoutes fails with `status` (ok: succeeds).
  void FailRoutes(Status status) { route_failure_ = std::move(status); }

  bool Exists(const std::string& path) override { return namespaces_.count(path) != 0; }
  Result<std::set<std::string>> LinkNames(const std::string& path) override;
  Status ApplyDefaultRoutes(const std::string& path,
                            const std::vector<GatewayRequest>& requests) override;

  // Every ApplyDefaultRoutes call: the netns and "ifname via gateway" per request.
  const std::vector<std::pair<std::string, std::vector<std::string>>>& route_calls() const {
    return route_calls_;
  }

 private:
  std::map<std::string, std::set<std::string>> namespaces_;
  Status route_failure_;
  std::vector<std::pair<std::string, std::vector<std::string>>> route_calls_;
};

class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return now_; }
  // Records the sleep, advances the time, then runs the hook (a test's way to act "while
  // multus waits").
  void Sleep(std::chrono::milliseconds duration) override;
  void OnSleep(std::function<void()> hook) { on_sleep_ = std::move(hook); }
  const std::vector<std::chrono::milliseconds>& slept() const { return slept_; }

 private:
  std::chrono::steady_clock::time_point now_{};
  std::vector<std::chrono::milliseconds> slept_;
  std::function<void()> on_sleep_;
};

}  // namespace multus::test
