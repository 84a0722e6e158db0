#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "multus/netns.h"

namespace multus {

Status RunInNetns(const std::string& netns_path, const std::function<Status()>& work) {
  Status status;
  std::thread worker([&] {
    int fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      status = Status::InvalidEnv("cannot enter netns " + netns_path + ": " + strerror(errno));
      if (fd >= 0) close(fd);
      return;
    }
    close(fd);
    status = work();
  });
  worker.join();
  return status;
}

Result<std::set<std::string>> LinkNames(const std::string& netns_path) {
  std::set<std::string> names;
  Status status = RunInNetns(netns_path, [&names] {
    struct if_nameindex* links = if_nameindex();
    if (links == nullptr) {
      return Status::IoFailure(std::string("cannot list links: ") + strerror(errno));
    }
    for (struct if_nameindex* entry = links; entry->if_index != 0; ++entry)
      names.insert(entry->if_name);
    if_freenameindex(links);
    return OkStatus();
  });
  if (!status.ok()) return status;
  return names;
}

}  // namespace multus
