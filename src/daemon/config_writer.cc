#include "config_writer.h"

#include "master_config.h"
#include "multus/file_io.h"
#include "multus/log.h"
#include "multus_config.h"

namespace multus::daemon {
namespace {

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

Status WriteIfChanged(const std::string& path, const std::string& content) {
  Result<std::optional<std::string>> current = ReadFileIfExists(path);
  if (current.ok() && *current && **current == content) return OkStatus();
  if (content.empty()) return Status::Internal("refusing to write an empty multus config");
  WriteOptions options;
  options.mode = 0600;
  options.own_directory = false;
  RETURN_IF_ERROR(WriteFileAtomic(path, content, options));
  log::Verbose("wrote the multus config {}", path);
  return OkStatus();
}

}  // namespace

std::string ConfigWriter::TargetPath() const {
  if (config_.multus_config_file != "auto") {
    return config_.cni_config_dir + "/" + BaseName(config_.multus_config_file);
  }
  return config_.cni_config_dir + "/" + std::string(install::kConfFileName);
}

Status ConfigWriter::Sync() {
  if (config_.multus_config_file != "auto") {
    ASSIGN_OR_RETURN(std::string content, ReadFile(config_.multus_config_file));
    return WriteIfChanged(TargetPath(), content);
  }
  ASSIGN_OR_RETURN(install::MasterConfig master,
                   install::FindMasterConfig(config_.AutoconfigDir(), config_.multus_master_cni));
  install::ConfigSettings settings;
  settings.cni_version = config_.cni_version;
  settings.force_cni_version = config_.force_cni_version;
  settings.override_network_name = config_.override_network_name;
  std::string socket_dir = config_.socket_dir == "/run/multus/" ? "" : config_.socket_dir;
  Result<install::RenderedConfig> rendered =
      install::RenderShimConfig(master.path, master.content, settings, socket_dir);
  if (!rendered.ok()) {
    return Status(rendered.status().code(), master.path + ": " + rendered.status().msg(),
                  rendered.status().details());
  }
  if (master.path != last_master_) {
    log::Verbose("master CNI config: {}", master.path);
    last_master_ = master.path;
  }
  return WriteIfChanged(TargetPath(), rendered->content);
}

Status ConfigWriter::Uninstall() {
  RETURN_IF_ERROR(RemoveFileIfExists(TargetPath()));
  log::Verbose("removed the multus config {}", TargetPath());
  return OkStatus();
}

std::vector<std::string> ConfigWriter::WatchDirectories() const {
  std::vector<std::string> dirs = {config_.AutoconfigDir()};
  if (config_.multus_config_file != "auto") {
    size_t slash = config_.multus_config_file.rfind('/');
    dirs = {slash == std::string::npos ? "." : config_.multus_config_file.substr(0, slash)};
  }
  return dirs;
}

}  // namespace multus::daemon
