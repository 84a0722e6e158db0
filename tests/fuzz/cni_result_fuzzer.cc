// A plugin's stdout (CNI result of any version 0.1.0 ... 1.1.0): ParseResult, ConvertResult to
// every supported version, PrintResult, and the default-route rewrite of each version. Input: one
// byte choosing the config's cniVersion
// ('0'..'6': 0.1.0 ... 1.1.0, '7': none, '8': unknown), then the result. A converted result,
// printed and parsed back, converts to itself.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "multus/cni_result.h"
#include "multus/cni_version.h"
#include "multus/default_route.h"

namespace multus {
namespace {

using nlohmann::json;

std::string_view ConfigVersion(uint8_t selector) {
  // Supported versions, none ("" means 0.1.0) and an unknown one.
  const size_t choices = kSupportedVersions.size() + 2;
  const size_t choice = static_cast<uint8_t>(selector - '0') % choices;
  if (choice < kSupportedVersions.size()) return kSupportedVersions[choice];
  return choice == kSupportedVersions.size() ? "" : "9.9.9";
}

// default-route moves the pod's default gateways: a v4 one to net1, a v6 one to net2.
void CheckRouteRewrite(const std::string& printed, std::string_view version) {
  const std::vector<GatewayRequest> requests = {{"net1", "10.1.1.1", false},
                                                {"net2", "2001:db8::1", true}};
  Result<json> rewritten = RewriteResultRoutes(json::parse(printed), "net1", requests);
  // ConvertResult does not type-check every member (a numeric "dst" passes); the rewrite
  // reads them and may refuse, as long as it says so.
  if (!rewritten.ok()) {
    FUZZ_CHECK(rewritten.status().code() == code::kDecode, rewritten.status().msg());
    return;
  }
  const json& out = *rewritten;
  FUZZ_CHECK(out.is_object(), "rewritten result is not an object: " + out.dump());
  if (VersionAtLeast(version, "0.3.0")) {
    const json added = {{"dst", "0.0.0.0/0"}, {"gw", "10.1.1.1"}};
    const auto routes = out.find("routes");
    FUZZ_CHECK(routes != out.end() && routes->is_array() &&
                   std::count(routes->begin(), routes->end(), added) == 1,
               "the requested default route is not there once: " + out.dump());
  }
}

void CheckConversion(const json& result, std::string_view version) {
  Result<json> converted = ConvertResult(result, version);
  if (!converted.ok()) return;
  FUZZ_CHECK((*converted)["cniVersion"] == version, converted->dump());
  const std::string printed = PrintResult(*converted);
  Result<json> reparsed = ParseResult(printed, "");
  FUZZ_CHECK(reparsed.ok(), reparsed.status().msg() + " in " + printed);
  FUZZ_CHECK(*reparsed == *converted, "printing changed the result: " + printed);
  Result<json> again = ConvertResult(*reparsed, version);
  FUZZ_CHECK(again.ok(), "a converted result does not convert to its own version: " +
                             again.status().msg() + " in " + printed);
  FUZZ_CHECK(*again == *converted,
             "converting twice differs: " + printed + " vs " + PrintResult(*again));
  CheckRouteRewrite(printed, version);
  // From there to every other version: may fail (lost addresses), must not crash.
  for (std::string_view other : kSupportedVersions) (void)ConvertResult(*converted, other);
}

}  // namespace
}  // namespace multus

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  if (size < 1) return 0;
  std::string_view text = fuzz::AsText(data + 1, size - 1);
  Result<nlohmann::json> result = ParseResult(text, ConfigVersion(data[0]));
  if (!result.ok()) return 0;
  FUZZ_CHECK(result->is_object() && result->contains("cniVersion"), result->dump());
  (void)PrintResult(*result);
  for (std::string_view version : kSupportedVersions) CheckConversion(*result, version);
  FUZZ_CHECK(!ConvertResult(*result, "0.5.0").ok(), "converted to an unknown version");
  return 0;
}
