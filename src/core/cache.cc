// Cache paths and formats. The file I/O and flock live in cache_linux.cc.
// Format reference for operators: docs/cache-format.md.
#include "multus/cache.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "multus/base64.h"
#include "multus/cni_env.h"
#include "multus/json_parse.h"

namespace multus {
namespace {

// ordered_json keeps members in the order we write them (and the order plugins wrote
// their results in), which makes the files readable and diffs stable.
using Json = nlohmann::ordered_json;

constexpr std::string_view kPlanKind = "multusPlanV1";
constexpr std::string_view kResultKind = "cniCacheV1";

std::string Join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

Status Corrupt(std::string msg) {
  return Status(code::kCorruptCache, std::move(msg),
                "the file is kept for inspection; see docs/cache-format.md");
}

// Dumps without ever throwing: strings that are not UTF-8 are replaced rather than lost
// in an exception (callers avoid that case for config bytes, see ConfigMember).
std::string Dump(const Json& doc) {
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// JSON text that is an object is embedded as an object; anything else (which our callers
// never produce) is kept verbatim as a string so nothing is lost.
Json EmbedObjectText(std::string_view text) {
  if (text.empty()) return Json::object();
  Json parsed;
  try {
    parsed = ParseJson<Json>(text);
  } catch (const Json::exception&) {
  }
  if (parsed.is_object()) return parsed;
  return Json(std::string(text));
}

// Config bytes go in as a JSON string so they survive byte for byte. JSON strings must be
// UTF-8; bytes that are not are stored as base64 under `<key>Base64` instead.
void PutConfig(Json& out, std::string_view key, const std::string& config) {
  try {
    (void)Json(config).dump();
    out[std::string(key)] = config;
  } catch (const Json::exception&) {
    out[std::string(key) + "Base64"] = Base64Encode(config);
  }
}

Json KeyValuesToJson(const KeyValues& pairs) {
  Json out = Json::array();
  for (const auto& [k, v] : pairs) out.push_back(Json::array({k, v}));
  return out;
}

// Typed member access that reports which member of which element is wrong.
class Reader {
 public:
  Reader(const Json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  const Json* Find(std::string_view key) const {
    auto it = obj_.find(std::string(key));
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  Status String(std::string_view key, std::string* out, bool required = false) const {
    const Json* v = Find(key);
    if (v == nullptr) {
      return required ? Corrupt(Name(key) + " is missing") : OkStatus();
    }
    if (!v->is_string()) return Corrupt(Name(key) + " must be a string");
    *out = v->get<std::string>();
    return OkStatus();
  }

  Status Bool(std::string_view key, bool* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_boolean()) return Corrupt(Name(key) + " must be a boolean");
    *out = v->get<bool>();
    return OkStatus();
  }

  Status Count(std::string_view key, int* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_number_unsigned() || v->get<uint64_t>() > 1000000) {
      return Corrupt(Name(key) + " must be a small non-negative integer");
    }
    *out = static_cast<int>(v->get<uint64_t>());
    return OkStatus();
  }

  Status Strings(std::string_view key, std::vector<std::string>* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_array()) return Corrupt(Name(key) + " must be an array of strings");
    for (const Json& item : *v) {
      if (!item.is_string()) return Corrupt(Name(key) + " must be an array of strings");
      out->push_back(item.get<std::string>());
    }
    return OkStatus();
  }

  Status Pairs(std::string_view key, KeyValues* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_array()) return Corrupt(Name(key) + " must be an array of [key, value] pairs");
    for (const Json& item : *v) {
      if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_string()) {
        return Corrupt(Name(key) + " must be an array of [key, value] pairs");
      }
      out->emplace_back(item[0].get<std::string>(), item[1].get<std::string>());
    }
    return OkStatus();
  }

  // An embedded JSON object, returned as compact text; `fallback` when absent.
  Status ObjectText(std::string_view key, std::string* out, std::string fallback) const {
    const Json* v = Find(key);
    if (v == nullptr) {
      *out = std::move(fallback);
    } else if (v->is_object()) {
      *out = Dump(*v);
    } else if (v->is_string()) {
      *out = v->get<std::string>();  // see EmbedObjectText
    } else {
      return Corrupt(Name(key) + " must be an object");
    }
    return OkStatus();
  }

  // Config bytes written by PutConfig: `<key>` as a string, or `<key>Base64`.
  Status Config(std::string_view key, std::string* out) const {
    if (Find(key) != nullptr) return String(key, out);
    return Base64Member(std::string(key) + "Base64", out, /*required=*/true, key);
  }

  Status Base64Member(std::string_view key, std::string* out, bool required,
                      std::string_view display_key) const {
    std::string text;
    const Json* v = Find(key);
    if (v == nullptr) {
      return required ? Corrupt(Name(display_key) + " is missing") : OkStatus();
    }
    if (!v->is_string()) return Corrupt(Name(key) + " must be a base64 string");
    auto decoded = Base64Decode(v->get<std::string>());
    if (!decoded.ok()) return Corrupt(Name(key) + ": " + decoded.status().msg());
    *out = std::move(decoded).value();
    return OkStatus();
  }

 private:
  std::string Name(std::string_view key) const { return where_ + "\"" + std::string(key) + "\""; }

  const Json& obj_;
  std::string where_;
};

std::string DelegateWhere(size_t index) {
  return "scratch cache delegates[" + std::to_string(index) + "]: ";
}

Result<PlannedDelegate> ParseOurDelegate(const Json& item, size_t index) {
  if (!item.is_object()) return Corrupt(DelegateWhere(index) + "is not an object");
  Reader r(item, DelegateWhere(index));
  PlannedDelegate d;
  RETURN_IF_ERROR(r.String("name", &d.display_name));
  RETURN_IF_ERROR(r.String("ifname", &d.ifname, /*required=*/true));
  if (d.ifname.empty()) return Corrupt(DelegateWhere(index) + "\"ifname\" is empty");
  RETURN_IF_ERROR(r.Bool("master", &d.master));
  RETURN_IF_ERROR(r.Config("config", &d.config));
  RETURN_IF_ERROR(r.ObjectText("capabilityArgs", &d.capability_args, "{}"));
  RETURN_IF_ERROR(r.Pairs("addCniArgs", &d.add_cni_args));
  RETURN_IF_ERROR(r.Strings("defaultRoute", &d.default_route));
  RETURN_IF_ERROR(r.String("deviceID", &d.device_id));
  RETURN_IF_ERROR(r.String("resourceName", &d.resource_name));
  RETURN_IF_ERROR(r.Bool("delDone", &d.del_done));
  RETURN_IF_ERROR(r.Count("delFailures", &d.del_failures));
  return d;
}

Result<NetworkPlan> ParseOurPlan(const Json& doc, std::string_view container_id,
                                 std::string_view netns) {
  const std::string where = "scratch cache: ";
  Reader r(doc, where);
  std::string kind;
  RETURN_IF_ERROR(r.String("kind", &kind, /*required=*/true));
  if (kind != kPlanKind) {
    return Corrupt("scratch cache: unknown kind \"" + kind + "\" (expected \"" +
                   std::string(kPlanKind) + "\")");
  }
  NetworkPlan plan;
  RETURN_IF_ERROR(r.String("containerId", &plan.container_id));
  RETURN_IF_ERROR(r.String("netns", &plan.netns));
  if (plan.container_id.empty()) plan.container_id = container_id;
  if (plan.netns.empty()) plan.netns = netns;
  if (const Json* pod = r.Find("pod")) {
    if (!pod->is_object()) return Corrupt(where + "\"pod\" must be an object");
    Reader p(*pod, "scratch cache pod: ");
    RETURN_IF_ERROR(p.String("namespace", &plan.pod_namespace));
    RETURN_IF_ERROR(p.String("name", &plan.pod_name));
    RETURN_IF_ERROR(p.String("uid", &plan.pod_uid));
  }
  const Json* delegates = r.Find("delegates");
  if (delegates == nullptr) return Corrupt(where + "\"delegates\" is missing");
  if (!delegates->is_array()) return Corrupt(where + "\"delegates\" must be an array");
  if (delegates->empty()) return Corrupt(where + "\"delegates\" is empty");
  for (size_t i = 0; i < delegates->size(); ++i) {
    ASSIGN_OR_RETURN(PlannedDelegate d, ParseOurDelegate((*delegates)[i], i));
    plan.delegates.push_back(std::move(d));
  }
  return plan;
}

// Upstream's display name is `Name`; older caches may lack it, so fall back to the CNI name.
std::string UpstreamDisplayName(const Json& item) {
  auto it = item.find("Name");
  if (it != item.end() && it->is_string() && !it->get<std::string>().empty()) {
    return it->get<std::string>();
  }
  for (const char* key : {"ConfList", "Conf"}) {
    auto it = item.find(key);
    if (it == item.end() || !it->is_object()) continue;
    auto name = it->find("name");
    if (name != it->end() && name->is_string() && !name->get<std::string>().empty()) {
      return name->get<std::string>();
    }
  }
  return "";
}

// One element of upstream multus v4's scratch cache (its DelegateNetConf, §1.g.7).
Result<PlannedDelegate> ParseUpstreamDelegate(const Json& item, size_t index,
                                              std::string_view cni_ifname) {
  const std::string where = "upstream " + DelegateWhere(index);
  if (!item.is_object()) return Corrupt(where + "is not an object");
  Reader r(item, where);
  PlannedDelegate d;
  RETURN_IF_ERROR(r.Base64Member("Bytes", &d.config, /*required=*/true, "Bytes"));
  d.display_name = UpstreamDisplayName(item);
  d.master = index == 0;

  // Upstream's getIfname: explicit request, else CNI_IFNAME for the master, else net<i>.
  std::string ifname_request;
  RETURN_IF_ERROR(r.String("ifnameRequest", &ifname_request));
  if (!ifname_request.empty()) {
    d.ifname = ifname_request;
  } else if (d.master) {
    d.ifname = cni_ifname;
  } else {
    d.ifname = "net" + std::to_string(index);
  }

  std::string mac, guid;
  std::vector<std::string> ips;
  RETURN_IF_ERROR(r.String("macRequest", &mac));
  RETURN_IF_ERROR(r.String("infinibandGUIDRequest", &guid));
  RETURN_IF_ERROR(r.Strings("ipRequest", &ips));
  RETURN_IF_ERROR(r.Strings("default-route", &d.default_route));
  RETURN_IF_ERROR(r.String("deviceID", &d.device_id));
  RETURN_IF_ERROR(r.String("resourceName", &d.resource_name));

  // Upstream offers only non-empty values as capability args (§1.g.2).
  Json caps = Json::object();
  if (!mac.empty()) caps["mac"] = mac;
  if (!ips.empty()) caps["ips"] = ips;
  if (!guid.empty()) caps["infinibandGUID"] = guid;
  if (!d.device_id.empty()) caps["deviceID"] = d.device_id;
  d.capability_args = Dump(caps);

  // Upstream appends MAC= then IP= to CNI_ARGS on ADD; keep the plan equivalent.
  if (!mac.empty()) d.add_cni_args.emplace_back("MAC", mac);
  if (!ips.empty()) {
    std::string joined;
    for (const auto& ip : ips) joined += (joined.empty() ? "" : ",") + ip;
    d.add_cni_args.emplace_back("IP", joined);
  }
  return d;
}

Result<NetworkPlan> ParseUpstreamPlan(const Json& doc, std::string_view container_id,
                                      std::string_view netns, std::string_view cni_ifname) {
  if (doc.empty()) return Corrupt("upstream scratch cache: the delegate list is empty");
  NetworkPlan plan;
  plan.container_id = container_id;
  plan.netns = netns;
  for (size_t i = 0; i < doc.size(); ++i) {
    ASSIGN_OR_RETURN(PlannedDelegate d, ParseUpstreamDelegate(doc[i], i, cni_ifname));
    plan.delegates.push_back(std::move(d));
  }
  return plan;
}

const char* TypeName(const Json& doc) { return doc.type_name(); }
}  // namespace

std::string ScratchCachePath(std::string_view cni_dir, std::string_view container_id) {
  return Join(cni_dir, container_id);
}

std::string ResultsDir(std::string_view cni_dir) { return Join(cni_dir, "results"); }

std::string ResultCachePath(std::string_view cni_dir, std::string_view network_name,
                            std::string_view container_id, std::string_view ifname) {
  std::string name(network_name);
  name += '-';
  name += container_id;
  name += '-';
  name += ifname;
  return Join(ResultsDir(cni_dir), name);
}

Status CheckResultCacheName(std::string_view network_name, std::string_view container_id,
                            std::string_view ifname) {
  constexpr size_t kNameMax = 255;
  constexpr size_t kTempDecoration = 40;
  const size_t others = container_id.size() + ifname.size() + 2;
  const size_t allowed = kNameMax - kTempDecoration - std::min(others, kNameMax - kTempDecoration);
  if (network_name.size() <= allowed) return OkStatus();
  return Status(code::kInvalidConfig,
                "network name \"" + std::string(network_name.substr(0, 64)) +
                    "...\" is too long (" + std::to_string(network_name.size()) + " bytes)",
                "its result cache file <network>-<container ID>-<interface> must fit the "
                "file-name limit: use a network name of at most " +
                    std::to_string(allowed) + " bytes");
}

std::string FailedAddPath(std::string_view cni_dir, std::string_view container_id) {
  return Join(Join(cni_dir, "failed"), container_id);
}

std::string LockPath(std::string_view cni_dir, std::string_view container_id) {
  std::string name(container_id);
  name += ".lock";
  return Join(Join(cni_dir, "locks"), name);
}

std::string SerializePlan(const NetworkPlan& plan) {
  Json doc = Json::object();
  doc["kind"] = kPlanKind;
  doc["containerId"] = plan.container_id;
  doc["netns"] = plan.netns;
  doc["pod"] = {{"namespace", plan.pod_namespace}, {"name", plan.pod_name}, {"uid", plan.pod_uid}};
  Json delegates = Json::array();
  for (const PlannedDelegate& d : plan.delegates) {
    Json item = Json::object();
    item["name"] = d.display_name;
    item["ifname"] = d.ifname;
    item["master"] = d.master;
    PutConfig(item, "config", d.config);
    item["capabilityArgs"] = EmbedObjectText(d.capability_args);
    item["addCniArgs"] = KeyValuesToJson(d.add_cni_args);
    if (!d.default_route.empty()) item["defaultRoute"] = d.default_route;
    if (!d.device_id.empty()) item["deviceID"] = d.device_id;
    if (!d.resource_name.empty()) item["resourceName"] = d.resource_name;
    if (d.del_done) item["delDone"] = true;
    if (d.del_failures > 0) item["delFailures"] = d.del_failures;
    delegates.push_back(std::move(item));
  }
  doc["delegates"] = std::move(delegates);
  return Dump(doc);
}

Result<NetworkPlan> ParsePlanCache(std::string_view bytes, std::string_view container_id,
                                   std::string_view netns, std::string_view cni_ifname) {
  try {
    Json doc = ParseJson<Json>(bytes, kMaxOwnFileJsonDepth);
    if (doc.is_object()) return ParseOurPlan(doc, container_id, netns);
    if (doc.is_array()) return ParseUpstreamPlan(doc, container_id, netns, cni_ifname);
    return Corrupt(std::string("scratch cache: expected a JSON object or array, got ") +
                   TypeName(doc));
  } catch (const Json::exception& e) {
    return Corrupt(std::string("scratch cache is not valid JSON: ") + e.what());
  }
}

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
      if (!cached.ok() || name != cached->network_name + "-" + cached->container_id + "-" +
                                      cached->ifname) {
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
