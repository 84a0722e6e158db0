// Device plugins (SR-IOV and friends): the device IDs kubelet allocated to a pod, and the
// device-info files that describe them (reference §1.d).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "multus/status.h"

namespace multus {

inline constexpr std::string_view kResourceNameAnnotation = "k8s.v1.cni.cncf.io/resourceName";
inline constexpr char kKubeletCheckpoint[] =
    "/var/lib/kubelet/device-plugins/kubelet_internal_checkpoint";
inline constexpr char kDeviceInfoDir[] = "/var/run/k8s.cni.cncf.io/devinfo";

// Resource name -> the pod's device IDs (sorted), from kubelet's checkpoint JSON
// ({"Data":{"PodDeviceEntries":[{"PodUID","ResourceName","DeviceIDs":{"<numa>":[...]}}]}}).
// Code 6 when the checkpoint cannot be read as such.
Result<std::map<std::string, std::vector<std::string>>> ParseCheckpoint(std::string_view text,
                                                                        std::string_view pod_uid);

// Hands out the pod's devices of a resource one by one, so several networks on one resource
// get different devices. Reads the checkpoint on first use.
class DeviceAllocator {
 public:
  DeviceAllocator(std::string checkpoint_path, std::string pod_uid)
      : checkpoint_path_(std::move(checkpoint_path)), pod_uid_(std::move(pod_uid)) {}
  // The next unused device of `resource`. Code 7 when the pod has none left (upstream
  // silently attached without a device, W26).
  Result<std::string> Next(const std::string& resource);

 private:
  std::string checkpoint_path_;
  std::string pod_uid_;
  std::optional<std::map<std::string, std::vector<std::string>>> devices_;
  std::map<std::string, size_t> used_;
};

// Returns `config` with "deviceID" and "pciBusID" set, in every plugin of a conflist.
Result<std::string> InjectDeviceId(std::string_view config, std::string_view device_id);

// <kDeviceInfoDir>/cni/<network>-<containerID>_<ifname>, '/' replaced by '-'.
std::string CniDeviceInfoPath(std::string_view network, std::string_view container_id,
                              std::string_view ifname);
// <kDeviceInfoDir>/dp/<resource>-<deviceID>-device.json, '/' replaced by '-'.
std::string PluginDeviceInfoPath(std::string_view resource, std::string_view device_id);

struct PlannedDelegate;

// Before ADD: copies the device plugin's device-info for the delegate's device to the
// delegate's CNI device-info path (when both are known). Best effort: logs failures.
void StageDeviceInfo(const PlannedDelegate& delegate, std::string_view container_id);
// After ADD: the delegate's device-info JSON object text, or "" when there is none.
std::string ReadDeviceInfo(const PlannedDelegate& delegate, std::string_view container_id);
// On DEL: removes the delegate's device-info file. Best effort.
void RemoveDeviceInfo(const PlannedDelegate& delegate, std::string_view container_id);

}  // namespace multus
