// The result cache's format: one delegate's ADD result, as libcni stores it, read back as
// prevResult on CHECK and DEL and listed by GC (docs/cache-format.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "multus/network_plan.h"
#include "multus/status.h"

namespace multus {

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

// Only the "result" member of a result cache, for a prevResult: the kind is checked and
// nothing else is read (the caller chose the path). Null when there is none; code 101 if
// `bytes` is not a cniCacheV1 document.
Result<nlohmann::json> ReadCachedResultMember(std::string_view bytes);

// Lists the result caches in <cniDir>/results (file name and parsed content); unreadable
// entries are skipped. A missing directory is an empty list.
struct ResultCacheEntry {
  std::string path;
  CachedResult cached;
};
std::vector<ResultCacheEntry> ListResultCaches(std::string_view cni_dir);

}  // namespace multus
