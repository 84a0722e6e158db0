// The entries follow the NAD client's CreateNetworkStatuses, with its W29 gaps closed: a result
// without sandbox interfaces still yields an entry, IPs without an interface index go to the
// requested interface rather than the last one, and a gateway-less default route is skipped
// rather than rendered "<nil>".
#include "multus/network_status.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "multus/cni_result.h"
#include "multus/json_parse.h"

namespace multus {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

struct Entry {
  std::string interface;
  std::vector<std::string> ips;
  std::string mac;
  int64_t mtu = 0;
  bool is_default = false;
};

// Go's net.IP.String(): IPv4 (also IPv4-mapped IPv6) dotted; IPv6 in RFC 5952 form, where
// "::" replaces the first longest run of two or more zero groups. Unlike inet_ntop, Go never
// prints "::a.b.c.d" for IPv4-compatible addresses. nullopt when `text` is no address.
std::optional<std::string> GoIpString(const std::string& text) {
  unsigned char bytes[16];
  char v4[INET_ADDRSTRLEN];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    return std::string(inet_ntop(AF_INET, bytes, v4, sizeof(v4)));
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return std::nullopt;
  in6_addr addr;
  static_assert(sizeof(addr) == sizeof(bytes));
  std::copy(std::begin(bytes), std::end(bytes), reinterpret_cast<unsigned char*>(&addr));
  if (IN6_IS_ADDR_V4MAPPED(&addr)) {
    return std::string(inet_ntop(AF_INET, bytes + 12, v4, sizeof(v4)));
  }
  int groups[8];
  for (std::size_t i = 0; i < 8; ++i) groups[i] = bytes[2 * i] << 8 | bytes[2 * i + 1];
  int run_start = -1;
  int run_size = 1;  // runs of one group are not shortened
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > run_size) {
      run_start = i;
      run_size = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == run_start) {
      out += "::";
      i += run_size - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    char group[5];
    std::snprintf(group, sizeof(group), "%x", groups[i]);
    out += group;
  }
  return out;
}

// An address with or without a prefix length, printed without it.
std::optional<std::string> AddressWithoutPrefix(const json& cidr) {
  if (!cidr.is_string()) return std::nullopt;
  const std::string& text = cidr.get_ref<const std::string&>();
  return GoIpString(text.substr(0, text.find('/')));
}

// A route is a default route when it has no dst or its prefix length is 0 (0.0.0.0/0, ::/0).
bool IsDefaultRoute(const json& route) {
  const auto dst = route.find("dst");
  if (dst == route.end() || !dst->is_string() || dst->get_ref<const std::string&>().empty()) {
    return true;
  }
  const std::string& text = dst->get_ref<const std::string&>();
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  const std::string prefix = text.substr(slash + 1);
  return !prefix.empty() && prefix.find_first_not_of('0') == std::string::npos;
}

const json& ArrayAt(const json& object, const char* key) {
  static const json kEmpty = json::array();
  const auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kEmpty;
}

std::string StringAt(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// Go's types.DNS with omitempty members, in its field order.
ordered_json Dns(const json& result) {
  ordered_json dns = ordered_json::object();
  const auto it = result.find("dns");
  if (it == result.end() || !it->is_object()) return dns;
  for (const char* key : {"nameservers", "domain", "search", "options"}) {
    const auto member = it->find(key);
    if (member == it->end() || member->is_null() || member->empty()) continue;
    if (member->is_string() && member->get_ref<const std::string&>().empty()) continue;
    dns[key] = *member;
  }
  return dns;
}

Status Unreadable(const AttachedNetwork& network, const std::string& why,
                  std::string details = "") {
  return Status::Decode("cannot read the result of network \"" + network.name + "\" (interface " +
                            network.ifname + "): " + why,
                        std::move(details));
}

Result<json> ResultAsLatest(const AttachedNetwork& network) {
  if (network.result.ok()) return network.result;
  return Unreadable(network, network.result.status().msg(), network.result.status().details());
}

// One entry per sandbox interface, or one for `ifname` when the result names none.
Result<std::vector<Entry>> Entries(const AttachedNetwork& network, const json& result) {
  const json& interfaces = ArrayAt(result, "interfaces");
  std::vector<Entry> entries;
  std::vector<int> entry_of(interfaces.size(), -1);
  for (size_t i = 0; i < interfaces.size(); ++i) {
    const json& iface = interfaces[i];
    if (!iface.is_object() || StringAt(iface, "sandbox").empty()) continue;
    Entry entry;
    entry.interface = StringAt(iface, "name");
    entry.mac = StringAt(iface, "mac");
    const auto mtu = iface.find("mtu");
    if (mtu != iface.end() && mtu->is_number_integer()) entry.mtu = mtu->get<int64_t>();
    entry_of[i] = static_cast<int>(entries.size());
    entries.push_back(std::move(entry));
  }
  if (entries.empty()) {
    entries.emplace_back();
    entries.back().interface = network.ifname;
  }
  size_t home = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].interface == network.ifname) {
      home = i;
      break;
    }
  }
  for (const json& ip : ArrayAt(result, "ips")) {
    std::optional<std::string> address =
        ip.is_object() ? AddressWithoutPrefix(ip.value("address", json())) : std::nullopt;
    if (!address) return Unreadable(network, "invalid IP address " + ip.dump());
    size_t target = home;
    const auto index = ip.find("interface");
    if (index != ip.end() && index->is_number_integer() && index->get<int64_t>() >= 0 &&
        index->get<size_t>() < interfaces.size()) {
      // An address on a host-side interface is not one of the pod's.
      if (entry_of[index->get<size_t>()] < 0) continue;
      target = static_cast<size_t>(entry_of[index->get<size_t>()]);
    }
    entries[target].ips.push_back(*address);
  }
  entries[home].is_default = network.master;
  return entries;
}

Result<std::vector<std::string>> Gateways(const AttachedNetwork& network, const json& result) {
  std::vector<std::string> gateways;
  for (const json& route : ArrayAt(result, "routes")) {
    if (!route.is_object() || !IsDefaultRoute(route)) continue;
    const std::string gw = StringAt(route, "gw");
    if (gw.empty()) continue;  // a device route; upstream printed "<nil>"
    std::optional<std::string> text = GoIpString(gw);
    if (!text) return Unreadable(network, "invalid gateway \"" + gw + "\"");
    gateways.push_back(*text);
  }
  return gateways;
}

Result<ordered_json> DeviceInfo(const AttachedNetwork& network) {
  if (network.device_info.empty()) return ordered_json();
  try {
    ordered_json info = ParseJson<ordered_json>(network.device_info);
    if (info.is_object()) return info;
  } catch (const ordered_json::exception&) {
  }
  return Status::Decode("invalid device-info of network \"" + network.name + "\" (interface " +
                        network.ifname + "): not a JSON object");
}

ordered_json EntryJson(const AttachedNetwork& network, const Entry& entry, const ordered_json& dns,
                       const ordered_json& device_info, const std::vector<std::string>& gateways) {
  ordered_json out = ordered_json::object();
  out["name"] = network.name;
  if (!entry.interface.empty()) out["interface"] = entry.interface;
  if (!entry.ips.empty()) out["ips"] = entry.ips;
  if (!entry.mac.empty()) out["mac"] = entry.mac;
  if (entry.mtu != 0) out["mtu"] = entry.mtu;
  if (entry.is_default) out["default"] = true;
  out["dns"] = dns;
  if (device_info.is_object() && !device_info.empty()) out["device-info"] = device_info;
  if (!gateways.empty()) out["gateway"] = gateways;
  return out;
}

// Go's encoder escapes <, > and & for HTML, and U+2028/U+2029 for JavaScript. They can only
// occur inside strings, so replacing them in the whole text is safe.
std::string GoEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (text.compare(i, 2, "\xE2\x80") == 0 && i + 2 < text.size() &&
               (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<std::string> BuildNetworkStatus(const std::vector<AttachedNetwork>& networks) {
  std::string out = "[";
  bool first = true;
  for (const AttachedNetwork& network : networks) {
    ASSIGN_OR_RETURN(json result, ResultAsLatest(network));
    ASSIGN_OR_RETURN(std::vector<Entry> entries, Entries(network, result));
    ASSIGN_OR_RETURN(std::vector<std::string> gateways, Gateways(network, result));
    ASSIGN_OR_RETURN(ordered_json device_info, DeviceInfo(network));
    const ordered_json dns = Dns(result);
    for (const Entry& entry : entries) {
      if (!first) out += ",";
      first = false;
      // As upstream: each entry indented on its own, joined by "," without a newline.
      out += GoEscape(EntryJson(network, entry, dns, device_info, gateways)
                          .dump(4, ' ', false, ordered_json::error_handler_t::replace));
    }
  }
  return out + "]";
}

}  // namespace multus
