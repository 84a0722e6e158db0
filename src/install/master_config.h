// Choosing the master CNI config: the primary network multus wraps as the cluster network.
#pragma once

#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus::install {

struct MasterConfig {
  std::string path;
  std::string content;
};

// Whether a file name may be a master: ends in .conf or .conflist, is not hidden, and is not
// multus's own output (00-multus.conf*).
bool IsMasterCandidateName(std::string_view name);

// The master: `dir`/`pinned_name` when pinned_name is set, else the alphabetically first
// candidate in `dir` that is not a multus config. Code 11 (try again later) when there is none
// yet, code 5 when the pinned file cannot be read.
Result<MasterConfig> FindMasterConfig(const std::string& dir, const std::string& pinned_name);

}  // namespace multus::install
