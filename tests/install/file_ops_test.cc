#include "file_ops.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "test_util.h"

namespace multus::install {
namespace {

using testing::Inode;
using testing::Mode;
using testing::ReadText;
using testing::TempDir;
using testing::WriteText;

size_t CountEntries(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(FileOpsTest, WriteFileAtomicReplacesContentAndMode) {
  TempDir dir;
  const std::string path = dir / "f.conf";
  WriteText(path, "old content that is longer");
  ino_t before = Inode(path);
  ASSERT_TRUE(WriteFileAtomic(path, "new", 0600).ok());
  EXPECT_EQ(ReadText(path), "new");
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_NE(Inode(path), before);           // a new file renamed in, not a rewrite in place
  EXPECT_EQ(CountEntries(dir.path()), 1u);  // no temp file left
}

TEST(FileOpsTest, WriteFileAtomicFailsCleanlyInAMissingDirectory) {
  TempDir dir;
  Status status = WriteFileAtomic(dir / "no/such/f", "x", 0600);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), 5);
  EXPECT_NE(status.msg().find("cannot create a temp file for " + (dir / "no/such/f")),
            std::string::npos);
}

TEST(FileOpsTest, CopyKeepsTheSourceModeAndRemovesStaleTemps) {
  TempDir dir;
  WriteText(dir / "src", "binary");
  chmod((dir / "src").c_str(), 0751);
  WriteText(dir / "bin/.multus.multus-install.abc123", "left by a crash");
  ASSERT_TRUE(CopyFileAtomic(dir / "src", dir / "bin/multus").ok());
  EXPECT_EQ(ReadText(dir / "bin/multus"), "binary");
  EXPECT_EQ(Mode(dir / "bin/multus"), 0751u);
  EXPECT_FALSE(testing::Exists(dir / "bin/.multus.multus-install.abc123"));
  EXPECT_EQ(CountEntries(dir / "bin"), 1u);
}

TEST(FileOpsTest, CopyMissingSourceIsIoError) {
  TempDir dir;
  Status status = CopyFileAtomic(dir / "nope", dir / "dst");
  EXPECT_EQ(status.code(), 5);
  EXPECT_EQ(status.msg(), "cannot stat " + (dir / "nope") + ": No such file or directory");
}

// The failure upstream users hit (#1221): replacing a binary that is being executed.
TEST(FileOpsTest, ReplacesABinaryWhileItIsRunning) {
  TempDir dir;
  const std::string installed = dir / "multus";
  ASSERT_TRUE(CopyFileAtomic("/bin/sleep", installed).ok());
  pid_t pid = fork();
  if (pid == 0) {
    execl(installed.c_str(), "multus", "30", nullptr);
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  usleep(100 * 1000);  // let it exec
  Status status = CopyFileAtomic("/bin/true", installed);
  EXPECT_TRUE(status.ok()) << status.msg();
  EXPECT_EQ(ReadText(installed), ReadText("/bin/true"));
  // The running process is untouched and the new binary runs.
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), 0);
  EXPECT_EQ(system((installed + " --version >/dev/null").c_str()), 0);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST(FileOpsTest, ListRegularFilesIsSortedAndSkipsDirectories) {
  TempDir dir;
  WriteText(dir / "b", "");
  WriteText(dir / "a", "");
  WriteText(dir / "sub/c", "");
  EXPECT_EQ(ListRegularFiles(dir.path()), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(ListRegularFiles(dir / "missing").empty());
}

TEST(FileOpsTest, RemoveFileIfExists) {
  TempDir dir;
  WriteText(dir / "a", "");
  EXPECT_TRUE(RemoveFileIfExists(dir / "a"));
  EXPECT_FALSE(RemoveFileIfExists(dir / "a"));
}

}  // namespace
}  // namespace multus::install
