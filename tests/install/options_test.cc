#include "options.h"

#include <gtest/gtest.h>

namespace multus::install {
namespace {

TEST(OptionsTest, DefaultsAreUpstreams) {
  auto o = ParseOptions({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->cni_bin_dir, "/host/opt/cni/bin");
  EXPECT_EQ(o->cni_conf_dir, "/host/etc/cni/net.d");
  EXPECT_EQ(o->multus_conf_file, "auto");
  EXPECT_EQ(o->multus_bin_file, "/usr/src/multus-cni/bin/multus");
  EXPECT_EQ(o->multus_cni_conf_dir, "/host/etc/cni/multus/net.d");
  EXPECT_EQ(o->multus_kubeconfig_file_host, "/etc/cni/net.d/multus.d/multus.kubeconfig");
  EXPECT_EQ(o->multus_autoconfig_dir, "/host/etc/cni/net.d");
  EXPECT_TRUE(o->multus_log_to_stderr);
  EXPECT_FALSE(o->cleanup_config_on_exit);
  EXPECT_FALSE(o->rename_conf_file);
  EXPECT_EQ(o->master_wait_seconds, 600);
  EXPECT_EQ(ConfDirHostPath(o.value()), "/etc/cni/multus/net.d");
}

TEST(OptionsTest, AcceptsPflagForms) {
  auto o = ParseOptions({"--cni-conf-dir=/a", "--cni-bin-dir", "/b", "--namespace-isolation",
                         "--multus-log-to-stderr=false", "-rename-conf-file=true",
                         "--global-namespaces=x,y", "--multus-conf-file=/c/70-multus.conf",
                         "--master-wait-seconds=5", "--skip-tls-verify", "--force-cni-version=1",
                         "--cni-version", "1.0.0"});
  ASSERT_TRUE(o.ok()) << o.status().msg();
  EXPECT_EQ(o->cni_conf_dir, "/a");
  EXPECT_EQ(o->cni_bin_dir, "/b");
  EXPECT_TRUE(o->namespace_isolation);
  EXPECT_FALSE(o->multus_log_to_stderr);
  EXPECT_TRUE(o->rename_conf_file);
  EXPECT_EQ(o->global_namespaces, "x,y");
  EXPECT_EQ(o->multus_conf_file, "/c/70-multus.conf");
  EXPECT_EQ(o->master_wait_seconds, 5);
  EXPECT_TRUE(o->skip_tls_verify);
  EXPECT_TRUE(o->force_cni_version);
  EXPECT_EQ(o->cni_version, "1.0.0");
}

TEST(OptionsTest, EmptyValueIsAllowed) {
  auto o = ParseOptions({"--multus-cni-conf-dir="});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->multus_cni_conf_dir, "");
}

TEST(OptionsTest, HelpAndVersion) {
  EXPECT_TRUE(ParseOptions({"-h"})->help);
  EXPECT_TRUE(ParseOptions({"--help"})->help);
  EXPECT_TRUE(ParseOptions({"--version"})->version);
  std::string usage = UsageText();
  EXPECT_NE(usage.find("--cni-bin-dir=string (default \"/host/opt/cni/bin\")"), std::string::npos);
  EXPECT_NE(usage.find("--multus-log-to-stderr (default true)"), std::string::npos);
  EXPECT_EQ(usage.find("--force-cni-version"), std::string::npos);  // hidden, as upstream
}

TEST(OptionsTest, ConfDirHostPath) {
  InstallOptions o;
  o.multus_cni_conf_dir = "/host/etc/cni/multus/net.d";
  EXPECT_EQ(ConfDirHostPath(o), "/etc/cni/multus/net.d");
  o.multus_cni_conf_dir = "/srv/multus";
  EXPECT_EQ(ConfDirHostPath(o), "/srv/multus");
  o.multus_cni_conf_dir_host = "/opt/multus/net.d";
  EXPECT_EQ(ConfDirHostPath(o), "/opt/multus/net.d");
}

TEST(OptionsTest, Errors) {
  struct Case {
    std::vector<std::string> args;
    std::string msg;
  } cases[] = {
      {{"--restart-crio"}, "unknown flag: --restart-crio"},
      {{"--cni-conf-dir"}, "flag needs an argument: --cni-conf-dir"},
      {{"--namespace-isolation=yes"},
       "invalid value \"yes\" for --namespace-isolation: want true or false"},
      {{"--master-wait-seconds=ten"},
       "invalid value \"ten\" for --master-wait-seconds: want a non-negative integer"},
      {{"--master-wait-seconds=-1"},
       "invalid value \"-1\" for --master-wait-seconds: want a non-negative integer"},
      {{"auto"}, "unexpected argument \"auto\""},
  };
  for (const Case& c : cases) {
    auto o = ParseOptions(c.args);
    ASSERT_FALSE(o.ok()) << c.args[0];
    EXPECT_EQ(o.status().code(), 7);
    EXPECT_EQ(o.status().msg(), c.msg);
  }
}

}  // namespace
}  // namespace multus::install
