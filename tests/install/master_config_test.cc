#include "master_config.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace multus::install {
namespace {

using testing::TempDir;
using testing::WriteText;

TEST(MasterConfigTest, CandidateNames) {
  for (const char* yes : {"10-calico.conflist", "05-cilium.conf", "99-loopback.conf"}) {
    EXPECT_TRUE(IsMasterCandidateName(yes)) << yes;
  }
  for (const char* no : {"00-multus.conf", "00-multus.conflist", "00-multus.conf.new", "10-a.json",
                         "10-a.conf.old", "00-multus.conf.cilium_bak", ".10-a.conf",
                         "10-a.conflist.multus-install.x1Y2z3", "", "multus.d"}) {
    EXPECT_FALSE(IsMasterCandidateName(no)) << no;
  }
}

TEST(MasterConfigTest, PicksTheAlphabeticallyFirstCandidate) {
  TempDir dir;
  WriteText(dir / "20-b.conf", R"({"type":"b"})");
  WriteText(dir / "10-a.conflist", R"({"type":"a"})");
  WriteText(dir / "00-multus.conf", R"({"type":"multus"})");
  WriteText(dir / "00-multus.conflist", R"({"plugins":[{"type":"multus"}]})");
  WriteText(dir / "01-a.json", R"({"type":"json"})");
  WriteText(dir / "02-x.conf.old", R"({"type":"old"})");
  auto master = FindMasterConfig(dir.path(), "");
  ASSERT_TRUE(master.ok());
  EXPECT_EQ(master->path, dir / "10-a.conflist");
  EXPECT_EQ(master->content, R"({"type":"a"})");
}

TEST(MasterConfigTest, NeverPicksAMultusConfigUnderAnotherName) {
  TempDir dir;
  WriteText(dir / "05-multus-copy.conf", R"({"cniVersion":"0.3.1","type":"multus"})");
  WriteText(dir / "10-flannel.conflist", R"({"plugins":[{"type":"flannel"}]})");
  EXPECT_EQ(FindMasterConfig(dir.path(), "")->path, dir / "10-flannel.conflist");
}

TEST(MasterConfigTest, PinnedNameWinsOverOrder) {
  TempDir dir;
  WriteText(dir / "09-test2cni.conf", R"({"name":"test2"})");
  WriteText(dir / "10-testcni.conf", R"({"name":"test1"})");
  EXPECT_EQ(FindMasterConfig(dir.path(), "10-testcni.conf")->content, R"({"name":"test1"})");
  auto missing = FindMasterConfig(dir.path(), "30-none.conf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), 11);
  EXPECT_EQ(missing.status().msg(),
            "master CNI config " + (dir / "30-none.conf") + " does not exist (yet)");
}

TEST(MasterConfigTest, NothingYetIsTryAgainLater) {
  TempDir dir;
  WriteText(dir / "00-multus.conf", "{}");
  auto none = FindMasterConfig(dir.path(), "");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), 11);
  EXPECT_EQ(none.status().msg(),
            "no master CNI config (*.conf, *.conflist) in " + dir.path() + " (yet)");
  auto no_dir = FindMasterConfig(dir / "missing", "");
  EXPECT_EQ(no_dir.status().code(), 11);
}

}  // namespace
}  // namespace multus::install
