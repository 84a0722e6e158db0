// What multus keeps on disk for one container (layout: multus/cache.h), looked at when DEL
// cannot reach the daemon: if nothing is left, there is nothing to delete.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "multus/status.h"

namespace multus::shim {

// The paths under `cni_dir` that belong to `container_id`: its scratch cache
// <cniDir>/<id> and its result caches <cniDir>/results/<net>-<id>-<ifname>. Empty when there
// are none (including when cniDir does not exist). Code 5 when a directory exists but cannot
// be read: then nobody knows whether something is left.
Result<std::vector<std::string>> FindLeftovers(std::string_view cni_dir,
                                               std::string_view container_id);

}  // namespace multus::shim
