#include "hotplug_runner.h"

#include <gtest/gtest.h>

namespace multus::daemon {
namespace {

DaemonConfig WithOverrides(std::vector<std::pair<std::string, std::string>> overrides) {
  DaemonConfig config;
  config.overrides = std::move(overrides);
  return config;
}

// A hot-plug uses the cniDir and binDir a /cni call of the node gets: the served multus
// config's, replaced by the daemon config's overrides.
TEST(HotplugConfTest, TheServedConfigWithTheDaemonsOverrides) {
  std::string served =
      R"({"cniVersion":"1.0.0","name":"multus-cni-network","type":"multus-shim",)"
      R"("cniDir":"/var/lib/served","binDir":"/opt/served","clusterNetwork":"/etc/cni/net.d/10.conf"})";
  Result<NetConf> conf = HotplugConf(served, WithOverrides({{"BinDir", R"("/opt/forced")"}}));
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->cni_dir, "/var/lib/served");
  EXPECT_EQ(conf->bin_dir, "/opt/forced");
}

TEST(HotplugConfTest, WithoutAServedConfigTheOverridesElseTheDefaults) {
  Result<NetConf> conf = HotplugConf("", WithOverrides({{"cniDir", R"("/var/lib/forced")"}}));
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->cni_dir, "/var/lib/forced");
  EXPECT_EQ(conf->bin_dir, "/opt/cni/bin");
  // An unreadable served config does not stop hot-plug: the daemon's own settings decide.
  conf = HotplugConf("{broken", WithOverrides({}));
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->cni_dir, "/var/lib/cni/multus");
}

}  // namespace
}  // namespace multus::daemon
