// One delegate's result cache, in libcni's cniCacheV1 shape (docs/cache-format.md).
#include "multus/result_cache.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "cache_json.h"
#include "multus/cache_paths.h"
#include "multus/cni_env.h"
#include "multus/file_io.h"
#include "multus/json_parse.h"

namespace multus {
namespace {

using cache_json::Corrupt;
using cache_json::Dump;
using cache_json::EmbedObjectText;
using cache_json::Json;
using cache_json::KeyValuesToJson;
using cache_json::Reader;
using cache_json::TypeName;

constexpr std::string_view kResultKind = "cniCacheV1";

}  // namespace

std::string SerializeCachedResult(const CachedResult& cached) {
  // Member names and omissions follow libcni's cachedInfo, so either binary reads it.
  Json doc = Json::object();
  doc["kind"] = kResultKind;
  doc["containerId"] = cached.container_id;
  doc["config"] = Base64Encode(cached.config);
  doc["ifName"] = cached.ifname;
  doc["networkName"] = cached.network_name;
  if (!cached.netns.empty()) doc["netns"] = cached.netns;
  if (!cached.cni_args.empty()) doc["cniArgs"] = KeyValuesToJson(cached.cni_args);
  Json caps = EmbedObjectText(cached.capability_args);
  if (!caps.empty()) doc["capabilityArgs"] = std::move(caps);
  if (!cached.result.empty()) doc["result"] = EmbedObjectText(cached.result);
  return Dump(doc);
}

Result<CachedResult> ParseCachedResult(std::string_view bytes) {
  try {
    Json doc = ParseJson<Json>(bytes, kMaxOwnFileJsonDepth);
    if (!doc.is_object()) {
      return Corrupt(std::string("result cache: expected a JSON object, got ") + TypeName(doc));
    }
    Reader r(doc, "result cache: ");
    std::string kind;
    RETURN_IF_ERROR(r.String("kind", &kind, /*required=*/true));
    if (kind != kResultKind) {
      return Corrupt("result cache: unknown kind \"" + kind + "\" (expected \"" +
                     std::string(kResultKind) + "\")");
    }
    CachedResult cached;
    RETURN_IF_ERROR(r.String("containerId", &cached.container_id, /*required=*/true));
    RETURN_IF_ERROR(r.Base64Member("config", &cached.config, /*required=*/true, "config"));
    RETURN_IF_ERROR(r.String("ifName", &cached.ifname, /*required=*/true));
    RETURN_IF_ERROR(r.String("networkName", &cached.network_name, /*required=*/true));
    RETURN_IF_ERROR(r.String("netns", &cached.netns));
    RETURN_IF_ERROR(r.Pairs("cniArgs", &cached.cni_args));
    RETURN_IF_ERROR(r.ObjectText("capabilityArgs", &cached.capability_args, "{}"));
    RETURN_IF_ERROR(r.ObjectText("result", &cached.result, ""));
    // GC builds paths and runs DELs from these: as strict as the runtime's own environment
    // (audit finding 10), so a planted file cannot name "../" or another interface.
    if (!IsValidCniIdentifier(cached.container_id)) {
      return Corrupt("result cache: invalid containerId \"" + cached.container_id + "\"");
    }
    if (!ValidateIfName(cached.ifname).ok()) {
      return Corrupt("result cache: invalid ifName \"" + cached.ifname + "\"");
    }
    if (!IsValidCniIdentifier(cached.network_name)) {
      return Corrupt("result cache: invalid networkName \"" + cached.network_name + "\"");
    }
    if (!cached.netns.empty() && cached.netns.front() != '/') {
      return Corrupt("result cache: netns \"" + cached.netns + "\" is not an absolute path");
    }
    return cached;
  } catch (const Json::exception& e) {
    return Corrupt(std::string("result cache is not valid JSON: ") + e.what());
  }
}

Result<nlohmann::json> ReadCachedResultMember(std::string_view bytes) {
  try {
    nlohmann::json doc = ParseJson(bytes, kMaxOwnFileJsonDepth);
    if (!doc.is_object() || doc.value("kind", "") != kResultKind) {
      return Corrupt("result cache: not a " + std::string(kResultKind) + " document");
    }
    auto result = doc.find("result");
    return result == doc.end() ? nlohmann::json() : std::move(*result);
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("result cache is not valid JSON: ") + e.what());
  }
}

std::vector<ResultCacheEntry> ListResultCaches(std::string_view cni_dir) {
  std::vector<ResultCacheEntry> entries;
  try {
    std::error_code ec;
    std::filesystem::directory_iterator it(ResultsDir(cni_dir), ec);
    if (ec) return entries;
    for (const std::filesystem::directory_iterator end; it != end; it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      // Dot files are WriteFileAtomic's temp files, possibly complete but not yet renamed.
      if (name.empty() || name[0] == '.') continue;
      if (!it->is_regular_file(ec) || ec) continue;
      const std::string path = it->path().string();
      auto bytes = ReadFileIfExists(path);
      if (!bytes.ok() || !bytes->has_value()) continue;
      auto cached = ParseCachedResult(**bytes);
      // A file must be the one its content names: no acting on a copy planted elsewhere.
      if (!cached.ok() ||
          name != cached->network_name + "-" + cached->container_id + "-" + cached->ifname) {
        continue;
      }
      entries.push_back({path, std::move(cached).value()});
    }
  } catch (const std::filesystem::filesystem_error&) {
    // A directory that changes under us yields what was listed so far.
  }
  std::sort(entries.begin(), entries.end(),
            [](const ResultCacheEntry& a, const ResultCacheEntry& b) { return a.path < b.path; });
  return entries;
}

}  // namespace multus
