// The node as the verbs see it, besides the plugins (executor.h) and the API
// (http_transport.h): the pod's network namespace and time. main.cc hands the real ones
// (MakeLinuxPodNetns, MakeSystemClock) to Run through Deps; unit tests hand fakes
// (tests/testing/fake_platform.h), so no unit test needs root or waits.
#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "multus/default_route.h"
#include "multus/status.h"

namespace multus {

class PodNetns {
 public:
  virtual ~PodNetns() = default;
  // True when the netns file at `path` exists (a DEL may come after the sandbox is gone).
  virtual bool Exists(const std::string& path) = 0;
  // The names of the links in the netns. Code 4 when it cannot be entered.
  virtual Result<std::set<std::string>> LinkNames(const std::string& path) = 0;
  // Deletes every default route of each requested family from the main table, then adds the
  // requested gateway on its interface. Code 5 on netlink failure.
  virtual Status ApplyDefaultRoutes(const std::string& path,
                                    const std::vector<GatewayRequest>& requests) = 0;
};

// setns on a worker thread and rtnetlink (netns_linux.cc, default_route_linux.cc).
std::unique_ptr<PodNetns> MakeLinuxPodNetns();

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
  virtual void Sleep(std::chrono::milliseconds duration) = 0;
};

// std::chrono::steady_clock and std::this_thread::sleep_for.
std::unique_ptr<Clock> MakeSystemClock();

}  // namespace multus
