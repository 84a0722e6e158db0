#include "installer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "multus/log.h"
#include "test_util.h"

namespace multus::install {
namespace {

using testing::Exists;
using testing::Inode;
using testing::Mode;
using testing::ReadText;
using testing::TempDir;
using testing::WriteText;

constexpr char kMaster[] = R"({"cniVersion":"0.3.1","name":"test1","type":"cnitesttype"})";

class InstallerTest : public ::testing::Test {
 protected:
  InstallerTest() {
    log::ConfigureStream(log_text_, log::Level::kVerbose);
    WriteText(dir_ / "net.d/10-testcni.conf", kMaster);
    WriteText(dir_ / "bin/.keep", "");
    WriteText(dir_ / "image/multus", "#!/bin/sh\n");
    WriteText(dir_ / "sa/token", "token-1");
    WriteText(dir_ / "sa/ca.crt", "ca-1");
    options_.cni_conf_dir = dir_ / "net.d";
    options_.multus_autoconfig_dir = dir_ / "net.d";
    options_.cni_bin_dir = dir_ / "bin";
    options_.multus_bin_file = dir_ / "image/multus";
    options_.multus_cni_conf_dir = dir_ / "multus/net.d";
    options_.multus_cni_conf_dir_host = "/etc/cni/multus/net.d";
    options_.service_account_dir = dir_ / "sa";
  }

  // The stream dies with the test: back to stderr.
  ~InstallerTest() override { log::Configure(log::Settings{}); }

  std::unique_ptr<Installer> Make() {
    return std::make_unique<Installer>(
        options_, std::map<std::string, std::string>{{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}});
  }
  std::unique_ptr<Installer> Prepared() {
    auto installer = Make();
    Status status = installer->Prepare();
    EXPECT_TRUE(status.ok()) << status.msg();
    return installer;
  }
  std::string Conf() const { return dir_ / "net.d/00-multus.conf"; }
  std::string Conflist() const { return dir_ / "net.d/00-multus.conflist"; }

  TempDir dir_;
  InstallOptions options_;
  std::ostringstream log_text_;
};

TEST_F(InstallerTest, PrepareErrors) {
  struct Case {
    std::function<void(InstallOptions&)> change;
    int code;
    std::string msg;
  } cases[] = {
      {[](InstallOptions& o) { o.cni_conf_dir += "/missing"; }, 5, "--cni-conf-dir "},
      {[](InstallOptions& o) { o.cni_bin_dir += "/missing"; }, 5, "--cni-bin-dir "},
      {[](InstallOptions& o) { o.multus_bin_file += ".missing"; }, 5, "--multus-bin-file "},
      {[](InstallOptions& o) { o.multus_conf_file = "/nonexistent/70-multus.conf"; }, 5,
       "--multus-conf-file /nonexistent/70-multus.conf does not exist"},
      {[](InstallOptions& o) { o.multus_log_level = "info"; }, 7,
       "--multus-log-level should be one of debug, verbose, warning, error, panic; got \"info\""},
      {[](InstallOptions& o) { o.cni_version = "v1"; }, 7, "--cni-version: invalid cniVersion"},
      {[](InstallOptions& o) { o.force_cni_version = true; }, 7,
       "--force-cni-version needs --cni-version"},
      {[](InstallOptions& o) { o.multus_master_cni_file_name = "../x.conf"; }, 7,
       "--multus-master-cni-file-name must be a file name, not a path"},
  };
  for (const Case& c : cases) {
    InstallOptions saved = options_;
    c.change(options_);
    Status status = Make()->Prepare();
    options_ = saved;
    EXPECT_EQ(status.code(), c.code) << c.msg;
    EXPECT_EQ(status.msg().substr(0, c.msg.size()), c.msg);
  }
  Installer no_env(options_, {});
  EXPECT_EQ(no_env.Prepare().code(), 4);
}

TEST_F(InstallerTest, SkipBinaryCopyDoesNotNeedTheBinary) {
  options_.skip_multus_binary_copy = true;
  options_.multus_bin_file = "/nonexistent";
  options_.cni_bin_dir = "/nonexistent";
  EXPECT_TRUE(Make()->Prepare().ok());
}

TEST_F(InstallerTest, PrepareCreatesDirectories) {
  Prepared();
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "net.d/multus.d"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "multus/net.d"));
}

TEST_F(InstallerTest, TheTokenDirectoryIsPrivateWhateverTheUmaskOrItsOldMode) {
  const mode_t old_umask = umask(0);
  std::filesystem::create_directories(dir_ / "net.d");
  Prepared();
  struct stat info;
  ASSERT_EQ(stat((dir_ / "net.d/multus.d").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0700u);
  chmod((dir_ / "net.d/multus.d").c_str(), 0777);  // as an older version left it
  Prepared();
  ASSERT_EQ(stat((dir_ / "net.d/multus.d").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0700u);
  umask(old_umask);
}

TEST_F(InstallerTest, InstallsTheBinaryOnlyWhenItDiffers) {
  auto installer = Prepared();
  ASSERT_TRUE(installer->InstallBinary().ok());
  EXPECT_EQ(ReadText(dir_ / "bin/multus"), "#!/bin/sh\n");
  ino_t first = Inode(dir_ / "bin/multus");
  ASSERT_TRUE(installer->InstallBinary().ok());
  EXPECT_EQ(Inode(dir_ / "bin/multus"), first);
  WriteText(dir_ / "image/multus", "#!/bin/sh\n# v2\n");
  ASSERT_TRUE(installer->InstallBinary().ok());
  EXPECT_EQ(ReadText(dir_ / "bin/multus"), "#!/bin/sh\n# v2\n");
}

TEST_F(InstallerTest, WritesTokenCopyAndKubeconfigPrivately) {
  auto installer = Prepared();
  ASSERT_TRUE(installer->SyncCredentials().ok());
  const std::string kubeconfig = dir_ / "net.d/multus.d/multus.kubeconfig";
  const std::string token = dir_ / "net.d/multus.d/multus.token";
  EXPECT_EQ(ReadText(token), "token-1");
  EXPECT_EQ(Mode(token), 0600u);
  EXPECT_EQ(Mode(kubeconfig), 0600u);
  YAML::Node doc = YAML::LoadFile(kubeconfig);
  EXPECT_EQ(doc["users"][0]["user"]["tokenFile"].as<std::string>(),
            "/etc/cni/net.d/multus.d/multus.token");
  EXPECT_EQ(doc["clusters"][0]["cluster"]["server"].as<std::string>(), "https://10.96.0.1:443");
  EXPECT_EQ(doc["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>(),
            "Y2EtMQ==");
  EXPECT_EQ(ReadText(kubeconfig).find("token-1"), std::string::npos);
}

TEST_F(InstallerTest, RewritesOnlyTheCredentialThatChanged) {
  auto installer = Prepared();
  ASSERT_TRUE(installer->SyncCredentials().ok());
  const std::string kubeconfig = dir_ / "net.d/multus.d/multus.kubeconfig";
  const std::string token = dir_ / "net.d/multus.d/multus.token";
  ino_t kubeconfig_inode = Inode(kubeconfig);
  ino_t token_inode = Inode(token);

  ASSERT_TRUE(installer->SyncCredentials().ok());
  EXPECT_EQ(Inode(kubeconfig), kubeconfig_inode);
  EXPECT_EQ(Inode(token), token_inode);

  WriteText(dir_ / "sa/token", "token-2");
  ASSERT_TRUE(installer->SyncCredentials().ok());
  EXPECT_EQ(ReadText(token), "token-2");
  EXPECT_NE(Inode(token), token_inode);
  EXPECT_EQ(Inode(kubeconfig), kubeconfig_inode);
  token_inode = Inode(token);

  WriteText(dir_ / "sa/ca.crt", "ca-2");
  ASSERT_TRUE(installer->SyncCredentials().ok());
  EXPECT_NE(Inode(kubeconfig), kubeconfig_inode);
  EXPECT_EQ(Inode(token), token_inode);
  EXPECT_NE(ReadText(kubeconfig).find("Y2EtMg=="), std::string::npos);
}

TEST_F(InstallerTest, CredentialErrors) {
  auto installer = Prepared();
  WriteText(dir_ / "sa/token", "");
  Status empty = installer->SyncCredentials();
  EXPECT_EQ(empty.code(), 5);
  EXPECT_EQ(empty.msg(), "service-account token " + (dir_ / "sa/token") + " is empty");
  std::filesystem::remove(dir_ / "sa/token");
  Status missing = installer->SyncCredentials();
  EXPECT_EQ(missing.code(), 5);
  EXPECT_EQ(missing.msg(), "service-account token: cannot open " + (dir_ / "sa/token") +
                               ": No such file or directory");
  EXPECT_FALSE(Exists(dir_ / "net.d/multus.d/multus.token"));
}

TEST_F(InstallerTest, GeneratesTheConfigOnceAndOnlyRewritesOnChange) {
  auto installer = Prepared();
  ASSERT_TRUE(installer->SyncConfig().ok());
  auto doc = nlohmann::json::parse(ReadText(Conf()));
  EXPECT_EQ(doc["delegates"][0], nlohmann::json::parse(kMaster));
  EXPECT_EQ(doc["confDir"], "/etc/cni/multus/net.d");
  EXPECT_EQ(doc["kubeconfig"], "/etc/cni/net.d/multus.d/multus.kubeconfig");
  EXPECT_EQ(Mode(Conf()), 0600u);
  ino_t inode = Inode(Conf());

  ASSERT_TRUE(installer->SyncConfig().ok());
  EXPECT_EQ(Inode(Conf()), inode);

  WriteText(dir_ / "net.d/10-testcni.conf",
            R"({"cniVersion":"0.3.1","name":"test1","type":"changed"})");
  ASSERT_TRUE(installer->SyncConfig().ok());
  EXPECT_NE(ReadText(Conf()).find("\"changed\""), std::string::npos);
}

TEST_F(InstallerTest, SwitchingToConflistRemovesTheStaleConf) {
  auto installer = Prepared();
  ASSERT_TRUE(installer->SyncConfig().ok());
  ASSERT_TRUE(Exists(Conf()));
  WriteText(dir_ / "net.d/10-testcni.conf", R"({"cniVersion":"1.0.0","name":"t","type":"x"})");
  ASSERT_TRUE(installer->SyncConfig().ok());
  EXPECT_TRUE(Exists(Conflist()));
  EXPECT_FALSE(Exists(Conf()));
  WriteText(dir_ / "net.d/10-testcni.conf", R"({"cniVersion":"0.4.0","name":"t","type":"x"})");
  ASSERT_TRUE(installer->SyncConfig().ok());
  EXPECT_TRUE(Exists(Conf()));
  EXPECT_FALSE(Exists(Conflist()));
}

TEST_F(InstallerTest, NeverWrapsItsOwnOutput) {
  auto installer = Prepared();
  ASSERT_TRUE(installer->SyncConfig().ok());
  std::filesystem::remove(dir_ / "net.d/10-testcni.conf");
  WriteText(dir_ / "net.d/20-other.conf", R"({"cniVersion":"0.3.1","name":"o","type":"o"})");
  ASSERT_TRUE(installer->SyncConfig().ok());
  auto doc = nlohmann::json::parse(ReadText(Conf()));
  EXPECT_EQ(doc["delegates"][0]["name"], "o");
}

TEST_F(InstallerTest, MasterGoneKeepsTheConfigAndSaysSo) {
  auto installer = Prepared();
  ASSERT_TRUE(installer->SyncConfig().ok());
  std::string before = ReadText(Conf());
  std::filesystem::remove(dir_ / "net.d/10-testcni.conf");
  EXPECT_EQ(installer->SyncConfig().code(), 11);
  EXPECT_EQ(installer->SyncConfig().code(), 11);
  EXPECT_EQ(ReadText(Conf()), before);
  std::string log = log_text_.str();
  size_t first = log.find("is gone; keeping the multus config");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(log.find("is gone", first + 1), std::string::npos);  // said once
}

TEST_F(InstallerTest, RestoresItsConfigWhenSomeoneRemovesIt) {
  auto installer = Prepared();
  ASSERT_TRUE(installer->SyncConfig().ok());
  std::string before = ReadText(Conf());
  std::filesystem::rename(Conf(), dir_ / "net.d/00-multus.conf.cilium_bak");
  ASSERT_TRUE(installer->SyncConfig().ok());
  EXPECT_EQ(ReadText(Conf()), before);
}

TEST_F(InstallerTest, RenameConfFilePinsTheMasterAndCleanupPutsItBack) {
  WriteText(dir_ / "net.d/20-next.conf", R"({"cniVersion":"0.3.1","name":"next","type":"n"})");
  options_.rename_conf_file = true;
  auto installer = Prepared();
  ASSERT_TRUE(installer->SyncConfig().ok());
  EXPECT_FALSE(Exists(dir_ / "net.d/10-testcni.conf"));
  EXPECT_TRUE(Exists(dir_ / "net.d/10-testcni.conf.old"));
  // A second pass must not switch to 20-next.conf nor wait for the renamed file.
  ASSERT_TRUE(installer->SyncConfig().ok());
  EXPECT_EQ(nlohmann::json::parse(ReadText(Conf()))["delegates"][0]["name"], "test1");
  // The primary CNI writes its file again: it is taken, and renamed again.
  WriteText(dir_ / "net.d/10-testcni.conf", R"({"cniVersion":"0.3.1","name":"v2","type":"t"})");
  ASSERT_TRUE(installer->SyncConfig().ok());
  EXPECT_EQ(nlohmann::json::parse(ReadText(Conf()))["delegates"][0]["name"], "v2");
  EXPECT_FALSE(Exists(dir_ / "net.d/10-testcni.conf"));
  installer->Cleanup();
  EXPECT_FALSE(Exists(Conf()));
  EXPECT_EQ(ReadText(dir_ / "net.d/10-testcni.conf"),
            R"({"cniVersion":"0.3.1","name":"v2","type":"t"})");
}

TEST_F(InstallerTest, CleanupRemovesBothVariantsButKeepsCredentials) {
  auto installer = Prepared();
  ASSERT_TRUE(installer->SyncCredentials().ok());
  ASSERT_TRUE(installer->SyncConfig().ok());
  WriteText(Conflist(), "{}");
  installer->Cleanup();
  EXPECT_FALSE(Exists(Conf()));
  EXPECT_FALSE(Exists(Conflist()));
  EXPECT_TRUE(Exists(dir_ / "net.d/10-testcni.conf"));
  EXPECT_TRUE(Exists(dir_ / "net.d/multus.d/multus.kubeconfig"));
}

TEST_F(InstallerTest, ExplicitConfFileIsCopiedAndCleanedUp) {
  WriteText(dir_ / "cm/70-multus.conf", R"({"cniVersion":"0.3.1","type":"multus"})");
  options_.multus_conf_file = dir_ / "cm/70-multus.conf";
  auto installer = Prepared();
  ASSERT_TRUE(installer->SyncConfig().ok());
  EXPECT_EQ(ReadText(dir_ / "net.d/70-multus.conf"), R"({"cniVersion":"0.3.1","type":"multus"})");
  EXPECT_FALSE(Exists(Conf()));
  WriteText(dir_ / "cm/70-multus.conf", R"({"cniVersion":"0.4.0","type":"multus"})");
  ASSERT_TRUE(installer->SyncConfig().ok());
  EXPECT_EQ(ReadText(dir_ / "net.d/70-multus.conf"), R"({"cniVersion":"0.4.0","type":"multus"})");
  installer->Cleanup();
  EXPECT_FALSE(Exists(dir_ / "net.d/70-multus.conf"));
}

TEST_F(InstallerTest, WatchDirectories) {
  auto installer = Prepared();
  auto dirs = installer->WatchDirectories();
  EXPECT_EQ(dirs, (std::vector<std::string>{dir_ / "net.d", dir_ / "sa"}));
  options_.skip_config_watch = true;
  EXPECT_EQ(Prepared()->WatchDirectories(), (std::vector<std::string>{dir_ / "sa"}));
}

}  // namespace
}  // namespace multus::install
