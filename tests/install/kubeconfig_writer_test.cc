#include "kubeconfig_writer.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace multus::install {
namespace {

TEST(KubeconfigWriterTest, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\xff\x00\xfe", 3)), "/wD+");
}

TEST(KubeconfigWriterTest, ApiServerUrl) {
  struct Case {
    std::map<std::string, std::string> env;
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
    auto url = ApiServerUrl(c.env);
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(url.value(), c.url);
  }
  auto missing = ApiServerUrl({});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), 4);
  EXPECT_EQ(missing.status().msg(), "KUBERNETES_SERVICE_HOST is not set");
}

// Fuzz finding (tests/fuzz/crashes/install_kubeconfig-trailing-cr-dropped): a port of "1\r"
// made a server URL that the written kubeconfig did not give back. Values kubelet would never
// set are refused by name instead of being written.
TEST(KubeconfigWriterTest, ApiServerUrlRefusesWhatKubeletWouldNeverSet) {
  const std::map<std::string, std::string> bad[] = {
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
    auto url = ApiServerUrl(env);
    ASSERT_FALSE(url.ok()) << url.value();
    EXPECT_EQ(url.status().code(), 4);
    EXPECT_NE(url.status().msg().find("KUBERNETES_SERVICE_"), std::string::npos);
  }
  auto bracketed = ApiServerUrl({{"KUBERNETES_SERVICE_HOST", "[fd00::1]"}});
  ASSERT_TRUE(bracketed.ok());
  EXPECT_EQ(bracketed.value(), "https://[fd00::1]:443");
}

TEST(KubeconfigWriterTest, PointsAtTheTokenFileWithCaData) {
  KubeconfigInputs in;
  in.server = "https://10.96.0.1:443";
  in.ca_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  in.token_file = "/etc/cni/net.d/multus.d/multus.token";
  std::string text = RenderKubeconfig(in);
  YAML::Node doc = YAML::Load(text);
  EXPECT_EQ(doc["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(doc["kind"].as<std::string>(), "Config");
  EXPECT_EQ(doc["current-context"].as<std::string>(), "multus-context");
  EXPECT_EQ(doc["contexts"][0]["name"].as<std::string>(), "multus-context");
  EXPECT_EQ(doc["contexts"][0]["context"]["cluster"].as<std::string>(), "local");
  EXPECT_EQ(doc["contexts"][0]["context"]["user"].as<std::string>(), "multus");
  EXPECT_EQ(doc["clusters"][0]["name"].as<std::string>(), "local");
  EXPECT_EQ(doc["clusters"][0]["cluster"]["server"].as<std::string>(), in.server);
  EXPECT_EQ(doc["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>(),
            Base64Encode(in.ca_pem));
  EXPECT_FALSE(doc["clusters"][0]["cluster"]["insecure-skip-tls-verify"]);
  EXPECT_EQ(doc["users"][0]["name"].as<std::string>(), "multus");
  EXPECT_EQ(doc["users"][0]["user"]["tokenFile"].as<std::string>(), in.token_file);
  EXPECT_FALSE(doc["users"][0]["user"]["token"]);  // never inline
  EXPECT_EQ(text.rfind("# ", 0), 0u);
  EXPECT_EQ(text.back(), '\n');
}

TEST(KubeconfigWriterTest, SkipTlsVerify) {
  KubeconfigInputs in;
  in.server = "https://h:1";
  in.skip_tls_verify = true;
  in.ca_pem = "ignored";
  in.token_file = "/t";
  YAML::Node doc = YAML::Load(RenderKubeconfig(in));
  EXPECT_TRUE(doc["clusters"][0]["cluster"]["insecure-skip-tls-verify"].as<bool>());
  EXPECT_FALSE(doc["clusters"][0]["cluster"]["certificate-authority-data"]);
}

TEST(KubeconfigWriterTest, OddPathsAreQuotedCorrectly) {
  KubeconfigInputs in;
  in.server = "https://h:1";
  in.token_file = "/etc/cni/net.d/multus.d/token: #1";
  YAML::Node doc = YAML::Load(RenderKubeconfig(in));
  EXPECT_EQ(doc["users"][0]["user"]["tokenFile"].as<std::string>(), in.token_file);
}

}  // namespace
}  // namespace multus::install
