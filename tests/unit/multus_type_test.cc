#include "multus/multus_type.h"

#include <gtest/gtest.h>

namespace multus {
namespace {

TEST(MultusTypeTest, MultusAndTheShimAreMultusTypes) {
  EXPECT_TRUE(IsMultusType("multus"));
  EXPECT_TRUE(IsMultusType("multus-shim"));
  for (const char* other : {"", "Multus", "multus2", "bridge", "macvlan"}) {
    EXPECT_FALSE(IsMultusType(other)) << other;
  }
}

TEST(MultusTypeTest, LooksLikeMultusConfig) {
  EXPECT_TRUE(LooksLikeMultusConfig(R"({"type":"multus"})"));
  EXPECT_TRUE(LooksLikeMultusConfig(R"({"plugins":[{"type":"multus-shim"}]})"));
  EXPECT_FALSE(LooksLikeMultusConfig(R"({"type":"calico"})"));
  EXPECT_FALSE(LooksLikeMultusConfig("not json"));
}

TEST(MultusTypeTest, LooksLikeMultusConfigNeedsAnObject) {
  EXPECT_FALSE(LooksLikeMultusConfig(R"(["multus"])"));
  EXPECT_FALSE(LooksLikeMultusConfig(R"({"plugins":{"type":"multus"}})"));
  EXPECT_FALSE(LooksLikeMultusConfig(R"({"plugins":["multus"]})"));
}

}  // namespace
}  // namespace multus
