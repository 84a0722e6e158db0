// kubelet's device-plugin checkpoint (/var/lib/kubelet/device-plugins/kubelet_internal_checkpoint):
// ParseCheckpoint, and DeviceAllocator reading it from a file and handing out every device of
// the pod once, in sorted order.
#include <algorithm>

#include "fuzz_util.h"
#include "multus/device_info.h"

namespace {

constexpr char kPodUid[] = "9a3e1c64-0d5e-4b55-a1b2-0c4f0e9d7a11";

std::string CheckpointPath() { return multus::fuzz::ScratchDir() + "/kubelet_internal_checkpoint"; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace multus;
  std::string_view text = fuzz::AsText(data, size);
  (void)ParseCheckpoint(text, "");
  Result<std::map<std::string, std::vector<std::string>>> devices = ParseCheckpoint(text, kPodUid);
  if (!devices.ok()) {
    FUZZ_CHECK(devices.status().code() == code::kDecode, devices.status().msg());
    return 0;
  }
  fuzz::WriteFileOrDie(CheckpointPath(), text);
  DeviceAllocator allocator(CheckpointPath(), kPodUid);
  for (const auto& [resource, ids] : *devices) {
    FUZZ_CHECK(std::is_sorted(ids.begin(), ids.end()), "device IDs not sorted: " + resource);
    for (const std::string& id : ids) {
      Result<std::string> next = allocator.Next(resource);
      FUZZ_CHECK(next.ok() && *next == id, "allocator order differs for " + resource);
      FUZZ_CHECK(InjectDeviceId(R"({"cniVersion":"1.0.0","name":"n","type":"sriov"})", id).ok(),
                 "cannot inject device " + id);
    }
    FUZZ_CHECK(!allocator.Next(resource).ok(), "a device was handed out twice: " + resource);
  }
  FUZZ_CHECK(devices->count("never/requested") > 0 || !allocator.Next("never/requested").ok(),
             "a device of an unknown resource");
  return 0;
}
