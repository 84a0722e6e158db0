#include "shim_conf.h"

#include <gtest/gtest.h>

namespace multus::shim {
namespace {

TEST(ShimConfTest, Defaults) {
  Result<ShimConf> conf = ParseShimConf(R"({"type":"multus-shim"})");
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->cni_version, "");
  EXPECT_EQ(conf->socket_path, "/run/multus/multus.sock");
  EXPECT_EQ(conf->cni_dir, "/var/lib/cni/multus");
  EXPECT_EQ(conf->readiness_timeout, std::chrono::seconds(60));
  EXPECT_EQ(conf->request_timeout, std::chrono::seconds(300));
  EXPECT_EQ(conf->log.level, LogLevel::kWarning);
  EXPECT_TRUE(conf->log.to_stderr);
  EXPECT_EQ(conf->log.file, "");
}

TEST(ShimConfTest, ReadsEveryKeyCaseInsensitively) {
  Result<ShimConf> conf =
      ParseShimConf(R"({"CniVersion":"0.4.0","DAEMONSOCKETDIR":"/var/run/multus","cnidir":"/c",)"
                    R"("LogFile":"/var/log/shim.log","loglevel":"Debug","logToStderr":false,)"
                    R"("daemonReadinessTimeout":0,"daemonrequesttimeout":30,"delegates":[]})");
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->cni_version, "0.4.0");
  EXPECT_EQ(conf->socket_path, "/var/run/multus/multus.sock");
  EXPECT_EQ(conf->cni_dir, "/c");
  EXPECT_EQ(conf->log.file, "/var/log/shim.log");
  EXPECT_EQ(conf->log.level, LogLevel::kDebug);
  EXPECT_FALSE(conf->log.to_stderr);
  EXPECT_EQ(conf->readiness_timeout, std::chrono::seconds(0));
  EXPECT_EQ(conf->request_timeout, std::chrono::seconds(30));
}

TEST(ShimConfTest, EmptyStringsMeanTheDefaults) {
  Result<ShimConf> conf = ParseShimConf(R"({"daemonSocketDir":"","cniDir":"","logLevel":""})");
  ASSERT_TRUE(conf.ok()) << conf.status().msg();
  EXPECT_EQ(conf->socket_path, "/run/multus/multus.sock");
  EXPECT_EQ(conf->cni_dir, "/var/lib/cni/multus");
}

TEST(ShimConfTest, RefusesBadValues) {
  struct Case {
    const char* conf;
    int code;
    const char* msg;
  } errors[] = {
      {"", 7, "no multus-shim config on stdin"},
      {"{", 6, ""},
      {"\"x\"", 6, "the multus-shim config is not a JSON object"},
      {R"({"cniVersion":1})", 7, "invalid multus-shim config: \"cniVersion\" must be a string"},
      {R"({"logToStderr":"yes"})", 7,
       "invalid multus-shim config: \"logToStderr\" must be true or false"},
      {R"({"logLevel":"loud"})", 7, "cannot set logging level to loud"},
      {R"({"daemonSocketDir":"run"})", 7,
       "invalid multus-shim config: \"daemonSocketDir\" must be an absolute path (it is \"run\")"},
      {R"({"daemonReadinessTimeout":-1})", 7,
       "invalid multus-shim config: \"daemonReadinessTimeout\" must be a whole number of seconds "
       "from 0 to 3600"},
      {R"({"daemonRequestTimeout":1.5})", 7,
       "invalid multus-shim config: \"daemonRequestTimeout\" must be a whole number of seconds "
       "from 1 to 3600"},
      {R"({"daemonRequestTimeout":3601})", 7, ""},
  };
  for (const Case& c : errors) {
    SCOPED_TRACE(c.conf);
    Result<ShimConf> conf = ParseShimConf(c.conf);
    ASSERT_FALSE(conf.ok());
    EXPECT_EQ(conf.status().code(), c.code);
    if (*c.msg != '\0') {
      EXPECT_EQ(conf.status().msg(), c.msg);
    }
  }
}

TEST(ShimConfTest, RefusesASocketPathTooLongForSunPath) {
  std::string dir = "/" + std::string(100, 'd');
  Result<ShimConf> conf = ParseShimConf(R"({"daemonSocketDir":")" + dir + "\"}");
  ASSERT_FALSE(conf.ok());
  EXPECT_EQ(conf.status().code(), 7);
  EXPECT_NE(conf.status().msg().find("does not fit a unix socket address"), std::string::npos);
}

TEST(ShimConfTest, ReportingSettingsAreReadFromABadConfig) {
  ShimConf conf = ParseReportingConf(
      R"({"cniVersion":"0.3.1","logLevel":"debug","logFile":"/l","daemonSocketDir":"rel"})");
  EXPECT_EQ(conf.cni_version, "0.3.1");
  EXPECT_EQ(conf.log.level, LogLevel::kDebug);
  EXPECT_EQ(conf.log.file, "/l");
  EXPECT_EQ(ParseReportingConf("garbage").cni_version, "");
}

TEST(ShimLogTest, FormatsTheProjectsLine) {
  std::string line = log::FormatLine(LogLevel::kError, "boom", std::chrono::system_clock::now());
  EXPECT_EQ(line.substr(line.size() - 14), " [error] boom\n");
  EXPECT_EQ(line[4], '-');
  EXPECT_EQ(line[10], 'T');
  EXPECT_EQ(line[line.size() - 17], ':');  // +00:00
}

}  // namespace
}  // namespace multus::shim
