#include "master_config.h"

#include "multus/file_io.h"
#include "multus/multus_type.h"

namespace multus::install {

bool IsMasterCandidateName(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  if (name.starts_with("00-multus.conf")) return false;
  return name.ends_with(".conf") || name.ends_with(".conflist");
}

Result<MasterConfig> FindMasterConfig(const std::string& dir, const std::string& pinned_name) {
  if (!pinned_name.empty()) {
    std::string path = dir + "/" + pinned_name;
    if (!IsRegularFile(path)) {
      return Status::TryAgainLater("master CNI config " + path + " does not exist (yet)");
    }
    auto content = ReadFile(path);
    if (!content.ok()) return content.status();
    return MasterConfig{path, std::move(content).value()};
  }
  if (!IsDirectory(dir)) {
    return Status::TryAgainLater("autoconfig directory " + dir + " does not exist (yet)");
  }
  for (const std::string& name : ListRegularFiles(dir)) {
    if (!IsMasterCandidateName(name)) continue;
    std::string path = dir + "/" + name;
    auto content = ReadFile(path);
    if (!content.ok()) continue;
    if (LooksLikeMultusConfig(content.value())) continue;
    return MasterConfig{path, std::move(content).value()};
  }
  return Status::TryAgainLater("no master CNI config (*.conf, *.conflist) in " + dir + " (yet)");
}

}  // namespace multus::install
