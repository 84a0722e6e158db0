#include "leftovers_linux.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "multus/cache_paths.h"

namespace multus::shim {

Result<std::vector<std::string>> FindLeftovers(std::string_view cni_dir,
                                               std::string_view container_id) {
  std::vector<std::string> found;
  const std::string scratch = ScratchCachePath(cni_dir, container_id);
  struct stat st;
  if (lstat(scratch.c_str(), &st) == 0) {
    found.push_back(scratch);
  } else if (errno != ENOENT && errno != ENOTDIR) {
    return IoError("cannot look at", scratch, errno);
  }
  // Result caches are named <net>-<containerID>-<ifname> (cache_paths.h).
  const std::string results = ResultsDir(cni_dir);
  DIR* dir = opendir(results.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return found;
    return IoError("cannot list", results, errno);
  }
  const std::string marker = "-" + std::string(container_id) + "-";
  errno = 0;
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.find(marker) != std::string_view::npos) found.push_back(results + "/" + entry->d_name);
  }
  int err = errno;
  closedir(dir);
  if (err != 0) return IoError("cannot list", results, err);
  std::sort(found.begin() + (found.empty() || found[0] != scratch ? 0 : 1), found.end());
  return found;
}

}  // namespace multus::shim
