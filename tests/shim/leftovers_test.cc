#include <gtest/gtest.h>
#include <sys/stat.h>

#include "leftovers_linux.h"
#include "testing/temp_dir.h"

namespace multus::shim {
namespace {

using multus::test::TempDir;
using multus::test::WriteFile;

TEST(LeftoversTest, NoneInAMissingOrEmptyCniDir) {
  TempDir dir;
  auto none = FindLeftovers(dir / "missing", "abc");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto empty = FindLeftovers(dir.path(), "abc");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(LeftoversTest, FindsTheScratchCacheAndTheResultCachesOfTheContainerOnly) {
  TempDir dir;
  WriteFile(dir / "abc", "{}");
  WriteFile(dir / "abcd", "{}");
  WriteFile(dir / "results/net-abc-net1", "{}");
  WriteFile(dir / "results/cbr0-abc-eth0", "{}");
  WriteFile(dir / "results/net-abcd-eth0", "{}");
  WriteFile(dir / "results/net-xabc-eth0", "{}");
  WriteFile(dir / "failed/abc", "");
  auto found = FindLeftovers(dir.path(), "abc");
  ASSERT_TRUE(found.ok()) << found.status().msg();
  EXPECT_EQ(*found, (std::vector<std::string>{dir / "abc", dir / "results/cbr0-abc-eth0",
                                              dir / "results/net-abc-net1"}));
}

TEST(LeftoversTest, AnUnreadableResultsDirIsCode5) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any directory";
  TempDir dir;
  WriteFile(dir / "results/x", "");
  chmod((dir / "results").c_str(), 0);
  auto found = FindLeftovers(dir.path(), "abc");
  chmod((dir / "results").c_str(), 0700);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), 5);
}

}  // namespace
}  // namespace multus::shim
