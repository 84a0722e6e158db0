// The per-container lock whose file goes away with the container (multus/container_lock.h).
#include "multus/container_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/temp_dir.h"

namespace multus {
namespace {

using test::TempDir;

bool Exists(const std::string& path) {
  struct stat info;
  return ::lstat(path.c_str(), &info) == 0;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// True when a non-blocking exclusive flock on `path` (a new open file description)
// would have to wait, i.e. someone holds the lock.
bool IsLocked(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  const bool locked = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return locked;
}

TEST(ContainerLockTest, RemoveDeletesTheFileAndReleasesTheLock) {
  TempDir tmp;
  auto lock = ContainerLock::Acquire(tmp.path(), "cid");
  ASSERT_TRUE(lock.ok()) << lock.status().msg();
  ASSERT_TRUE(Exists(LockPath(tmp.path(), "cid")));
  ASSERT_TRUE(lock->Remove().ok());
  EXPECT_FALSE(Exists(LockPath(tmp.path(), "cid")));
  EXPECT_TRUE(lock->Remove().ok());  // once released, nothing more to do
  auto again = ContainerLock::TryAcquire(tmp.path(), "cid");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->has_value());
}

TEST(ContainerLockTest, TryAcquireReportsABusyContainerWithoutWaiting) {
  TempDir tmp;
  auto held = ContainerLock::Acquire(tmp.path(), "cid");
  ASSERT_TRUE(held.ok());
  std::atomic<bool> busy{false};
  std::thread other([&] {
    auto attempt = ContainerLock::TryAcquire(tmp.path(), "cid");
    busy = attempt.ok() && !attempt->has_value();
  });
  other.join();
  EXPECT_TRUE(busy);
  auto other_container = ContainerLock::TryAcquire(tmp.path(), "other");
  ASSERT_TRUE(other_container.ok());
  EXPECT_TRUE(other_container->has_value());
}

// The unlink-while-another-waits race: holders remove the file on release while others
// wait on it. Every holder must be alone, and no file may remain once all are done.
TEST(ContainerLockTest, HoldersStayAloneWhileEachRemovesTheFileOnRelease) {
  TempDir tmp;
  constexpr int kThreads = 8;
  constexpr int kRounds = 200;
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        auto lock = ContainerLock::Acquire(tmp.path(), "shared");
        if (!lock.ok()) {
          ++errors;
          continue;
        }
        int now = ++inside;
        int seen = most_inside.load();
        while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
        if (!lock->Remove().ok()) ++errors;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(most_inside, 1);
  EXPECT_FALSE(Exists(LockPath(tmp.path(), "shared")));
}

// A multus of the previous version opens the same path and flocks it without checking that
// the file is still there afterwards: while one waits, Remove must keep the file, or that
// process would run alongside the next caller on a fresh file.
TEST(ContainerLockTest, RemoveKeepsTheFileWhileAnOldStyleWaiterWaitsOnIt) {
  TempDir tmp;
  auto lock = ContainerLock::Acquire(tmp.path(), "cid");
  ASSERT_TRUE(lock.ok());
  const std::string path = LockPath(tmp.path(), "cid");
  // The old binary: open, then a blocking flock, no re-check. util-linux flock(1) does just
  // that, and exec drops our own (close-on-exec) lock descriptor from the child.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/usr/bin/flock", "flock", path.c_str(), "true", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Until the child's flock call is queued, /proc/locks shows no waiter.
  bool waiting = false;
  for (int i = 0; i < 500 && !waiting; ++i) {
    std::ifstream locks("/proc/locks");
    for (std::string line; std::getline(locks, line);) {
      if (line.find("-> FLOCK") != std::string::npos &&
          line.find(" " + std::to_string(pid) + " ") != std::string::npos) {
        waiting = true;
      }
    }
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!waiting) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    GTEST_SKIP() << "/proc/locks does not list flock waiters here";
  }
  ASSERT_TRUE(lock->Remove().ok());
  EXPECT_TRUE(Exists(path)) << "removed while an old-style process waited on it";
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The next holder, alone, removes it.
  auto next = ContainerLock::Acquire(tmp.path(), "cid");
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->Remove().ok());
  EXPECT_FALSE(Exists(path));
}

TEST(ContainerLockTest, RefusesASymlinkPlantedAtTheLockPath) {
  TempDir tmp;
  const std::string victim = tmp.path() + "/victim";
  std::filesystem::create_directories(tmp.path() + "/locks");
  ASSERT_EQ(::symlink(victim.c_str(), LockPath(tmp.path(), "cid").c_str()), 0);
  auto lock = ContainerLock::Acquire(tmp.path(), "cid");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), code::kIoFailure);
  EXPECT_NE(lock.status().msg().find("cannot open lock file"), std::string::npos);
  EXPECT_FALSE(Exists(victim)) << "the lock followed the symlink";
}

TEST(CacheLockTest, AcquireCreatesLockFileAndHoldsItUntilDestroyed) {
  TempDir tmp;
  const std::string cni_dir = tmp.path() + "/multus";
  const std::string path = LockPath(cni_dir, "cid1");
  {
    auto lock = ContainerLock::Acquire(cni_dir, "cid1");
    ASSERT_TRUE(lock.ok()) << lock.status().msg();
    EXPECT_EQ(ModeOf(cni_dir + "/locks"), 0700u);
    EXPECT_EQ(ModeOf(path), 0600u);
    EXPECT_TRUE(IsLocked(path));

    // Moving keeps one holder; the moved-from object releases nothing.
    ContainerLock moved = std::move(lock).value();
    EXPECT_TRUE(IsLocked(path));
  }
  EXPECT_FALSE(IsLocked(path));
}

TEST(CacheLockTest, DifferentContainersDoNotConflict) {
  TempDir tmp;
  auto a = ContainerLock::Acquire(tmp.path(), "a");
  ASSERT_TRUE(a.ok());
  auto b = ContainerLock::Acquire(tmp.path(), "b");  // would deadlock if they conflicted
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(IsLocked(LockPath(tmp.path(), "a")));
  EXPECT_TRUE(IsLocked(LockPath(tmp.path(), "b")));
}

TEST(CacheLockTest, SecondAcquireInAnotherThreadWaitsForRelease) {
  TempDir tmp;
  std::atomic<bool> released{false};
  std::atomic<bool> second_saw_release{false};
  auto first = ContainerLock::Acquire(tmp.path(), "cid");
  ASSERT_TRUE(first.ok());
  std::thread second([&] {
    auto lock = ContainerLock::Acquire(tmp.path(), "cid");
    second_saw_release = lock.ok() && released.load();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  released = true;
  { ContainerLock drop = std::move(first).value(); }
  second.join();
  EXPECT_TRUE(second_saw_release);
}

TEST(CacheLockTest, LockHeldByAnotherProcessBlocksUs) {
  TempDir tmp;
  int to_parent[2], to_child[2];
  ASSERT_EQ(::pipe(to_parent), 0);
  ASSERT_EQ(::pipe(to_child), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(to_parent[0]);
    ::close(to_child[1]);
    auto lock = ContainerLock::Acquire(tmp.path(), "cid");
    const char ok = lock.ok() ? 'L' : 'E';
    if (::write(to_parent[1], &ok, 1) != 1) ::_exit(2);
    char c;
    while (::read(to_child[0], &c, 1) > 0) {
    }  // hold the lock until the parent closes its end
    ::_exit(0);
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  char got = 0;
  ASSERT_EQ(::read(to_parent[0], &got, 1), 1);
  EXPECT_EQ(got, 'L');
  EXPECT_TRUE(IsLocked(LockPath(tmp.path(), "cid")));
  ::close(to_child[1]);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  ::close(to_parent[0]);
  EXPECT_FALSE(IsLocked(LockPath(tmp.path(), "cid")));
  auto ours = ContainerLock::Acquire(tmp.path(), "cid");
  EXPECT_TRUE(ours.ok());
}

}  // namespace
}  // namespace multus
