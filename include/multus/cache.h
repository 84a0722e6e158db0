// The files multus keeps under cniDir (format: docs/cache-format.md).
//   <cniDir>/<containerID>                          scratch cache: the NetworkPlan
//   <cniDir>/results/<net>-<containerID>-<ifname>   libcni cniCacheV1 result of one delegate
//   <cniDir>/locks/<containerID>.lock               per-container flock
//   <cniDir>/failed/<containerID>                   marker of an ADD that failed cleanly
// Writes are atomic (temp file + fsync + rename); directories 0700, files 0600.
//
// Everything a CNI command needs under cniDir, one header per job: the paths, the two file
// formats and the file I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "multus/cache_paths.h"
#include "multus/container_lock.h"
#include "multus/plan_cache.h"
#include "multus/result_cache.h"
#include "multus/status.h"

namespace multus {

// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename,
// fsync of the directory. Creates missing parent directories with mode 0700.
// Errors: code 5 (I/O) naming the path.
Status WriteFileAtomic(const std::string& path, std::string_view bytes);

// mkdir -p: what it creates gets mode 0700; existing directories are left as they are.
// Code 5 naming the directory.
Status MakeDirs(const std::string& dir);

// Removes the temp files that a write of `path` killed half-way left beside it
// (".<name>.tmp-*"); best effort. Call only under the lock that serializes writes of `path`.
void RemoveTempFilesOf(const std::string& path);

// Removes temp files older than `max_age_seconds` anywhere in `dir` (GC of crashed writes).
void RemoveStaleTempFiles(const std::string& dir, long max_age_seconds);

// Reads a whole file. nullopt when it does not exist; code 5 on any other error.
Result<std::optional<std::string>> ReadFileIfExists(const std::string& path);

// Removes a file; a missing file is success. Code 5 on other errors.
Status RemoveFileIfExists(const std::string& path);

}  // namespace multus
