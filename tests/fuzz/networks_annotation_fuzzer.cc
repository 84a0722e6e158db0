// The k8s.v1.cni.cncf.io/networks annotation, text form ("ns/name@if, ...") and JSON form.
// Whatever parses is written back in JSON form (and in text form when it has no other
// fields) and must parse again to the same selections.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "multus/annotations.h"

namespace multus {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json RawJson(const std::string& raw, const char* what) {
  ordered_json value = ordered_json::parse(raw, nullptr, false);
  FUZZ_CHECK(!value.is_discarded(), std::string(what) + " kept invalid JSON: " + raw);
  return value;
}

ordered_json ToJson(const NetworkSelection& s) {
  ordered_json out = {{"name", s.name}, {"namespace", s.namespace_name}};
  if (!s.interface_request.empty()) out["interface"] = s.interface_request;
  if (!s.ips.empty()) out["ips"] = s.ips;
  if (!s.mac.empty()) out["mac"] = s.mac;
  if (s.has_default_route) out["default-route"] = s.default_route;
  if (!s.port_mappings.empty()) out["portMappings"] = RawJson(s.port_mappings, "portMappings");
  if (!s.bandwidth.empty()) out["bandwidth"] = RawJson(s.bandwidth, "bandwidth");
  if (!s.cni_args.empty()) out["cni-args"] = RawJson(s.cni_args, "cni-args");
  if (!s.infiniband_guid.empty()) out["infiniband-guid"] = s.infiniband_guid;
  if (!s.device_id.empty()) out["deviceID"] = s.device_id;
  return out;
}

// Raw members are compared as JSON: the writer above may re-space them.
bool SameRaw(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty();
  return ordered_json::parse(a, nullptr, false) == ordered_json::parse(b, nullptr, false);
}

bool Same(const NetworkSelection& a, const NetworkSelection& b) {
  return a.name == b.name && a.namespace_name == b.namespace_name &&
         a.interface_request == b.interface_request && a.ips == b.ips && a.mac == b.mac &&
         a.has_default_route == b.has_default_route && a.default_route == b.default_route &&
         SameRaw(a.port_mappings, b.port_mappings) && SameRaw(a.bandwidth, b.bandwidth) &&
         SameRaw(a.cni_args, b.cni_args) && a.infiniband_guid == b.infiniband_guid &&
         a.device_id == b.device_id;
}

void CheckSame(const std::vector<NetworkSelection>& before,
               const Result<std::vector<NetworkSelection>>& after, const std::string& text) {
  FUZZ_CHECK(after.ok(),
             "written back, it no longer parses: " + after.status().msg() + " in " + text);
  FUZZ_CHECK(after->size() == before.size(), "selection count changed: " + text);
  for (size_t i = 0; i < before.size(); ++i) {
    FUZZ_CHECK(Same(before[i], (*after)[i]), "selection changed: " + text);
  }
}

// The text form holds names and interfaces only, and none of its separators.
bool TextFormFits(const NetworkSelection& s) {
  constexpr std::string_view kSpecial = ",/@[{\"";
  return s.interface_request.find_first_of(kSpecial) == std::string::npos && s.ips.empty() &&
         s.mac.empty() && !s.has_default_route && s.port_mappings.empty() && s.bandwidth.empty() &&
         s.cni_args.empty() && s.infiniband_guid.empty() && s.device_id.empty();
}

void CheckRoundTrips(const std::vector<NetworkSelection>& selections) {
  ordered_json list = ordered_json::array();
  for (const NetworkSelection& s : selections) list.push_back(ToJson(s));
  // Strict dump: every parsed string must be valid UTF-8.
  const std::string json_form = list.dump();
  CheckSame(selections, ParseNetworkSelections(kNetworksAnnotation, json_form, "other-ns"),
            json_form);

  std::string text_form;
  for (const NetworkSelection& s : selections) {
    if (!TextFormFits(s)) return;
    if (!text_form.empty()) text_form += ", ";
    text_form += s.namespace_name + "/" + s.name;
    if (!s.interface_request.empty()) text_form += "@" + s.interface_request;
  }
  if (text_form.empty()) return;
  CheckSame(selections, ParseNetworkSelections(kNetworksAnnotation, text_form, "other-ns"),
            text_form);
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  Result<std::vector<NetworkSelection>> selections =
      ParseNetworkSelections(kNetworksAnnotation, text, "default");
  if (!selections.ok()) {
    FUZZ_CHECK(selections.status().code() == code::kInvalidConfig, selections.status().msg());
    return 0;
  }
  for (const NetworkSelection& s : *selections) {
    FUZZ_CHECK(!s.name.empty() && !s.namespace_name.empty(), "empty name or namespace");
  }
  CheckRoundTrips(*selections);
  return 0;
}
