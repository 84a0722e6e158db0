#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "multus/netns.h"

namespace multus {
namespace {

// Puts the calling thread back into the netns it had when constructed. Failing that, the
// process ends at once: whatever this thread did next (starting a delegate, connecting to the
// apiserver) would happen in the pod's netns.
class NetnsReturn {
 public:
  explicit NetnsReturn(int home_fd) : home_fd_(home_fd) {}
  ~NetnsReturn() {
    if (setns(home_fd_, CLONE_NEWNET) != 0) {
      std::fprintf(stderr, "multus: cannot return to the original network namespace: %s\n",
                   strerror(errno));
      std::abort();
    }
    close(home_fd_);
  }
  NetnsReturn(const NetnsReturn&) = delete;
  NetnsReturn& operator=(const NetnsReturn&) = delete;

 private:
  int home_fd_;
};

}  // namespace

Status RunInNetns(const std::string& netns_path, const std::function<Status()>& work) {
  // The calling thread enters the netns and comes back, rather than a thread made for the
  // purpose (about 10 syscalls more, for the few netlink calls of an ADD).
  int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    return Status::IoFailure(std::string("cannot open this thread's netns: ") + strerror(errno));
  }
  int fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    Status failed = Status::InvalidEnv("cannot enter netns " + netns_path + ": " + strerror(errno));
    if (fd >= 0) close(fd);
    close(home);
    return failed;
  }
  close(fd);
  NetnsReturn back(home);
  return work();
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
