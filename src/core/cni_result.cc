// Conversion lifts a result of any version to one canonical shape (1.1.0's: interfaces, ips
// without "version", routes, dns), then lowers it to the target, keeping only the fields the
// target version defines. Unknown fields are dropped, as libcni drops them when it decodes a
// result into its typed structs.
#include "multus/cni_result.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include "multus/json_parse.h"

namespace multus {
namespace {

using json = nlohmann::json;
using Keys = std::span<const char* const>;

// Versions that share a layout differ only in their cniVersion.
enum class Layout {
  kIpFamilies,    // 0.1.0, 0.2.0: "ip4" and "ip6", each with its own routes
  kVersionedIps,  // 0.3.0, 0.3.1, 0.4.0: "interfaces", "ips" with "version", "routes"
  kIps,           // 1.0.0: as above, without "version"
  kIpsExtended,   // 1.1.0: adds interface and route attributes
};

constexpr std::pair<std::string_view, Layout> kLayouts[] = {
    {"0.1.0", Layout::kIpFamilies},   {"0.2.0", Layout::kIpFamilies},
    {"0.3.0", Layout::kVersionedIps}, {"0.3.1", Layout::kVersionedIps},
    {"0.4.0", Layout::kVersionedIps}, {"1.0.0", Layout::kIps},
    {"1.1.0", Layout::kIpsExtended},
};

constexpr const char* kInterfaceKeys[] = {"name", "mac", "sandbox"};
constexpr const char* kInterfaceKeysV11[] = {"name",       "mac", "sandbox",
                                             "socketPath", "mtu", "pciID"};
constexpr const char* kIpKeys[] = {"interface", "address", "gateway"};
constexpr const char* kGatewayKeys[] = {"gateway"};
constexpr const char* kRouteKeys[] = {"dst", "gw"};
constexpr const char* kRouteKeysV11[] = {"dst",      "gw",    "mtu",  "advmss",
                                         "priority", "table", "scope"};
constexpr const char* kDnsKeys[] = {"nameservers", "domain", "search", "options"};

// Content that is valid JSON but not a valid result (a bad address); caught in ConvertResult
// next to nlohmann's own exceptions.
class MalformedResult : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::optional<Layout> LayoutOf(std::string_view version) {
  for (const auto& [name, layout] : kLayouts) {
    if (name == version) return layout;
  }
  return std::nullopt;
}

Status UnsupportedVersion(std::string_view version) {
  return Status::IncompatibleVersion("unsupported CNI result version \"" + std::string(version) +
                                     "\"");
}

// A missing or null cniVersion reads as "". Throws when it is not a string.
std::string VersionOf(const json& result) {
  const auto it = result.find("cniVersion");
  if (it == result.end() || it->is_null()) return "";
  return it->get<std::string>();
}

// 4 or 6 for an address or a CIDR. Like Go's net.IP.To4(), which libcni uses, an
// IPv4-mapped IPv6 address counts as IPv4.
int FamilyOf(const json& cidr) {
  const auto& text = cidr.get_ref<const std::string&>();
  const std::string ip = text.substr(0, text.find('/'));
  in6_addr addr{};
  if (inet_pton(AF_INET, ip.c_str(), &addr) == 1) return 4;
  if (inet_pton(AF_INET6, ip.c_str(), &addr) == 1) return IN6_IS_ADDR_V4MAPPED(&addr) ? 4 : 6;
  throw MalformedResult("invalid IP address \"" + text + "\"");
}

const char* FamilyKey(const json& cidr) { return FamilyOf(cidr) == 4 ? "ip4" : "ip6"; }

// A member that must be an array; a missing or null one reads as empty.
const json::array_t& ArrayAt(const json& object, const char* key) {
  static const json::array_t kEmpty;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return kEmpty;
  return it->get_ref<const json::array_t&>();
}

// The non-null members of `object` named in `keys`. Throws when `object` is not an object.
json Pick(const json& object, Keys keys) {
  const auto& members = object.get_ref<const json::object_t&>();
  json picked = json::object();
  for (const char* key : keys) {
    const auto it = members.find(key);
    if (it != members.end() && !it->second.is_null()) picked[key] = it->second;
  }
  return picked;
}

json PickEach(const json& object, const char* key, Keys keys) {
  json picked = json::array();
  for (const json& item : ArrayAt(object, key)) picked.push_back(Pick(item, keys));
  return picked;
}

void CopyDns(const json& from, json& to) {
  const auto it = from.find("dns");
  if (it != from.end() && !it->is_null()) to["dns"] = Pick(*it, kDnsKeys);
}

// Like Go's omitempty on the result's lists.
void SetIfNotEmpty(json& object, const char* key, json array) {
  if (!array.empty()) object[key] = std::move(array);
}

// 0.1.0/0.2.0 have no interfaces, so the ips get no interface index; each family's routes
// join the one routes list.
json LiftIpFamilies(const json& result) {
  json canonical = {
      {"interfaces", json::array()}, {"ips", json::array()}, {"routes", json::array()}};
  for (const char* family : {"ip4", "ip6"}) {
    const auto it = result.find(family);
    if (it == result.end() || it->is_null()) continue;
    json ip = Pick(*it, kGatewayKeys);
    ip["address"] = it->at("ip");
    canonical["ips"].push_back(std::move(ip));
    for (const json& route : ArrayAt(*it, "routes")) {
      canonical["routes"].push_back(Pick(route, kRouteKeys));
    }
  }
  CopyDns(result, canonical);
  return canonical;
}

json LiftIps(const json& result) {
  json canonical = {{"interfaces", PickEach(result, "interfaces", kInterfaceKeysV11)},
                    {"ips", PickEach(result, "ips", kIpKeys)},
                    {"routes", PickEach(result, "routes", kRouteKeysV11)}};
  CopyDns(result, canonical);
  return canonical;
}

json Lift(const json& result, Layout from) {
  return from == Layout::kIpFamilies ? LiftIpFamilies(result) : LiftIps(result);
}

// 0.3.x/0.4.0 need "version"; libcni computes it from the address when converting from 1.x.
json WithFamilyVersions(json ips) {
  for (json& ip : ips) ip["version"] = FamilyOf(ip.at("address")) == 4 ? "4" : "6";
  return ips;
}

json LowerToIps(const json& canonical, Layout to) {
  const bool extended = to == Layout::kIpsExtended;
  const Keys interface_keys = extended ? Keys(kInterfaceKeysV11) : Keys(kInterfaceKeys);
  const Keys route_keys = extended ? Keys(kRouteKeysV11) : Keys(kRouteKeys);
  const json& ips = canonical.at("ips");
  json result = json::object();
  SetIfNotEmpty(result, "interfaces", PickEach(canonical, "interfaces", interface_keys));
  SetIfNotEmpty(result, "ips", to == Layout::kVersionedIps ? WithFamilyVersions(ips) : ips);
  SetIfNotEmpty(result, "routes", PickEach(canonical, "routes", route_keys));
  CopyDns(canonical, result);
  return result;
}

// As libcni: 0.1.0/0.2.0 hold one address per family, so the first of each is kept with its
// gateway. A route goes to the family of its dst, and is dropped if that family has no address.
json LowerToIpFamilies(const json& canonical) {
  json result = json::object();
  for (const json& ip : canonical.at("ips")) {
    const char* family = FamilyKey(ip.at("address"));
    if (result.contains(family)) continue;
    json config = Pick(ip, kGatewayKeys);
    config["ip"] = ip.at("address");
    result[family] = std::move(config);
  }
  for (const json& route : canonical.at("routes")) {
    const char* family = FamilyKey(route.at("dst"));
    if (result.contains(family)) result[family]["routes"].push_back(Pick(route, kRouteKeys));
  }
  CopyDns(canonical, result);
  return result;
}

json Lower(const json& canonical, Layout to) {
  return to == Layout::kIpFamilies ? LowerToIpFamilies(canonical) : LowerToIps(canonical, to);
}

// libcni refuses to turn a 0.3.0+ result without any address into a 0.1.0/0.2.0 one.
bool LostEveryAddress(Layout from, Layout to, const json& converted) {
  return from != Layout::kIpFamilies && to == Layout::kIpFamilies && !converted.contains("ip4") &&
         !converted.contains("ip6");
}

}  // namespace

Result<nlohmann::json> ParseResult(std::string_view bytes, std::string_view config_version) {
  try {
    return AsPluginResult(ParseJson(bytes), config_version);
  } catch (const json::exception& e) {
    return Status::Decode("cannot decode plugin result", e.what());
  }
}

Result<nlohmann::json> AsPluginResult(nlohmann::json result, std::string_view config_version) {
  if (!result.is_object()) return Status::Decode("plugin result is not a JSON object");
  if (VersionOf(result).empty()) {
    result["cniVersion"] = config_version.empty() ? "0.1.0" : std::string(config_version);
  }
  return result;
}

Result<nlohmann::json> ConvertResult(const nlohmann::json& result, std::string_view to_version) {
  const std::optional<Layout> to = LayoutOf(to_version);
  if (!to) return UnsupportedVersion(to_version);
  if (!result.is_object()) {
    return Status::Decode("malformed CNI result", "not a JSON object");
  }
  try {
    const std::string from_version = VersionOf(result);
    const std::optional<Layout> from = LayoutOf(from_version);
    if (!from) return UnsupportedVersion(from_version);
    json converted = Lower(Lift(result, *from), *to);
    if (LostEveryAddress(*from, *to, converted)) {
      return Status::IncompatibleVersion("cannot convert result to " + std::string(to_version) +
                                         ": no IP address");
    }
    converted["cniVersion"] = std::string(to_version);
    return converted;
  } catch (const json::exception& e) {
    return Status::Decode("malformed CNI result", e.what());
  } catch (const MalformedResult& e) {
    return Status::Decode("malformed CNI result", e.what());
  }
}

Result<DelegateResult> ReadDelegateResult(std::string_view bytes, std::string_view config_version) {
  ASSIGN_OR_RETURN(json original, ParseResult(bytes, config_version));
  return MakeDelegateResult(std::move(original));
}

DelegateResult MakeDelegateResult(nlohmann::json original) {
  Result<json> latest = ConvertResult(original, "1.1.0");
  return DelegateResult{std::move(original), std::move(latest)};
}

std::string PrintResult(const nlohmann::json& result) {
  // Go's encoder writes invalid UTF-8 as U+FFFD rather than failing; so do we.
  return result.dump(4, ' ', false, json::error_handler_t::replace);
}

}  // namespace multus
