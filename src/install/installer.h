// The installer's steps. Each Sync* step is idempotent: it computes what the files should
// contain, compares with what is on disk, and writes (atomically) only what differs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "multus/status.h"
#include "multus_config.h"
#include "options.h"

namespace multus::install {

class Installer {
 public:
  // Logs through multus/log.h.
  Installer(InstallOptions options, std::map<std::string, std::string> env);

  // Validates the options and the environment and creates multus.d and --multus-cni-conf-dir.
  // Code 7 for bad flag values, 4 for missing KUBERNETES_SERVICE_* variables, 5 for missing
  // directories or files.
  Status Prepare();

  // Copies --multus-bin-file to <cni-bin-dir>/multus atomically (skipped when identical).
  Status InstallBinary();

  // Copies the service-account token to multus.d/multus.token and writes
  // multus.d/multus.kubeconfig, each only when its content changed. Code 5 when the token or
  // CA cannot be read (or the token is empty).
  Status SyncCredentials();

  // Auto mode: (re)generates 00-multus.conf[list] from the master and removes the other variant;
  // otherwise copies --multus-conf-file. Code 11 while there is no master, 6 for a master that is
  // not JSON (maybe half-written), 7 for one that cannot be wrapped, 5 for I/O errors.
  Status SyncConfig();

  // Removes the multus config this installer writes, and puts back a master renamed by
  // --rename-conf-file.
  void Cleanup();

  // The directories whose changes must trigger a Sync.
  std::vector<std::string> WatchDirectories() const;

  std::string KubeconfigPath() const;
  std::string TokenPath() const;

 private:
  bool AutoMode() const { return options_.multus_conf_file == "auto"; }
  Status WriteIfChanged(const std::string& path, const std::string& content, mode_t mode,
                        const std::string& what);

  InstallOptions options_;
  std::map<std::string, std::string> env_;
  ConfigSettings settings_;
  std::string server_;
  // With --rename-conf-file the master is pinned to the first one found, since the rename
  // would otherwise make the next file in the directory look like the master.
  std::string renamed_master_name_;
  std::string last_master_path_;
  bool master_missing_reported_ = false;
};

}  // namespace multus::install
