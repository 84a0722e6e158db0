// End-to-end: the built multus-install binary run in temp directories standing in for
// /host/etc/cni/net.d, /host/opt/cni/bin and the service-account directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_util.h"

namespace multus::install {
namespace {

using testing::Exists;
using testing::Inode;
using testing::ReadText;
using testing::TempDir;
using testing::WriteText;
using namespace std::chrono_literals;

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

// One run of the binary, stdout and stderr going to a file in the temp dir.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::string& log_path,
          std::vector<std::string> env = {"KUBERNETES_SERVICE_HOST=10.96.0.1",
                                          "KUBERNETES_SERVICE_PORT=443"})
      : log_path_(log_path) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv = {const_cast<char*>(MULTUS_INSTALL_BIN)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      std::vector<char*> envp;
      for (auto& e : env) envp.push_back(e.data());
      envp.push_back(nullptr);
      execve(MULTUS_INSTALL_BIN, argv.data(), envp.data());
      _exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Exit code, or -1 if still running after `timeout`.
  int Wait(std::chrono::milliseconds timeout = 20s) {
    int status = 0;
    bool done = WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!done) return -1;
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void Signal(int sig) { kill(pid_, sig); }
  std::string Log() const { return ReadText(log_path_); }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

class InstallE2eTest : public ::testing::Test {
 protected:
  InstallE2eTest() {
    WriteText(dir_ / "host/etc/cni/net.d/10-flannel.conflist", kMaster);
    WriteText(dir_ / "host/opt/cni/bin/.keep", "");
    WriteText(dir_ / "sa/..2024_01/token", "token-1");
    WriteText(dir_ / "sa/..2024_01/ca.crt", "ca-1");
    // The kubelet's projected-volume layout: token -> ..data/token, ..data -> ..<timestamp>.
    std::filesystem::create_directory_symlink("..2024_01", dir_ / "sa/..data");
    std::filesystem::create_symlink("..data/token", dir_ / "sa/token");
    std::filesystem::create_symlink("..data/ca.crt", dir_ / "sa/ca.crt");
    WriteText(dir_ / "image/.keep", "");
    std::filesystem::copy_file("/bin/true", dir_ / "image/multus");
  }

  std::vector<std::string> Args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {
        "--cni-conf-dir=" + (dir_ / "host/etc/cni/net.d"),
        "--multus-autoconfig-dir=" + (dir_ / "host/etc/cni/net.d"),
        "--cni-bin-dir=" + (dir_ / "host/opt/cni/bin"),
        "--multus-bin-file=" + (dir_ / "image/multus"),
        "--multus-cni-conf-dir=" + (dir_ / "host/etc/cni/multus/net.d"),
        "--multus-cni-conf-dir-host=/etc/cni/multus/net.d",
        "--service-account-dir=" + (dir_ / "sa"),
    };
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  std::string Log() const { return dir_ / "install.log"; }
  std::string NetD(const std::string& name) const { return dir_ / ("host/etc/cni/net.d/" + name); }

  // Rotates the token the way the kubelet does: a new timestamped dir, then ..data swapped.
  void RotateToken(const std::string& token, const std::string& ca = "ca-1") {
    static int generation = 2;
    std::string dir = "..2024_0" + std::to_string(generation++);
    WriteText(dir_ / ("sa/" + dir + "/token"), token);
    WriteText(dir_ / ("sa/" + dir + "/ca.crt"), ca);
    std::filesystem::create_directory_symlink(dir, dir_ / "sa/..data_tmp");
    std::filesystem::rename(dir_ / "sa/..data_tmp", dir_ / "sa/..data");
  }

  static constexpr char kMaster[] =
      R"({"cniVersion":"1.0.0","name":"cbr0","plugins":[{"type":"flannel","delegate":{"hairpinMode":true}},)"
      R"({"type":"portmap","capabilities":{"portMappings":true}}]})";
  TempDir dir_;
};

TEST_F(InstallE2eTest, OneshotInstallsEverything) {
  Process p(Args({"--oneshot"}), Log());
  ASSERT_EQ(p.Wait(), 0) << p.Log();
  EXPECT_EQ(ReadText(dir_ / "host/opt/cni/bin/multus"), ReadText("/bin/true"));
  auto conf = nlohmann::json::parse(ReadText(NetD("00-multus.conflist")));
  EXPECT_EQ(conf["plugins"][0]["delegates"][0], nlohmann::json::parse(kMaster));
  EXPECT_EQ(conf["plugins"][0]["capabilities"], nlohmann::json::parse(R"({"portMappings":true})"));
  EXPECT_EQ(ReadText(NetD("multus.d/multus.token")), "token-1");
  EXPECT_TRUE(Exists(NetD("multus.d/multus.kubeconfig")));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "host/etc/cni/multus/net.d"));
  EXPECT_NE(p.Log().find("multus is installed"), std::string::npos);
}

TEST_F(InstallE2eTest, HelpAndBadFlags) {
  Process help({"--help"}, Log());
  EXPECT_EQ(help.Wait(), 0);
  EXPECT_NE(help.Log().find("Usage: multus-install"), std::string::npos);
  Process bad({"--restart-crio"}, Log());
  EXPECT_EQ(bad.Wait(), 2);
  EXPECT_NE(bad.Log().find("[error] unknown flag: --restart-crio"), std::string::npos);
}

TEST_F(InstallE2eTest, FatalErrorsExitNonZeroWithAClearMessage) {
  struct Case {
    std::vector<std::string> extra;
    std::vector<std::string> env;
    std::string message;
  } cases[] = {
      {{"--cni-conf-dir=/nonexistent/net.d"},
       {"KUBERNETES_SERVICE_HOST=h"},
       "[error] --cni-conf-dir /nonexistent/net.d does not exist"},
      {{"--cni-bin-dir=/nonexistent/bin"},
       {"KUBERNETES_SERVICE_HOST=h"},
       "[error] --cni-bin-dir /nonexistent/bin does not exist"},
      {{"--multus-bin-file=/nonexistent/multus"},
       {"KUBERNETES_SERVICE_HOST=h"},
       "[error] --multus-bin-file /nonexistent/multus does not exist"},
      {{"--multus-log-level=info"},
       {"KUBERNETES_SERVICE_HOST=h"},
       "[error] --multus-log-level should be one of debug, verbose, warning, error, panic"},
      {{}, {}, "[error] KUBERNETES_SERVICE_HOST is not set"},
      {{"--service-account-dir=/nonexistent/sa"},
       {"KUBERNETES_SERVICE_HOST=h"},
       "[error] service-account token: cannot open /nonexistent/sa/token: No such file or "
       "directory (the pod needs a service account token (automountServiceAccountToken))"},
      {{"--cni-version=0.4.0"},
       {"KUBERNETES_SERVICE_HOST=h"},
       "the multus cniVersion is \"0.4.0\" but the master CNI config's is \"1.0.0\""},
  };
  for (const Case& c : cases) {
    Process p(Args(c.extra), Log(), c.env);
    EXPECT_EQ(p.Wait(), 1) << c.message;
    EXPECT_NE(p.Log().find(c.message), std::string::npos) << p.Log();
  }
}

TEST_F(InstallE2eTest, GivesUpOnAnUnparseableMasterAfterTheWait) {
  WriteText(NetD("10-flannel.conflist"), "{\"cniVersion\": \"1.0.0\", ");
  Process p(Args({"--master-wait-seconds=1"}), Log());
  EXPECT_EQ(p.Wait(), 1);
  EXPECT_NE(p.Log().find("gave up waiting for a master CNI config after 1s"), std::string::npos);
  EXPECT_NE(p.Log().find("is not valid JSON"), std::string::npos) << p.Log();
  EXPECT_FALSE(Exists(NetD("00-multus.conflist")));
  EXPECT_FALSE(Exists(NetD("00-multus.conf")));
}

TEST_F(InstallE2eTest, WaitsForALateMaster) {
  std::filesystem::remove(NetD("10-flannel.conflist"));
  Process p(Args({"--oneshot", "--master-wait-seconds=30"}), Log());
  ASSERT_TRUE(WaitFor([&] { return p.Log().find("waiting for the master") != std::string::npos; }));
  EXPECT_FALSE(Exists(NetD("00-multus.conflist")));
  // The primary CNI writes its config non-atomically, in two steps.
  WriteText(NetD("10-calico.conflist"), "{\"cniVersion\":\"0.3.1\",");
  std::this_thread::sleep_for(300ms);
  WriteText(NetD("10-calico.conflist"), R"({"cniVersion":"0.3.1","name":"k8s-pod-network",)"
                                        R"("plugins":[{"type":"calico"}]})");
  ASSERT_EQ(p.Wait(), 0) << p.Log();
  auto conf = nlohmann::json::parse(ReadText(NetD("00-multus.conf")));
  EXPECT_EQ(conf["delegates"][0]["name"], "k8s-pod-network");
}

TEST_F(InstallE2eTest, WaitTimeoutIsFatal) {
  std::filesystem::remove(NetD("10-flannel.conflist"));
  Process p(Args({"--master-wait-seconds=1"}), Log());
  EXPECT_EQ(p.Wait(), 1);
  EXPECT_NE(p.Log().find("[error] no master CNI config (*.conf, *.conflist) in"), std::string::npos)
      << p.Log();
}

TEST_F(InstallE2eTest, WatchRegeneratesWhatChangedAndCleansUpOnSigterm) {
  Process p(Args({"--cleanup-config-on-exit"}), Log());
  const std::string conf = NetD("00-multus.conflist");
  const std::string kubeconfig = NetD("multus.d/multus.kubeconfig");
  const std::string token = NetD("multus.d/multus.token");
  ASSERT_TRUE(WaitFor([&] { return p.Log().find("multus is installed") != std::string::npos; }))
      << p.Log();
  ino_t conf_inode = Inode(conf);
  ino_t kubeconfig_inode = Inode(kubeconfig);

  // Token rotated by the kubelet: only the token copy changes.
  RotateToken("token-2");
  ASSERT_TRUE(WaitFor([&] { return ReadText(token) == "token-2"; })) << p.Log();
  EXPECT_EQ(Inode(kubeconfig), kubeconfig_inode);
  EXPECT_EQ(Inode(conf), conf_inode);

  // CA rotated: the kubeconfig is rewritten.
  RotateToken("token-2", "ca-2");
  ASSERT_TRUE(WaitFor([&] { return Inode(kubeconfig) != kubeconfig_inode; })) << p.Log();
  EXPECT_EQ(Inode(conf), conf_inode);

  // Master changed to a 0.4.0 conf: 00-multus.conf replaces 00-multus.conflist.
  WriteText(NetD("10-flannel.conflist"),
            R"({"cniVersion":"0.4.0","name":"cbr0","plugins":[{"type":"flannel"}]})");
  ASSERT_TRUE(WaitFor([&] { return Exists(NetD("00-multus.conf")) && !Exists(conf); })) << p.Log();

  // Someone removes our config: it comes back.
  std::filesystem::rename(NetD("00-multus.conf"), NetD("00-multus.conf.cilium_bak"));
  ASSERT_TRUE(WaitFor([&] { return Exists(NetD("00-multus.conf")); })) << p.Log();

  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0) << p.Log();
  EXPECT_FALSE(Exists(NetD("00-multus.conf")));
  EXPECT_FALSE(Exists(conf));
  EXPECT_TRUE(Exists(kubeconfig));
  EXPECT_TRUE(Exists(NetD("10-flannel.conflist")));
}

TEST_F(InstallE2eTest, WithoutCleanupTheConfigStaysAfterSigterm) {
  Process p(Args(), Log());
  ASSERT_TRUE(WaitFor([&] { return p.Log().find("multus is installed") != std::string::npos; }));
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
  EXPECT_TRUE(Exists(NetD("00-multus.conflist")));
}

TEST_F(InstallE2eTest, SigtermWhileWaitingForTheMasterExitsCleanly) {
  std::filesystem::remove(NetD("10-flannel.conflist"));
  Process p(Args({"--cleanup-config-on-exit"}), Log());
  ASSERT_TRUE(WaitFor([&] { return p.Log().find("waiting for the master") != std::string::npos; }));
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(5s), 0) << p.Log();
}

TEST_F(InstallE2eTest, SkipConfigWatchStillRefreshesTheToken) {
  Process p(Args({"--skip-config-watch"}), Log());
  ASSERT_TRUE(WaitFor([&] { return p.Log().find("multus is installed") != std::string::npos; }));
  std::string conf_before = ReadText(NetD("00-multus.conflist"));
  WriteText(NetD("10-flannel.conflist"), R"({"cniVersion":"1.0.0","name":"x","type":"y"})");
  RotateToken("token-3");
  ASSERT_TRUE(WaitFor([&] { return ReadText(NetD("multus.d/multus.token")) == "token-3"; }));
  EXPECT_EQ(ReadText(NetD("00-multus.conflist")), conf_before);
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
}

TEST_F(InstallE2eTest, ReplacesTheInstalledBinaryWhileItRuns) {
  std::filesystem::copy_file("/bin/sleep", dir_ / "host/opt/cni/bin/multus");
  pid_t running = fork();
  if (running == 0) {
    std::string path = dir_ / "host/opt/cni/bin/multus";
    execl(path.c_str(), "multus", "30", nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(100ms);
  Process p(Args({"--oneshot"}), Log());
  EXPECT_EQ(p.Wait(), 0) << p.Log();
  EXPECT_EQ(p.Log().find("Text file busy"), std::string::npos);
  EXPECT_EQ(ReadText(dir_ / "host/opt/cni/bin/multus"), ReadText("/bin/true"));
  EXPECT_EQ(waitpid(running, nullptr, WNOHANG), 0);  // still running, untouched
  kill(running, SIGKILL);
  waitpid(running, nullptr, 0);
}

}  // namespace
}  // namespace multus::install
