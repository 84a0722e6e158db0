// The files multus keeps under cniDir (format: docs/cache-format.md).
//   <cniDir>/<containerID>                          scratch cache: the NetworkPlan
//   <cniDir>/results/<net>-<containerID>-<ifname>   libcni cniCacheV1 result of one delegate
//   <cniDir>/locks/<containerID>.lock               per-container flock
//   <cniDir>/failed/<containerID>                   marker of an ADD that failed cleanly
// Writes are atomic (temp file + fsync + rename); directories 0700, files 0600.
//
// Everything a CNI command needs under cniDir, one header per job: the paths, the two file
// formats and the file I/O (multus/file_io.h, shared with the installer).
#pragma once

#include "multus/cache_paths.h"
#include "multus/container_lock.h"
#include "multus/file_io.h"
#include "multus/plan_cache.h"
#include "multus/result_cache.h"
