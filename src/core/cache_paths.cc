// Every path under cniDir is built here, so every caller agrees on the layout.
#include "multus/cache_paths.h"

#include <algorithm>

#include "multus/container_lock.h"

namespace multus {
namespace {

std::string Join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

}  // namespace

std::string ScratchCachePath(std::string_view cni_dir, std::string_view container_id) {
  return Join(cni_dir, container_id);
}

std::string ResultsDir(std::string_view cni_dir) { return Join(cni_dir, "results"); }

std::string ResultCachePath(std::string_view cni_dir, std::string_view network_name,
                            std::string_view container_id, std::string_view ifname) {
  std::string name(network_name);
  name += '-';
  name += container_id;
  name += '-';
  name += ifname;
  return Join(ResultsDir(cni_dir), name);
}

Status CheckResultCacheName(std::string_view network_name, std::string_view container_id,
                            std::string_view ifname) {
  constexpr size_t kNameMax = 255;
  constexpr size_t kTempDecoration = 40;
  const size_t others = container_id.size() + ifname.size() + 2;
  const size_t allowed = kNameMax - kTempDecoration - std::min(others, kNameMax - kTempDecoration);
  if (network_name.size() <= allowed) return OkStatus();
  return Status::InvalidConfig(
      "network name \"" + std::string(network_name.substr(0, 64)) + "...\" is too long (" +
          std::to_string(network_name.size()) + " bytes)",
      "its result cache file <network>-<container ID>-<interface> must fit the "
      "file-name limit: use a network name of at most " +
          std::to_string(allowed) + " bytes");
}

std::string FailedAddPath(std::string_view cni_dir, std::string_view container_id) {
  return Join(Join(cni_dir, "failed"), container_id);
}

std::string LockPath(std::string_view cni_dir, std::string_view container_id) {
  std::string name(container_id);
  name += ".lock";
  return Join(Join(cni_dir, "locks"), name);
}
}  // namespace multus
