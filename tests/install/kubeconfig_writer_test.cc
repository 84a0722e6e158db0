#include "kubeconfig_writer.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "multus/base64.h"

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

// Fuzz finding (tests/fuzz/crashes/install_kubeconfig-cr-token-file-dropped): a tokenFile of
// "\r" was written as a plain scalar and read back empty. Whatever the paths hold, what is
// written reads back the same.
TEST(KubeconfigWriterTest, ServerAndTokenFileReadBackExactly) {
  for (const std::string& value : {std::string("\r"), std::string(" lead"), std::string("a: b"),
                                  std::string("#x"), std::string("\"q\"\\"), std::string("\t")}) {
    KubeconfigInputs in;
    in.server = "https://h:1" + value;
    in.skip_tls_verify = true;
    in.token_file = "/etc/cni/net.d/multus.d/" + value;
    YAML::Node doc = YAML::Load(RenderKubeconfig(in));
    EXPECT_EQ(doc["clusters"][0]["cluster"]["server"].as<std::string>(), in.server);
    EXPECT_EQ(doc["users"][0]["user"]["tokenFile"].as<std::string>(), in.token_file);
  }
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
