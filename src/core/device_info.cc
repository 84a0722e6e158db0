#include "multus/device_info.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "multus/delegate_conf.h"
#include "multus/file_io.h"
#include "multus/json_parse.h"
#include "multus/json_raw.h"
#include "multus/log.h"
#include "multus/network_plan.h"

namespace multus {
namespace {

using nlohmann::json;

std::string Escaped(std::string text) {
  std::replace(text.begin(), text.end(), '/', '-');
  return text;
}

Result<std::string> SetDeviceMembers(std::string_view object, std::string_view device_id) {
  std::string id = json(std::string(device_id)).dump();
  return SetRawMembers(object, {{"deviceID", id}, {"pciBusID", id}});
}

}  // namespace

Result<std::map<std::string, std::vector<std::string>>> ParseCheckpoint(std::string_view text,
                                                                        std::string_view pod_uid) {
  std::map<std::string, std::vector<std::string>> devices;
  try {
    json checkpoint = ParseJson(text);
    for (const json& entry : checkpoint.at("Data").at("PodDeviceEntries")) {
      if (entry.value("PodUID", "") != pod_uid) continue;
      std::vector<std::string>& ids = devices[entry.at("ResourceName").get<std::string>()];
      for (const auto& [numa, numa_ids] : entry.at("DeviceIDs").items()) {
        for (const json& id : numa_ids) ids.push_back(id.get<std::string>());
      }
    }
  } catch (const json::exception& e) {
    return Status::Decode(std::string("cannot read the kubelet checkpoint: ") + e.what());
  }
  for (auto& [resource, ids] : devices) std::sort(ids.begin(), ids.end());
  return devices;
}

Result<std::string> DeviceAllocator::Next(const std::string& resource) {
  if (!devices_) {
    ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(checkpoint_path_));
    if (!text) {
      return Status::InvalidConfig("no kubelet checkpoint at " + checkpoint_path_,
                                   "resource " + resource + " needs a device plugin on this node");
    }
    ASSIGN_OR_RETURN(devices_, ParseCheckpoint(*text, pod_uid_));
  }
  const std::vector<std::string>& ids = (*devices_)[resource];
  size_t& used = used_[resource];
  if (used >= ids.size()) {
    return Status::InvalidConfig("no device of resource " + resource + " left for this network",
                                 "request one more " + resource + " in the pod's resources");
  }
  return ids[used++];
}

Result<std::string> InjectDeviceId(std::string_view config, std::string_view device_id) {
  return EditPluginObjects(
      config, [device_id](std::string_view plugin) { return SetDeviceMembers(plugin, device_id); });
}

std::string CniDeviceInfoPath(std::string_view network, std::string_view container_id,
                              std::string_view ifname) {
  return std::string(kDeviceInfoDir) + "/cni/" +
         Escaped(std::string(network) + "-" + std::string(container_id) + "_" +
                 std::string(ifname));
}

std::string PluginDeviceInfoPath(std::string_view resource, std::string_view device_id) {
  return std::string(kDeviceInfoDir) + "/dp/" + Escaped(std::string(resource)) + "-" +
         Escaped(std::string(device_id)) + "-device.json";
}

void StageDeviceInfo(const PlannedDelegate& delegate, std::string_view container_id) {
  if (delegate.resource_name.empty() || delegate.device_id.empty()) return;
  Result<std::optional<std::string>> info =
      ReadFileIfExists(PluginDeviceInfoPath(delegate.resource_name, delegate.device_id));
  if (!info.ok() || !info->has_value()) return;
  std::string target = CniDeviceInfoPath(delegate.display_name, container_id, delegate.ifname);
  Status written = WriteFileAtomic(target, **info);
  if (!written.ok()) log::Error("device-info not staged: {}", written.msg());
}

std::string ReadDeviceInfo(const PlannedDelegate& delegate, std::string_view container_id) {
  if (delegate.device_id.empty()) return "";
  Result<std::optional<std::string>> info =
      ReadFileIfExists(CniDeviceInfoPath(delegate.display_name, container_id, delegate.ifname));
  if (!info.ok() || !info->has_value()) return "";
  try {
    if (ParseJson(**info).is_object()) return **info;
  } catch (const json::exception&) {
  }
  log::Error("ignoring device-info of {}: not a JSON object", delegate.display_name);
  return "";
}

void RemoveDeviceInfo(const PlannedDelegate& delegate, std::string_view container_id) {
  if (delegate.device_id.empty()) return;
  (void)RemoveFileIfExists(CniDeviceInfoPath(delegate.display_name, container_id, delegate.ifname));
}

}  // namespace multus
