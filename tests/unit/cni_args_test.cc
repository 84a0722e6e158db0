#include "multus/cni_args.h"

#include <gtest/gtest.h>

#include <string>

namespace multus {
namespace {

TEST(CniArgsTest, SplitsKeyValuePairs) {
  struct Case {
    std::string args;
    KeyValues pairs;
  };
  const Case cases[] = {
      {"", {}},
      {"A=1", {{"A", "1"}}},
      {"A=1;B=2", {{"A", "1"}, {"B", "2"}}},
      {"A=1;;B=2;", {{"A", "1"}, {"B", "2"}}},  // empty pairs skipped
      {"A=;B=x=y", {{"A", ""}, {"B", "x=y"}}},  // value may be empty or contain '='
      {"A=1;A=2", {{"A", "1"}, {"A", "2"}}},    // duplicates kept, in order
      {"IgnoreUnknown=1;K8S_POD_NAME=p", {{"IgnoreUnknown", "1"}, {"K8S_POD_NAME", "p"}}},
  };
  for (const Case& c : cases) {
    Result<KeyValues> parsed = ParseCniArgs(c.args);
    ASSERT_TRUE(parsed.ok()) << c.args;
    EXPECT_EQ(*parsed, c.pairs) << c.args;
  }
}

TEST(CniArgsTest, RejectsPairsWithoutKeyOrEquals) {
  const std::string errors[] = {"A", "A=1;B", "=1", "A=1;=2"};
  for (const std::string& args : errors) {
    Result<KeyValues> parsed = ParseCniArgs(args);
    ASSERT_FALSE(parsed.ok()) << args;
    EXPECT_EQ(parsed.status().code(), code::kInvalidEnv);
    EXPECT_NE(parsed.status().msg().find("CNI_ARGS: invalid pair"), std::string::npos);
  }
}

}  // namespace
}  // namespace multus
