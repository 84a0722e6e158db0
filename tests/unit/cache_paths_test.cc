#include "multus/cache_paths.h"

#include <gtest/gtest.h>

#include "multus/container_lock.h"

namespace multus {
namespace {

TEST(CachePathTest, BuildsEveryPathUnderCniDir) {
  EXPECT_EQ(ScratchCachePath("/var/lib/cni/multus", "abc123"), "/var/lib/cni/multus/abc123");
  EXPECT_EQ(ResultsDir("/var/lib/cni/multus"), "/var/lib/cni/multus/results");
  EXPECT_EQ(ResultCachePath("/var/lib/cni/multus", "macvlan-conf", "abc123", "net1"),
            "/var/lib/cni/multus/results/macvlan-conf-abc123-net1");
  EXPECT_EQ(LockPath("/var/lib/cni/multus", "abc123"), "/var/lib/cni/multus/locks/abc123.lock");
}

TEST(CachePathTest, ToleratesTrailingSlashOnCniDir) {
  EXPECT_EQ(ScratchCachePath("/var/lib/cni/multus/", "abc"), "/var/lib/cni/multus/abc");
  EXPECT_EQ(ResultCachePath("/d/", "n", "c", "eth0"), "/d/results/n-c-eth0");
  EXPECT_EQ(LockPath("/d/", "c"), "/d/locks/c.lock");
}

}  // namespace
}  // namespace multus
