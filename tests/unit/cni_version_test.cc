#include "multus/cni_version.h"

#include <gtest/gtest.h>

#include <string>

namespace multus {
namespace {

TEST(CniVersionTest, SupportsEveryReleasedVersion) {
  for (const char* version : {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", ""}) {
    EXPECT_TRUE(IsSupportedVersion(version)) << version;
  }
  for (const char* version : {"0.5.0", "1.2.0", "2.0.0", "1.0", "v1.0.0", "garbage"}) {
    EXPECT_FALSE(IsSupportedVersion(version)) << version;
  }
  EXPECT_EQ(kCurrentVersion, "1.1.0");
}

TEST(CniVersionTest, EmptyMeansZeroOneZero) {
  EXPECT_EQ(EffectiveVersion(""), "0.1.0");
  EXPECT_EQ(EffectiveVersion("0.4.0"), "0.4.0");
  EXPECT_EQ(CompareVersions("", "0.1.0"), 0);
}

TEST(CniVersionTest, ComparesNumerically) {
  struct Case {
    std::string a, b;
    int sign;
  };
  const Case cases[] = {
      {"0.1.0", "0.2.0", -1}, {"0.3.1", "0.3.0", 1}, {"0.4.0", "0.4.0", 0}, {"1.0.0", "0.4.0", 1},
      {"0.10.0", "0.9.0", 1}, {"1.1.0", "1.0.0", 1}, {"", "0.3.1", -1},     {"1.0", "1.0.0", 0},
  };
  for (const Case& c : cases) {
    int got = CompareVersions(c.a, c.b);
    EXPECT_EQ((got > 0) - (got < 0), c.sign) << c.a << " vs " << c.b;
  }
  EXPECT_TRUE(VersionAtLeast("0.4.0", "0.4.0"));
  EXPECT_TRUE(VersionAtLeast("1.0.0", "0.4.0"));
  EXPECT_FALSE(VersionAtLeast("0.3.1", "0.4.0"));
  EXPECT_FALSE(VersionAtLeast("", "0.2.0"));
}

TEST(CniVersionTest, WellFormedIsTwoOrThreeDecimalNumbers) {
  for (const char* good : {"0.1.0", "1.0.0", "1.0", "0.10.0", "10.20.30"}) {
    EXPECT_TRUE(IsWellFormedVersion(good)) << good;
  }
  for (const char* bad : {"", "1", "1.", "a.b.c", "1.0.0.0", "1.0.0-rc1", "-1.0.0", "1..0",
                          "1.0.", " 1.0.0", "99999999999.0.0"}) {
    EXPECT_FALSE(IsWellFormedVersion(bad)) << bad;
  }
}

}  // namespace
}  // namespace multus
