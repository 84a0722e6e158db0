#include "multus/device_info.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "multus/network_plan.h"

namespace multus {
namespace {

constexpr char kCheckpoint[] = R"({"Data":{"PodDeviceEntries":[
  {"PodUID":"pod-a","ContainerName":"c","ResourceName":"intel.com/sriov","DeviceIDs":{"0":["0000:03:02.1","0000:03:02.0"]}},
  {"PodUID":"pod-a","ContainerName":"c","ResourceName":"intel.com/other","DeviceIDs":{"1":["x"]}},
  {"PodUID":"pod-b","ContainerName":"c","ResourceName":"intel.com/sriov","DeviceIDs":{"0":["0000:03:02.7"]}}
 ],"RegisteredDevices":{}},"Checksum":1})";

TEST(DeviceInfoTest, ParsesThePodsDevicesSortedPerResource) {
  auto devices = ParseCheckpoint(kCheckpoint, "pod-a");
  ASSERT_TRUE(devices.ok()) << devices.status().msg();
  EXPECT_EQ((*devices)["intel.com/sriov"],
            (std::vector<std::string>{"0000:03:02.0", "0000:03:02.1"}));
  EXPECT_EQ((*devices)["intel.com/other"], std::vector<std::string>{"x"});
  EXPECT_EQ(devices->size(), 2u);
}

TEST(DeviceInfoTest, MalformedCheckpointIsADecodeError) {
  auto devices = ParseCheckpoint(R"({"Data":{}})", "pod-a");
  ASSERT_FALSE(devices.ok());
  EXPECT_EQ(devices.status().code(), code::kDecode);
}

TEST(DeviceInfoTest, AllocatorHandsOutSuccessiveDevicesThenFails) {
  char dir_template[] = "/tmp/devinfo-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  std::string path = std::string(dir_template) + "/checkpoint";
  std::ofstream(path) << kCheckpoint;
  DeviceAllocator allocator(path, "pod-a");
  EXPECT_EQ(allocator.Next("intel.com/sriov").value(), "0000:03:02.0");
  EXPECT_EQ(allocator.Next("intel.com/sriov").value(), "0000:03:02.1");
  auto exhausted = allocator.Next("intel.com/sriov");
  ASSERT_FALSE(exhausted.ok());
  EXPECT_EQ(exhausted.status().code(), code::kInvalidConfig);
  EXPECT_NE(exhausted.status().msg().find("no device of resource intel.com/sriov left"),
            std::string::npos);
  std::remove(path.c_str());
  rmdir(dir_template);
}

TEST(DeviceInfoTest, MissingCheckpointNamesTheFile) {
  DeviceAllocator allocator("/nonexistent/checkpoint", "pod-a");
  auto device = allocator.Next("intel.com/sriov");
  ASSERT_FALSE(device.ok());
  EXPECT_NE(device.status().msg().find("/nonexistent/checkpoint"), std::string::npos);
}

TEST(DeviceInfoTest, InjectsDeviceIdIntoEveryPluginKeepingOtherBytes) {
  auto conf =
      InjectDeviceId(R"({"name":"n","type":"sriov","vlan":12345678901234567890})", "0000:03:02.0");
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(
      *conf,
      R"({"name":"n","type":"sriov","vlan":12345678901234567890,"deviceID":"0000:03:02.0","pciBusID":"0000:03:02.0"})");
  auto list =
      InjectDeviceId(R"({"name":"n","plugins":[{"type":"sriov"},{"type":"tuning"}]})", "d1");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(
      *list,
      R"({"name":"n","plugins":[{"type":"sriov","deviceID":"d1","pciBusID":"d1"},{"type":"tuning","deviceID":"d1","pciBusID":"d1"}]})");
}

TEST(DeviceInfoTest, PathsReplaceSlashes) {
  EXPECT_EQ(CniDeviceInfoPath("default/sriov-net", "cid", "net1"),
            "/var/run/k8s.cni.cncf.io/devinfo/cni/default-sriov-net-cid_net1");
  EXPECT_EQ(PluginDeviceInfoPath("intel.com/sriov", "0000:03:02.0"),
            "/var/run/k8s.cni.cncf.io/devinfo/dp/intel.com-sriov-0000:03:02.0-device.json");
}

}  // namespace
}  // namespace multus
