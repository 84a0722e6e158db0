// The real PodNetns: the free functions of netns.h and default_route.h behind the seam.
#include <sys/stat.h>

#include "multus/netns.h"
#include "multus/platform.h"

namespace multus {
namespace {

class LinuxPodNetns final : public PodNetns {
 public:
  bool Exists(const std::string& path) override {
    struct stat info;
    return stat(path.c_str(), &info) == 0;
  }
  Result<std::set<std::string>> LinkNames(const std::string& path) override {
    return multus::LinkNames(path);
  }
  Status ApplyDefaultRoutes(const std::string& path,
                            const std::vector<GatewayRequest>& requests) override {
    return multus::ApplyDefaultRoutes(path, requests);
  }
};

}  // namespace

std::unique_ptr<PodNetns> MakeLinuxPodNetns() { return std::make_unique<LinuxPodNetns>(); }

}  // namespace multus
