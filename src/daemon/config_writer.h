// The multus config the runtime reads (<cniConfigDir>/00-multus.conf), kept by the daemon as
// upstream's does: generated ("multusConfigFile": "auto") as a "multus-shim" config whose
// clusterNetwork is the master's path, or copied from multusConfigFile. Removed only by an
// explicit uninstall, never when the daemon stops.
#pragma once

#include <string>
#include <vector>

#include "daemon_config.h"
#include "multus/status.h"

namespace multus::daemon {

class ConfigWriter {
 public:
  explicit ConfigWriter(const DaemonConfig& config) : config_(config) {}

  // Writes the config atomically (mode 0600) when its content changed. Code 11 while there is
  // no master yet, 6/7 for a master that cannot be read or wrapped, 5 for I/O errors.
  Status Sync();
  // Removes the config this daemon writes (the --uninstall flag).
  Status Uninstall();
  // The directories whose changes call for a Sync.
  std::vector<std::string> WatchDirectories() const;
  std::string TargetPath() const;

 private:
  const DaemonConfig& config_;
  std::string last_master_;
};

}  // namespace multus::daemon
