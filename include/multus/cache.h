// The files multus keeps under cniDir (format: docs/cache-format.md).
//   <cniDir>/<containerID>                          scratch cache: the NetworkPlan
//   <cniDir>/results/<net>-<containerID>-<ifname>   libcni cniCacheV1 result of one delegate
//   <cniDir>/locks/<containerID>.lock               per-container flock
//   <cniDir>/failed/<containerID>                   marker of an ADD that failed cleanly
// Writes are atomic (temp file + fsync + rename); directories 0700, files 0600.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "multus/container_lock.h"
#include "multus/network_plan.h"
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

// Serializes a plan in our scratch-cache format ("kind": "multusPlanV1").
std::string SerializePlan(const NetworkPlan& plan);

// Parses a scratch cache: ours, or upstream multus v4's (a JSON array of delegate objects
// with base64 `Bytes`). For upstream's format, interface names are recomputed with its rule
// (ifnameRequest, else `cni_ifname` for index 0, else net<index>), and `container_id` and
// `netns` fill what it does not store. Code 101 (corrupt cache) on anything unreadable.
Result<NetworkPlan> ParsePlanCache(std::string_view bytes, std::string_view container_id,
                                   std::string_view netns, std::string_view cni_ifname);

// One delegate's cached ADD result (libcni's cniCacheV1 shape).
struct CachedResult {
  std::string container_id;
  std::string ifname;
  std::string network_name;
  std::string netns;
  std::string config;  // the config bytes the delegate was added with
  KeyValues cni_args;
  std::string capability_args;  // JSON object text
  std::string result;           // JSON object text of the plugin's result
};

std::string SerializeCachedResult(const CachedResult& cached);
// Code 101 if `bytes` is not a cniCacheV1 document.
Result<CachedResult> ParseCachedResult(std::string_view bytes);

// Lists the result caches in <cniDir>/results (file name and parsed content); unreadable
// entries are skipped. A missing directory is an empty list.
struct ResultCacheEntry {
  std::string path;
  CachedResult cached;
};
std::vector<ResultCacheEntry> ListResultCaches(std::string_view cni_dir);

}  // namespace multus
