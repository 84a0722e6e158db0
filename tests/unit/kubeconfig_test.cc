#include "multus/kubeconfig.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace multus {
namespace {

using test::TempDir;
using test::WriteFile;

// FileReader is a plain function pointer, so the fake reads from a file-scope map.
std::map<std::string, std::string> g_files;
std::vector<std::string> g_reads;

Result<std::string> FakeRead(const std::string& path) {
  g_reads.push_back(path);
  auto it = g_files.find(path);
  if (it == g_files.end()) return Status::InvalidConfig("fake: cannot read " + path);
  return it->second;
}

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_files.clear();
    g_reads.clear();
  }
  Result<KubeConfig> Parse(const std::string& yaml) {
    return ParseKubeconfig(yaml, "/etc/kube", FakeRead);
  }
};

// Three contexts; the current one points at the second cluster and user.
const char kThreeContexts[] = R"(apiVersion: v1
kind: Config
clusters:
- name: one
  cluster:
    server: https://one.example:6443
- name: two
  cluster:
    server: https://two.example:443
    tls-server-name: api.two.internal
- name: three
  cluster:
    server: https://three.example
users:
- name: alice
  user:
    token: alice-token
- name: bob
  user:
    token: bob-token
contexts:
- name: ctx-one
  context: {cluster: one, user: alice}
- name: ctx-two
  context: {cluster: two, user: bob}
- name: ctx-three
  context: {cluster: three, user: alice}
current-context: ctx-two
)";

TEST_F(KubeconfigTest, SelectsTheCurrentContextAmongSeveral) {
  Result<KubeConfig> config = Parse(kThreeContexts);
  ASSERT_TRUE(config.ok()) << config.status().msg();
  EXPECT_EQ(config->server, "https://two.example:443");
  EXPECT_EQ(config->tls_server_name, "api.two.internal");
  EXPECT_EQ(config->token, "bob-token");
  EXPECT_EQ(config->token_file, "");
  EXPECT_EQ(config->ca_pem, "");
  EXPECT_FALSE(config->insecure);
  EXPECT_EQ(config->client_cert_pem, "");
  EXPECT_EQ(config->client_key_pem, "");
  EXPECT_TRUE(g_reads.empty());
}

std::string OneContext(const std::string& cluster_body, const std::string& user_body) {
  return "clusters:\n- name: c\n  cluster:\n" + cluster_body + "users:\n- name: u\n  user:\n" +
         user_body +
         "contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n";
}

TEST_F(KubeconfigTest, ReadsEveryCredentialForm) {
  g_files["/etc/kube/certs/ca.pem"] = "CA FROM FILE";
  g_files["/abs/client.crt"] = "CERT FROM FILE";
  g_files["/etc/kube/client.key"] = "KEY FROM FILE";
  g_files["/etc/kube/tokens/sa-token"] = "file-token\n";
  struct Case {
    std::string label, cluster, user;
    std::string ca, cert, key, token, token_file;
    bool insecure;
  };
  const Case cases[] = {
      {"certificate-authority-data is base64",
       "    server: https://s\n    certificate-authority-data: UEVNIENB\n", "    token: t\n",
       "PEM CA", "", "", "t", "", false},
      {"certificate-authority is a path relative to base_dir",
       "    server: https://s\n    certificate-authority: certs/ca.pem\n", "    token: t\n",
       "CA FROM FILE", "", "", "t", "", false},
      {"-data wins over the path",
       "    server: https://s\n    certificate-authority: missing.pem\n"
       "    certificate-authority-data: UEVNIENB\n",
       "    token: t\n", "PEM CA", "", "", "t", "", false},
      {"insecure-skip-tls-verify", "    server: https://s\n    insecure-skip-tls-verify: true\n",
       "    token: t\n", "", "", "", "t", "", true},
      {"insecure-skip-tls-verify false",
       "    server: https://s\n    insecure-skip-tls-verify: false\n", "    token: t\n", "", "", "",
       "t", "", false},
      {"tokenFile resolved relative to base_dir", "    server: https://s\n",
       "    tokenFile: tokens/sa-token\n", "", "", "", "", "/etc/kube/tokens/sa-token", false},
      {"client certificate and key as files", "    server: https://s\n",
       "    client-certificate: /abs/client.crt\n    client-key: client.key\n", "",
       "CERT FROM FILE", "KEY FROM FILE", "", "", false},
      {"client certificate and key as data", "    server: https://s\n",
       "    client-certificate-data: Q0VSVA==\n    client-key-data: S0VZ\n", "", "CERT", "KEY", "",
       "", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Result<KubeConfig> config = Parse(OneContext(c.cluster, c.user));
    ASSERT_TRUE(config.ok()) << config.status().msg();
    EXPECT_EQ(config->server, "https://s");
    EXPECT_EQ(config->ca_pem, c.ca);
    EXPECT_EQ(config->client_cert_pem, c.cert);
    EXPECT_EQ(config->client_key_pem, c.key);
    EXPECT_EQ(config->token, c.token);
    EXPECT_EQ(config->token_file, c.token_file);
    EXPECT_EQ(config->insecure, c.insecure);
  }
}

TEST_F(KubeconfigTest, TokenFileMustBeReadableButIsNotCopiedIntoTheToken) {
  g_files["/etc/kube/token"] = "secret";
  Result<KubeConfig> config =
      Parse(OneContext("    server: https://s\n", "    tokenFile: token\n"));
  ASSERT_TRUE(config.ok()) << config.status().msg();
  EXPECT_EQ(config->token_file, "/etc/kube/token");
  EXPECT_EQ(config->token, "");  // re-read on every request by the client
  EXPECT_EQ(g_reads, std::vector<std::string>{"/etc/kube/token"});

  g_files.clear();
  Result<KubeConfig> missing =
      Parse(OneContext("    server: https://s\n", "    tokenFile: token\n"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), code::kInvalidConfig);
  EXPECT_NE(missing.status().msg().find("/etc/kube/token"), std::string::npos)
      << missing.status().msg();
}

TEST_F(KubeconfigTest, ContextWithoutUserHasNoCredentials) {
  Result<KubeConfig> config = Parse(
      "clusters:\n- name: c\n  cluster:\n    server: https://s\n"
      "contexts:\n- name: x\n  context:\n    cluster: c\ncurrent-context: x\n");
  ASSERT_TRUE(config.ok()) << config.status().msg();
  EXPECT_EQ(config->server, "https://s");
  EXPECT_EQ(config->token, "");
}

TEST_F(KubeconfigTest, RejectsBrokenKubeconfigsWithCode7) {
  struct Error {
    std::string label, yaml, message;
  };
  const Error errors[] = {
      {"malformed YAML", "clusters: [\n  - {name: c", "kubeconfig is not valid YAML: "},
      {"not a mapping", "- a\n- b\n", "kubeconfig is not a YAML mapping"},
      {"no current-context", "clusters:\n- name: c\n  cluster:\n    server: https://s\n",
       "kubeconfig has no current-context"},
      {"cluster without server", OneContext("    tls-server-name: n\n", "    token: t\n"),
       "kubeconfig: the current cluster has no server"},
      {"bad base64 CA",
       OneContext("    server: https://s\n    certificate-authority-data: '@@@'\n",
                  "    token: t\n"),
       "kubeconfig: certificate-authority-data is not valid base64"},
      {"bad base64 client key",
       OneContext("    server: https://s\n", "    client-key-data: 'not base64!'\n"),
       "kubeconfig: client-key-data is not valid base64"},
  };
  for (const Error& e : errors) {
    SCOPED_TRACE(e.label);
    Result<KubeConfig> config = Parse(e.yaml);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().code(), code::kInvalidConfig);
    EXPECT_EQ(config.status().msg().substr(0, e.message.size()), e.message)
        << config.status().msg();
  }
}

// A current-context, or a context's cluster or user, that names no entry is an error naming
// it: not "no server" (misleading) and never a silent config without credentials.
TEST_F(KubeconfigTest, RejectsReferencesToMissingContextClusterOrUser) {
  struct Error {
    std::string label, yaml, message;
  };
  const Error errors[] = {
      {"missing context",
       "clusters:\n- name: c\n  cluster:\n    server: https://s\n"
       "contexts:\n- name: x\n  context:\n    cluster: c\ncurrent-context: elsewhere\n",
       "kubeconfig: context \"elsewhere\" does not exist"},
      {"missing cluster",
       "clusters:\n- name: c\n  cluster:\n    server: https://s\n"
       "contexts:\n- name: x\n  context:\n    cluster: other\ncurrent-context: x\n",
       "kubeconfig: cluster \"other\" does not exist"},
      {"missing user",
       "clusters:\n- name: c\n  cluster:\n    server: https://s\n"
       "contexts:\n- name: x\n  context:\n    cluster: c\n    user: nobody\ncurrent-context: x\n",
       "kubeconfig: user \"nobody\" does not exist"},
  };
  for (const Error& e : errors) {
    SCOPED_TRACE(e.label);
    Result<KubeConfig> config = Parse(e.yaml);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().code(), code::kInvalidConfig);
    EXPECT_EQ(config.status().msg().substr(0, e.message.size()), e.message)
        << config.status().msg();
  }
}

TEST_F(KubeconfigTest, UnreadableCredentialFileIsNamedInTheError) {
  TempDir dir;
  const std::string yaml =
      OneContext("    server: https://s\n    certificate-authority: ca.crt\n", "    token: t\n");
  Result<KubeConfig> config = ParseKubeconfig(yaml, dir.path(), ReadCredentialFile);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), code::kInvalidConfig);
  EXPECT_EQ(config.status().msg(),
            "cannot read credential file " + dir.path() + "/ca.crt: no such file");
  EXPECT_NE(config.status().details().find("readable"), std::string::npos);

  WriteFile(dir / "ca.crt", "REAL CA");
  Result<KubeConfig> readable = ParseKubeconfig(yaml, dir.path(), ReadCredentialFile);
  ASSERT_TRUE(readable.ok()) << readable.status().msg();
  EXPECT_EQ(readable->ca_pem, "REAL CA");
}

TEST_F(KubeconfigTest, TokenFileThatIsADirectoryOrAFifoIsAConfigErrorNotAnEmptyToken) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/token-dir");
  ASSERT_EQ(::mkfifo((dir.path() + "/token-fifo").c_str(), 0600), 0);
  for (const char* name : {"token-dir", "token-fifo"}) {
    Result<std::string> token = ReadCredentialFile(dir.path() + "/" + name);  // must not block
    ASSERT_FALSE(token.ok()) << name;
    EXPECT_EQ(token.status().code(), code::kInvalidConfig) << name;
    EXPECT_EQ(token.status().msg(), "cannot read credential file " + dir.path() + "/" + name +
                                        ": cannot read " + dir.path() + "/" + name +
                                        ": not a regular file");
  }
}

TEST_F(KubeconfigTest, FakeReaderErrorsPropagateForEveryFileReference) {
  const std::string users[] = {"    client-certificate: c.crt\n", "    client-key: c.key\n",
                               "    tokenFile: tok\n"};
  for (const std::string& user : users) {
    SCOPED_TRACE(user);
    Result<KubeConfig> config = Parse(OneContext("    server: https://s\n", user));
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().code(), code::kInvalidConfig);
    EXPECT_EQ(config.status().msg().rfind("fake: cannot read /etc/kube/", 0), 0u)
        << config.status().msg();
  }
}

TEST(LoadKubeconfigTest, ResolvesRelativePathsAgainstTheKubeconfigDirectory) {
  TempDir dir;
  WriteFile(dir / "multus.d/ca.crt", "CA");
  WriteFile(dir / "multus.d/token", "tok\n");
  WriteFile(dir / "multus.d/multus.kubeconfig",
            OneContext("    server: https://10.0.0.1:443\n    certificate-authority: ca.crt\n",
                       "    tokenFile: token\n"));
  Result<KubeConfig> config = LoadKubeconfig(dir / "multus.d/multus.kubeconfig");
  ASSERT_TRUE(config.ok()) << config.status().msg();
  EXPECT_EQ(config->ca_pem, "CA");
  EXPECT_EQ(config->token_file, dir / "multus.d/token");
  // What the load read, for the client's first request (KubeClient), with the file's identity.
  EXPECT_EQ(config->token_file_content, "tok\n");
  EXPECT_EQ(config->token_file_identity, StatFileIdentity(dir / "multus.d/token"));

  Result<KubeConfig> missing = LoadKubeconfig(dir / "nope.kubeconfig");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), code::kInvalidConfig);
  EXPECT_EQ(missing.status().msg(), "cannot read kubeconfig " + (dir / "nope.kubeconfig"));
}

class InClusterConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(sa_ / "token", "sa-token\n");
    WriteFile(sa_ / "ca.crt", "CLUSTER CA");
  }
  TempDir sa_;
};

TEST_F(InClusterConfigTest, UsesServiceAccountTokenAndCa) {
  EnvMap env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}};
  Result<KubeConfig> config = InClusterConfig(env, sa_.path());
  ASSERT_TRUE(config.ok()) << config.status().msg();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->ca_pem, "CLUSTER CA");
  EXPECT_EQ(config->token_file, sa_ / "token");
  EXPECT_EQ(config->token_file_content, "sa-token\n");
  EXPECT_EQ(config->token_file_identity, StatFileIdentity(sa_ / "token"));
  EXPECT_EQ(config->token, "");
  EXPECT_FALSE(config->insecure);
}

TEST_F(InClusterConfigTest, BracketsAnIPv6Host) {
  EnvMap env = {{"KUBERNETES_SERVICE_HOST", "fd00:10:96::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}};
  Result<KubeConfig> config = InClusterConfig(env, sa_.path());
  ASSERT_TRUE(config.ok()) << config.status().msg();
  EXPECT_EQ(config->server, "https://[fd00:10:96::1]:6443");
}

TEST_F(InClusterConfigTest, MissingEnvironmentIsCode7) {
  const EnvMap envs[] = {
      {},
      {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}},
      {{"KUBERNETES_SERVICE_PORT", "443"}},
      {{"KUBERNETES_SERVICE_HOST", ""}, {"KUBERNETES_SERVICE_PORT", "443"}},
  };
  for (const EnvMap& env : envs) {
    Result<KubeConfig> config = InClusterConfig(env, sa_.path());
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().code(), code::kInvalidConfig);
    EXPECT_EQ(config.status().msg(), "no kubeconfig and no in-cluster environment");
    EXPECT_NE(config.status().details().find("\"kubeconfig\""), std::string::npos);
  }
}

TEST_F(InClusterConfigTest, MalformedServiceVariablesAreCode4NamingTheVariable) {
  EnvMap env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443/x"}};
  Result<KubeConfig> config = InClusterConfig(env, sa_.path());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), code::kInvalidEnv);
  EXPECT_EQ(config.status().msg(),
            "KUBERNETES_SERVICE_PORT is not a port number (1-65535): \"443/x\"");
}

TEST(InClusterConfigFilesTest, MissingTokenOrCaIsCode7NamingTheFile) {
  EnvMap env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}};
  TempDir no_token;
  WriteFile(no_token / "ca.crt", "CA");
  Result<KubeConfig> config = InClusterConfig(env, no_token.path());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), code::kInvalidConfig);
  EXPECT_EQ(config.status().msg(),
            "cannot read credential file " + (no_token / "token") + ": no such file");

  TempDir no_ca;
  WriteFile(no_ca / "token", "t");
  config = InClusterConfig(env, no_ca.path());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), code::kInvalidConfig);
  EXPECT_EQ(config.status().msg(),
            "cannot read credential file " + (no_ca / "ca.crt") + ": no such file");
}

TEST(HasKubernetesAccessTest, KubeconfigOrFullInClusterEnvironment) {
  struct Case {
    std::string kubeconfig;
    EnvMap env;
    bool expected;
  };
  const Case cases[] = {
      {"/etc/cni/net.d/multus.d/multus.kubeconfig", {}, true},
      {"", {}, false},
      {"", {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}, true},
      {"", {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}}, false},
      {"", {{"KUBERNETES_SERVICE_PORT", "443"}}, false},
      {"", {{"KUBERNETES_SERVICE_HOST", ""}, {"KUBERNETES_SERVICE_PORT", "443"}}, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HasKubernetesAccess(c.kubeconfig, c.env), c.expected)
        << "kubeconfig=" << c.kubeconfig << " env size=" << c.env.size();
  }
}

}  // namespace
}  // namespace multus
