#include "multus/cni_args_injection.h"

#include <gtest/gtest.h>

#include <string>

namespace multus {
namespace {

TEST(CniArgsInjectionTest, MergesIntoArgsCniOfEveryPlugin) {
  struct Case {
    std::string label, config, cni_args, expected;
  };
  const Case cases[] = {
      {"conf without args", R"({"cniVersion":"0.3.1","name":"n","type":"bridge"})", R"({"a":"1"})",
       R"({"cniVersion":"0.3.1","name":"n","type":"bridge","args":{"cni":{"a":"1"}}})"},
      {"conf with args: annotation keys win, others kept",
       R"({"cniVersion":"0.3.1","name":"n","type":"bridge","args":{"cni":{"a":"old","keep":true},"other":{"x":1}}})",
       R"({"a":"new","b":[2]})",
       R"({"cniVersion":"0.3.1","name":"n","type":"bridge","args":{"cni":{"a":"new","keep":true,"b":[2]},"other":{"x":1}}})"},
      {"conf whose args has no cni",
       R"({"cniVersion":"0.3.1","name":"n","type":"bridge","args":{"other":1}})", R"({"a":1})",
       R"({"cniVersion":"0.3.1","name":"n","type":"bridge","args":{"other":1,"cni":{"a":1}}})"},
      {"conflist: every plugin",
       R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge","args":{"cni":{"keep":1,"a":0}}},{"type":"tuning"}]})",
       R"({"a":"x"})",
       R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge","args":{"cni":{"keep":1,"a":"x"}}},{"type":"tuning","args":{"cni":{"a":"x"}}}]})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Result<std::string> injected = InjectCniArgs(c.config, c.cni_args);
    ASSERT_TRUE(injected.ok()) << injected.status().msg();
    EXPECT_EQ(*injected, c.expected);
  }
}

}  // namespace
}  // namespace multus
