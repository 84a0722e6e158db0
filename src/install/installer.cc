#include "installer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kubeconfig_writer.h"
#include "master_config.h"
#include "multus/file_io.h"
#include "multus/in_cluster.h"
#include "multus/log.h"

namespace multus::install {
namespace {

constexpr mode_t kPrivateFile = 0600;
constexpr mode_t kPrivateDir = 0700;
constexpr mode_t kPublicDir = 0755;  // the node's CNI directories, as the runtime expects
constexpr std::string_view kOldSuffix = ".old";

Status Missing(const std::string& what, const std::string& path) {
  return Status::IoFailure(what + " " + path + " does not exist");
}

}  // namespace

Installer::Installer(InstallOptions options, std::map<std::string, std::string> env)
    : options_(std::move(options)), env_(std::move(env)) {}

std::string Installer::KubeconfigPath() const {
  return options_.cni_conf_dir + "/multus.d/multus.kubeconfig";
}

std::string Installer::TokenPath() const {
  return options_.cni_conf_dir + "/multus.d/multus.token";
}

Status Installer::Prepare() {
  auto level = NormalizeLogLevel(options_.multus_log_level);
  if (!level.ok()) return level.status();
  if (!options_.cni_version.empty()) {
    auto valid = CompareCniVersions(options_.cni_version, "0.1.0");
    if (!valid.ok()) return Status::InvalidConfig("--cni-version: " + valid.status().msg());
  }
  if (options_.force_cni_version && options_.cni_version.empty()) {
    return Status::InvalidConfig("--force-cni-version needs --cni-version");
  }
  if (!options_.multus_master_cni_file_name.empty() &&
      options_.multus_master_cni_file_name.find('/') != std::string::npos) {
    return Status::InvalidConfig("--multus-master-cni-file-name must be a file name, not a path");
  }
  if (!IsDirectory(options_.cni_conf_dir)) return Missing("--cni-conf-dir", options_.cni_conf_dir);
  if (!options_.skip_multus_binary_copy) {
    if (!IsDirectory(options_.cni_bin_dir)) return Missing("--cni-bin-dir", options_.cni_bin_dir);
    if (!IsRegularFile(options_.multus_bin_file)) {
      return Missing("--multus-bin-file", options_.multus_bin_file);
    }
  }
  if (!AutoMode() && !IsRegularFile(options_.multus_conf_file)) {
    return Missing("--multus-conf-file", options_.multus_conf_file);
  }
  auto server = InClusterServerUrl(env_);
  if (!server.ok()) return server.status();
  server_ = server.value();

  settings_.cni_version = options_.cni_version;
  settings_.force_cni_version = options_.force_cni_version;
  settings_.override_network_name = options_.override_network_name;
  settings_.kubeconfig = options_.multus_kubeconfig_file_host;
  settings_.namespace_isolation = options_.namespace_isolation;
  settings_.global_namespaces = options_.global_namespaces;
  settings_.log_to_stderr = options_.multus_log_to_stderr;
  settings_.log_level = level.value();
  settings_.log_file = options_.multus_log_file;
  settings_.bin_dir = options_.additional_bin_dir;
  settings_.conf_dir = options_.multus_cni_conf_dir.empty() ? "" : ConfDirHostPath(options_);
  settings_.readiness_indicator_file = options_.readiness_indicator_file;

  // multus.d holds the token copy and the kubeconfig: private whatever the umask, also when
  // an older version created it.
  const std::string private_dir = options_.cni_conf_dir + "/multus.d";
  RETURN_IF_ERROR(MakeDirs(private_dir, kPublicDir, LeafSymlink::kFollow));
  if (chmod(private_dir.c_str(), kPrivateDir) != 0) {
    return Status::IoFailure("cannot make " + private_dir + " private: " + strerror(errno));
  }
  if (!options_.multus_cni_conf_dir.empty())
    RETURN_IF_ERROR(MakeDirs(options_.multus_cni_conf_dir, kPublicDir, LeafSymlink::kFollow));
  return OkStatus();
}

Status Installer::InstallBinary() {
  const std::string target = options_.cni_bin_dir + "/multus";
  auto source = ReadFile(options_.multus_bin_file);
  if (!source.ok()) return source.status();
  auto installed = ReadFile(target);
  if (installed.ok() && *installed == source.value() &&
      FileMode(target) == FileMode(options_.multus_bin_file)) {
    log::Verbose("multus binary {} is up to date", target);
    return OkStatus();
  }
  RETURN_IF_ERROR(CopyFileAtomic(options_.multus_bin_file, target));
  log::Verbose("installed {} as {}", options_.multus_bin_file, target);
  return OkStatus();
}

Status Installer::WriteIfChanged(const std::string& path, const std::string& content, mode_t mode,
                                 const std::string& what) {
  auto current = ReadFile(path);
  if (current.ok() && *current == content && FileMode(path) == mode) return OkStatus();
  RETURN_IF_ERROR(WriteFileAtomic(path, content, {.mode = mode, .own_directory = false}));
  log::Verbose("{} {} {}", current.ok() ? "updated" : "wrote", what, path);
  return OkStatus();
}

Status Installer::SyncCredentials() {
  const std::string sa_token = options_.service_account_dir + "/token";
  auto token = ReadFile(sa_token);
  if (!token.ok()) {
    return Status::IoFailure(
        "service-account token: " + token.status().msg(),
        "the pod needs a service account token (automountServiceAccountToken)");
  }
  if (token.value().empty()) {
    return Status::IoFailure("service-account token " + sa_token + " is empty");
  }
  KubeconfigInputs inputs;
  inputs.server = server_;
  inputs.skip_tls_verify = options_.skip_tls_verify;
  inputs.token_file = DirName(options_.multus_kubeconfig_file_host) + "/multus.token";
  if (!options_.skip_tls_verify) {
    auto ca = ReadFile(options_.service_account_dir + "/ca.crt");
    if (!ca.ok()) return Status::IoFailure("service-account CA: " + ca.status().msg());
    inputs.ca_pem = std::move(ca).value();
  }
  // The token first: the kubeconfig points at it.
  RETURN_IF_ERROR(
      WriteIfChanged(TokenPath(), token.value(), kPrivateFile, "service-account token copy"));
  return WriteIfChanged(KubeconfigPath(), RenderKubeconfig(inputs), kPrivateFile, "kubeconfig");
}

Status Installer::SyncConfig() {
  if (!AutoMode()) {
    auto content = ReadFile(options_.multus_conf_file);
    if (!content.ok()) return content.status();
    return WriteIfChanged(options_.cni_conf_dir + "/" + BaseName(options_.multus_conf_file),
                          content.value(), kPrivateFile, "multus config");
  }

  const std::string& dir = options_.multus_autoconfig_dir;
  std::string pinned =
      renamed_master_name_.empty() ? options_.multus_master_cni_file_name : renamed_master_name_;
  auto master = FindMasterConfig(dir, pinned);
  if (!master.ok() && !renamed_master_name_.empty()) {
    master = FindMasterConfig(dir, renamed_master_name_ + std::string(kOldSuffix));
  }
  if (!master.ok()) {
    if (!last_master_path_.empty() && !master_missing_reported_) {
      log::Warning("master CNI config {} is gone; keeping the multus config until a master "
                   "appears again",
                   last_master_path_);
      master_missing_reported_ = true;
    }
    return master.status();
  }
  if (master_missing_reported_) {
    log::Verbose("master CNI config {} is back", master->path);
    master_missing_reported_ = false;
  }
  auto rendered = RenderMultusConfig(master->content, settings_);
  if (!rendered.ok()) {
    const Status& error = rendered.status();
    return Status(error.code(), master->path + ": " + error.msg(), error.details());
  }
  if (master->path != last_master_path_) {
    log::Verbose("master CNI config: {} (cniVersion {})", master->path, rendered->cni_version);
    last_master_path_ = master->path;
  }
  if (rendered->content.empty()) {
    return Status::Internal("refusing to write an empty multus config");
  }
  RETURN_IF_ERROR(WriteIfChanged(options_.cni_conf_dir + "/" + rendered->file_name,
                                 rendered->content, kPrivateFile, "multus config"));
  // A stale 00-multus.conf would shadow a new 00-multus.conflist (it sorts first), and the
  // other way round.
  if (RemoveFile(options_.cni_conf_dir + "/" + rendered->stale_file_name)) {
    log::Verbose("removed stale {}/{}", options_.cni_conf_dir, rendered->stale_file_name);
  }
  if (options_.rename_conf_file && !master->path.ends_with(kOldSuffix)) {
    std::string old_path = master->path + std::string(kOldSuffix);
    RETURN_IF_ERROR(RenameFile(master->path, old_path));
    renamed_master_name_ = BaseName(master->path);
    last_master_path_ = old_path;
    log::Verbose("renamed master CNI config to {}", old_path);
  }
  return OkStatus();
}

void Installer::Cleanup() {
  std::vector<std::string> names;
  if (AutoMode()) {
    names = {std::string(kConfFileName), std::string(kConflistFileName)};
  } else {
    names = {BaseName(options_.multus_conf_file)};
  }
  for (const std::string& name : names) {
    std::string path = options_.cni_conf_dir + "/" + name;
    if (RemoveFile(path)) log::Verbose("removed {}", path);
  }
  if (!renamed_master_name_.empty()) {
    std::string original = options_.multus_autoconfig_dir + "/" + renamed_master_name_;
    std::string old_path = original + std::string(kOldSuffix);
    if (!IsRegularFile(original) && IsRegularFile(old_path) &&
        RenameFile(old_path, original).ok()) {
      log::Verbose("restored master CNI config {}", original);
    }
  }
}

std::vector<std::string> Installer::WatchDirectories() const {
  std::vector<std::string> dirs = {options_.service_account_dir};
  if (!options_.skip_config_watch) {
    dirs.push_back(options_.cni_conf_dir);
    dirs.push_back(AutoMode() ? options_.multus_autoconfig_dir
                              : DirName(options_.multus_conf_file));
  }
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  return dirs;
}

}  // namespace multus::install
