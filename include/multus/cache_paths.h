// The paths of the files multus keeps under cniDir (layout: multus/cache.h).
#pragma once

#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus {

// One function per path, so every caller agrees on the layout.
std::string ScratchCachePath(std::string_view cni_dir, std::string_view container_id);
std::string ResultsDir(std::string_view cni_dir);
std::string ResultCachePath(std::string_view cni_dir, std::string_view network_name,
                            std::string_view container_id, std::string_view ifname);
// The result cache's file name must fit NAME_MAX together with the temp-file decoration of an
// atomic write (".<name>.tmp-<pid>-<n>-<ns>"). Code 7 naming the network and the most bytes
// its name may have; checked before any plugin runs, so a long NAD name never strands a pod.
Status CheckResultCacheName(std::string_view network_name, std::string_view container_id,
                            std::string_view ifname);
// <cniDir>/failed/<containerID>: an ADD failed and left nothing behind; the DEL that must
// follow (spec) then deletes nothing, so it cannot remove a link multus never created.
std::string FailedAddPath(std::string_view cni_dir, std::string_view container_id);

}  // namespace multus
