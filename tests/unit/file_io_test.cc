#include "multus/file_io.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace multus {
namespace {

using test::ListDir;

using test::ReadFile;
using test::TempDir;
using test::WriteFile;

// How the installer writes: into the node's existing directories.
constexpr WriteOptions kHostFile{.mode = 0600, .own_directory = false};

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

ino_t Inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

size_t CountEntries(const std::string& dir) { return ListDir(dir).size(); }

// ---- the cache's writes: own directories, private modes ----

TEST(FileIoTest, AtomicWriteCreatesDirsAndFileWithPrivateModes) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/multus/results";
  const std::string path = dir + "/net-cid-eth0";
  ASSERT_TRUE(WriteFileAtomic(path, "hello\n").ok());

  auto read = ReadFileIfExists(path);
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(**read, "hello\n");
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf(tmp.path() + "/multus"), 0700u);
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"net-cid-eth0"});
}

TEST(FileIoTest, AtomicWriteModeIgnoresUmask) {
  TempDir tmp;
  const mode_t old = ::umask(0277);
  Status status = WriteFileAtomic(tmp.path() + "/f", "x");
  ::umask(old);
  ASSERT_TRUE(status.ok()) << status.msg();
  EXPECT_EQ(ModeOf(tmp.path() + "/f"), 0600u);
}

TEST(FileIoTest, AtomicWriteOverwritesAndLeavesNoTempFiles) {
  TempDir tmp;
  const std::string path = tmp.path() + "/cid";
  ASSERT_TRUE(WriteFileAtomic(path, std::string(100000, 'a')).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "short").ok());
  auto read = ReadFileIfExists(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->value(), "short");
  EXPECT_EQ(ListDir(tmp.path()), std::vector<std::string>{"cid"});
}

TEST(FileIoTest, AnUnsyncedWriteStillReplacesAtomicallyWithItsMode) {
  TempDir tmp;
  const std::string path = tmp.path() + "/results/cid";
  ASSERT_TRUE(WriteFileAtomic(path, "old").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "new", {.mode = 0640, .durable = false}).ok());
  auto read = ReadFileIfExists(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->value(), "new");
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0640u);
  EXPECT_EQ(ListDir(tmp.path() + "/results"), std::vector<std::string>{"cid"});
}

TEST(FileIoTest, AtomicWriteWritesEmptyAndBinaryContent) {
  TempDir tmp;
  const std::string bytes("a\0b\xff", 4);
  ASSERT_TRUE(WriteFileAtomic(tmp.path() + "/bin", bytes).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.path() + "/empty", "").ok());
  EXPECT_EQ(ReadFileIfExists(tmp.path() + "/bin")->value(), bytes);
  EXPECT_EQ(ReadFileIfExists(tmp.path() + "/empty")->value(), "");
}

TEST(FileIoTest, AtomicWriteFailureIsIoErrorAndLeavesNothing) {
  TempDir tmp;
  // The target is an existing directory: rename fails after the temp file was written.
  const std::string target = tmp.path() + "/taken";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((target + "/child").c_str(), 0700), 0);
  Status status = WriteFileAtomic(target, "data");
  EXPECT_EQ(status.code(), code::kIoFailure);
  EXPECT_NE(status.msg().find(target), std::string::npos) << status.msg();
  EXPECT_EQ(ListDir(tmp.path()), std::vector<std::string>{"taken"});
}

TEST(FileIoTest, AtomicWriteUnderAFileIsIoError) {
  TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp.path() + "/plain", "x").ok());
  Status status = WriteFileAtomic(tmp.path() + "/plain/sub/file", "x");
  EXPECT_EQ(status.code(), code::kIoFailure);
}

TEST(FileIoTest, ReadMissingIsNullopt) {
  TempDir tmp;
  auto read = ReadFileIfExists(tmp.path() + "/nope");
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
}

TEST(FileIoTest, APathThatCannotExistIsMissingNotAnError) {
  TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp.path() + "/plain", "x").ok());
  const std::string under_a_file = tmp.path() + "/plain/x";               // ENOTDIR
  const std::string too_long = tmp.path() + "/" + std::string(300, 'n');  // ENAMETOOLONG
  for (const std::string& path : {under_a_file, too_long}) {
    EXPECT_TRUE(RemoveFileIfExists(path).ok()) << path;
    Result<std::optional<std::string>> read = ReadFileIfExists(path);
    ASSERT_TRUE(read.ok()) << read.status().msg();
    EXPECT_FALSE(read->has_value());
  }
}

TEST(FileIoTest, ReadDirectoryIsIoError) {
  TempDir tmp;
  auto read = ReadFileIfExists(tmp.path());
  // open(O_RDONLY) on a directory succeeds; read() then fails with EISDIR.
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), code::kIoFailure);
}

TEST(FileIoTest, RemoveMissingIsOkAndRemoveExistingRemoves) {
  TempDir tmp;
  const std::string path = tmp.path() + "/cid";
  EXPECT_TRUE(RemoveFileIfExists(path).ok());
  EXPECT_TRUE(RemoveFileIfExists(tmp.path() + "/no/such/dir/cid").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "x").ok());
  EXPECT_TRUE(RemoveFileIfExists(path).ok());
  EXPECT_FALSE(ReadFileIfExists(path)->has_value());
}

TEST(FileIoTest, MakeDirsRefusesASymlinkedLeafUnlessToldToFollowIt) {
  TempDir tmp;
  ASSERT_EQ(::mkdir((tmp / "real").c_str(), 0700), 0);
  ASSERT_EQ(::symlink((tmp / "real").c_str(), (tmp / "link").c_str()), 0);
  Status refused = MakeDirs(tmp / "link");
  EXPECT_EQ(refused.code(), code::kIoFailure);
  EXPECT_EQ(refused.msg(),
            "cannot use directory " + (tmp / "link") + ": Too many levels of symbolic links");
  EXPECT_TRUE(MakeDirs(tmp / "link", 0755, LeafSymlink::kFollow).ok());
  const mode_t old = ::umask(022);
  Status made = MakeDirs(tmp / "link/sub", 0755, LeafSymlink::kFollow);
  ::umask(old);
  EXPECT_TRUE(made.ok()) << made.msg();
  EXPECT_EQ(ModeOf(tmp / "real/sub"), 0755u);
}

TEST(FileIoTest, ReadFileNamesThePathAndTheReason) {
  TempDir tmp;
  WriteFile(tmp / "f", "bytes");
  Result<std::string> read = multus::ReadFile(tmp / "f");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "bytes");
  Result<std::string> missing = multus::ReadFile(tmp / "nope");
  EXPECT_EQ(missing.status().code(), code::kIoFailure);
  EXPECT_EQ(missing.status().msg(),
            "cannot open " + (tmp / "nope") + ": No such file or directory");
}

// ---- the installer's writes: the node's directories, any mode ----

TEST(FileIoTest, WriteFileAtomicReplacesContentAndMode) {
  TempDir dir;
  const std::string path = dir / "f.conf";
  WriteFile(path, "old content that is longer");
  ino_t before = Inode(path);
  ASSERT_TRUE(WriteFileAtomic(path, "new", kHostFile).ok());
  EXPECT_EQ(ReadFile(path), "new");
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_NE(Inode(path), before);           // a new file renamed in, not a rewrite in place
  EXPECT_EQ(CountEntries(dir.path()), 1u);  // no temp file left
}

TEST(FileIoTest, WriteFileAtomicFailsCleanlyInAMissingDirectory) {
  TempDir dir;
  Status status = WriteFileAtomic(dir / "no/such/f", "x", kHostFile);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), 5);
  EXPECT_NE(status.msg().find("cannot create a temp file for " + (dir / "no/such/f")),
            std::string::npos);
}

TEST(FileIoTest, CopyKeepsTheSourceModeAndRemovesStaleTemps) {
  TempDir dir;
  WriteFile(dir / "src", "binary");
  chmod((dir / "src").c_str(), 0751);
  WriteFile(dir / "bin/.multus.multus-install.abc123", "left by a crash");
  ASSERT_TRUE(CopyFileAtomic(dir / "src", dir / "bin/multus").ok());
  EXPECT_EQ(ReadFile(dir / "bin/multus"), "binary");
  EXPECT_EQ(ModeOf(dir / "bin/multus"), 0751u);
  EXPECT_FALSE(test::Exists(dir / "bin/.multus.multus-install.abc123"));
  EXPECT_EQ(CountEntries(dir / "bin"), 1u);
}

TEST(FileIoTest, CopyRemovesTempFilesOfAnInterruptedWrite) {
  TempDir dir;
  WriteFile(dir / "src", "binary");
  WriteFile(dir / "bin/.multus.tmp-1-2-3", "left by a kill");
  WriteFile(dir / "bin/.other.tmp-1-2-3", "another file's");
  ASSERT_TRUE(CopyFileAtomic(dir / "src", dir / "bin/multus").ok());
  EXPECT_EQ(ListDir(dir / "bin"), (std::vector<std::string>{".other.tmp-1-2-3", "multus"}));
}

TEST(FileIoTest, HostFileWriteKeepsTheDirectoryAsItIs) {
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0751), 0);
  ASSERT_TRUE(WriteFileAtomic(dir / "f.conf", "x", {.mode = 0644, .own_directory = false}).ok());
  EXPECT_EQ(ModeOf(dir / "f.conf"), 0644u);
  EXPECT_EQ(ModeOf(dir.path()), 0751u);
}

TEST(FileIoTest, RenameFileReplacesTheTarget) {
  TempDir dir;
  WriteFile(dir / "a", "new");
  WriteFile(dir / "b", "old");
  ASSERT_TRUE(RenameFile(dir / "a", dir / "b").ok());
  EXPECT_EQ(ReadFile(dir / "b"), "new");
  Status missing = RenameFile(dir / "a", dir / "b");
  EXPECT_EQ(missing.code(), code::kIoFailure);
  EXPECT_EQ(missing.msg(),
            "cannot rename " + (dir / "a") + " to " + (dir / "b") + ": No such file or directory");
}

TEST(FileIoTest, DirNameAndBaseName) {
  EXPECT_EQ(DirName("/a/b/c"), "/a/b");
  EXPECT_EQ(DirName("/c"), "/");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(BaseName("/a/b/c"), "c");
  EXPECT_EQ(BaseName("c"), "c");
}

TEST(FileIoTest, CopyMissingSourceIsIoError) {
  TempDir dir;
  Status status = CopyFileAtomic(dir / "nope", dir / "dst");
  EXPECT_EQ(status.code(), 5);
  EXPECT_EQ(status.msg(), "cannot stat " + (dir / "nope") + ": No such file or directory");
}

// The failure upstream users hit (#1221): replacing a binary that is being executed.
TEST(FileIoTest, ReplacesABinaryWhileItIsRunning) {
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
  EXPECT_EQ(ReadFile(installed), ReadFile("/bin/true"));
  // The running process is untouched and the new binary runs.
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), 0);
  EXPECT_EQ(system((installed + " --version >/dev/null").c_str()), 0);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST(FileIoTest, ListRegularFilesIsSortedAndSkipsDirectories) {
  TempDir dir;
  WriteFile(dir / "b", "");
  WriteFile(dir / "a", "");
  WriteFile(dir / "sub/c", "");
  EXPECT_EQ(ListRegularFiles(dir.path()), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(ListRegularFiles(dir / "missing").empty());
}

TEST(FileIoTest, RemoveFileSaysWhetherItRemovedOne) {
  TempDir dir;
  WriteFile(dir / "a", "");
  EXPECT_TRUE(RemoveFile(dir / "a"));
  EXPECT_FALSE(RemoveFile(dir / "a"));
}

TEST(FileIoTest, FileIdentityChangesWhenTheFileIsReplacedNotWhenItIsOnlyRead) {
  TempDir dir;
  std::string path = dir / "token";
  EXPECT_FALSE(StatFileIdentity(path).has_value());
  ASSERT_TRUE(WriteFileAtomic(path, "same-size-1").ok());
  std::optional<FileIdentity> first = StatFileIdentity(path);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(ReadFile(path) == "same-size-1");
  EXPECT_EQ(StatFileIdentity(path), first);
  // Replaced the way kubelet replaces a projected token: same size, new file.
  ASSERT_TRUE(WriteFileAtomic(path, "same-size-2").ok());
  EXPECT_NE(StatFileIdentity(path), first);
}

}  // namespace
}  // namespace multus
