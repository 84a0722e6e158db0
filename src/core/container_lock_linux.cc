// The per-container flock (multus/container_lock.h): the only file that locks.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include "multus/container_lock.h"
#include "multus/file_io.h"

namespace multus {
namespace {

constexpr mode_t kFileMode = 0600;

// True when `fd` (locked by us) is still the file at `path`: not removed (and maybe
// recreated) by the previous holder while we waited.
bool StillNamedBy(int fd, const std::string& path) {
  struct stat held, named;
  if (::fstat(fd, &held) != 0 || ::lstat(path.c_str(), &named) != 0) return false;
  return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

// True when /proc/locks lists a process waiting for a flock on this file. Only a multus of an
// older version, which does not re-check StillNamedBy, could be hurt by its removal. When
// /proc/locks cannot be read the answer is no: only that old waiter is at risk, and only
// while a node switches versions.
bool OthersWait(int fd) {
  struct stat held;
  if (::fstat(fd, &held) != 0) return false;
  char id[64];
  std::snprintf(id, sizeof(id), " %02x:%02x:%llu ", major(held.st_dev), minor(held.st_dev),
                static_cast<unsigned long long>(held.st_ino));
  std::ifstream locks("/proc/locks");
  for (std::string line; std::getline(locks, line);) {
    if (line.find("-> FLOCK") != std::string::npos && line.find(id) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// One attempt: open (never through a symlink), flock, and check the file is still the one
// at `path`. nullopt: busy (non-blocking) or replaced meanwhile (retry).
Result<std::optional<int>> LockOnce(const std::string& path, bool wait) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kFileMode);
  if (fd < 0) return IoError("cannot open lock file", path, errno);
  int rc;
  while ((rc = ::flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return std::optional<int>();
    return IoError("cannot lock", path, err);
  }
  if (!StillNamedBy(fd, path)) {
    ::close(fd);
    return std::optional<int>();
  }
  return std::optional<int>(fd);
}

}  // namespace

Result<ContainerLock> ContainerLock::Acquire(std::string_view cni_dir,
                                             std::string_view container_id) {
  std::string path = LockPath(cni_dir, container_id);
  RETURN_IF_ERROR(MakeDirs(DirName(path)));
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<int> fd, LockOnce(path, /*wait=*/true));
    if (fd) return ContainerLock(*fd, std::move(path));
  }
}

Result<std::optional<ContainerLock>> ContainerLock::TryAcquire(std::string_view cni_dir,
                                                               std::string_view container_id) {
  std::string path = LockPath(cni_dir, container_id);
  RETURN_IF_ERROR(MakeDirs(DirName(path)));
  // A file removed between our open and flock means its holder just finished: one more try.
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<int> fd, LockOnce(path, /*wait=*/false));
    if (fd) return std::optional<ContainerLock>(ContainerLock(*fd, std::move(path)));
  }
  return std::optional<ContainerLock>();
}

ContainerLock::ContainerLock(ContainerLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

ContainerLock& ContainerLock::operator=(ContainerLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

ContainerLock::~ContainerLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

Status ContainerLock::Remove() {
  if (fd_ < 0) return OkStatus();
  Status removed;
  // Unlinked while held, so no newcomer can lock this inode and believe it current.
  if (!OthersWait(fd_) && ::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    removed = IoError("cannot remove lock file", path_, errno);
  }
  ::close(std::exchange(fd_, -1));
  return removed;
}

}  // namespace multus
