// The network-status annotation built from delegates' results and device-info files (written
// by device plugins and CNI plugins). Input: a result, optionally NUL and a device-info file.
// Whatever is built must be a JSON list, with <, > and & escaped as Go escapes them.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "multus/cni_result.h"
#include "multus/network_status.h"

namespace {

constexpr char kDeviceInfo[] =
    R"({"type":"pci","version":"1.1.0","pci":{"pci-address":"0000:03:00.1","pf-pci-address":)"
    R"("0000:03:00.0","representor-device":"eth3"}})";
constexpr char kClusterResult[] =
    R"({"cniVersion":"0.3.1","interfaces":[{"name":"eth0","mac":"0a:58:0a:f4:00:05",)"
    R"("sandbox":"/var/run/netns/cni-1"}],"ips":[{"version":"4","address":"10.244.0.5/24",)"
    R"("gateway":"10.244.0.1","interface":0}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  std::vector<std::string_view> parts = fuzz::Split(text, std::string_view("\0", 1));
  const std::string device_info(parts.size() > 1 ? parts[1] : kDeviceInfo);
  // The input's result is the cluster network's on odd lengths, a secondary's on even ones.
  const bool master = size % 2 == 1;
  // Read as ADD reads a delegate's output; one that does not read is not published.
  Result<DelegateResult> input = ReadDelegateResult(parts[0], "1.0.0");
  if (!input.ok()) {
    FUZZ_CHECK(input.status().code() == code::kDecode, input.status().msg());
    return 0;
  }
  std::vector<AttachedNetwork> networks = {
      {"k8s-pod-network", "eth0", !master, ReadDelegateResult(kClusterResult, "")->latest, ""},
      {"default/sriov-net", "net1", master, input->latest, device_info},
  };
  Result<std::string> status = BuildNetworkStatus(networks);
  if (!status.ok()) {
    FUZZ_CHECK(status.status().code() == code::kDecode, status.status().msg());
    return 0;
  }
  FUZZ_CHECK(status->find_first_of("<>&") == std::string::npos, "unescaped HTML: " + *status);
  nlohmann::json parsed = nlohmann::json::parse(*status, nullptr, false);
  FUZZ_CHECK(parsed.is_array() && parsed.size() >= 2, "not a list of entries: " + *status);
  for (const nlohmann::json& entry : parsed) {
    FUZZ_CHECK(entry.is_object() && entry.contains("name") && entry.contains("dns"),
               "entry without name or dns: " + *status);
  }
  return 0;
}
