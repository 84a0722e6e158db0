#include "multus/in_cluster.h"

#include <gtest/gtest.h>

#include <string>

namespace multus {
namespace {

TEST(InClusterServerUrlTest, BuildsTheUrlFromTheServiceVariables) {
  struct Case {
    EnvMap env;
    std::string url;
  } cases[] = {
      {{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}},
       "https://10.96.0.1:443"},
      {{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}}, "https://10.96.0.1:443"},
      {{{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}},
       "https://[fd00::1]:6443"},
      {{{"KUBERNETES_SERVICE_HOST", "api.local"},
        {"KUBERNETES_SERVICE_PORT", "8080"},
        {"KUBERNETES_SERVICE_PROTOCOL", "http"}},
       "http://api.local:8080"},
  };
  for (const Case& c : cases) {
    auto url = InClusterServerUrl(c.env);
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(url.value(), c.url);
  }
  auto missing = InClusterServerUrl({});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), 4);
  EXPECT_EQ(missing.status().msg(), "KUBERNETES_SERVICE_HOST is not set");
}

// Fuzz finding (tests/fuzz/crashes/install_kubeconfig-trailing-cr-dropped): a port of "1\r"
// made a server URL that the written kubeconfig did not give back. Values kubelet would never
// set are refused by name instead of being written.
TEST(InClusterServerUrlTest, RefusesWhatKubeletWouldNeverSet) {
  const EnvMap bad[] = {
      {{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "1\r"}},
      {{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "0"}},
      {{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "65536"}},
      {{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "443/x"}},
      {{"KUBERNETES_SERVICE_HOST", "h "}},
      {{"KUBERNETES_SERVICE_HOST", "user@h"}},
      {{"KUBERNETES_SERVICE_HOST", "h/path"}},
      {{"KUBERNETES_SERVICE_HOST", "h\n"}},
      {{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PROTOCOL", "ftp"}},
  };
  for (const auto& env : bad) {
    auto url = InClusterServerUrl(env);
    ASSERT_FALSE(url.ok()) << url.value();
    EXPECT_EQ(url.status().code(), 4);
    EXPECT_NE(url.status().msg().find("KUBERNETES_SERVICE_"), std::string::npos);
  }
  auto bracketed = InClusterServerUrl({{"KUBERNETES_SERVICE_HOST", "[fd00::1]"}});
  ASSERT_TRUE(bracketed.ok());
  EXPECT_EQ(bracketed.value(), "https://[fd00::1]:443");
}

}  // namespace
}  // namespace multus
