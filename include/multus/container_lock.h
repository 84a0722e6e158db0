// Per-container serialization: an exclusive flock on <cniDir>/locks/<containerID>.lock.
// Calls for one container never interleave; calls for different containers never wait on
// each other. The lock file lives only as long as the container: the DEL that removes the
// container's plan removes it too (Remove), so nothing per container outlives its pod.
//
// Removing a file others may be waiting on is safe because every acquirer re-checks, once it
// holds the lock, that the path still names the very file it locked; a waiter that locked a
// removed file drops it and starts over (docs/cache-format.md, "Locks").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "multus/status.h"

namespace multus {

class ContainerLock {
 public:
  // Blocks until the container's lock is held. Code 5 if the lock file cannot be created or
  // opened (a symlink planted at its path is refused, never followed).
  static Result<ContainerLock> Acquire(std::string_view cni_dir, std::string_view container_id);
  // Like Acquire, but nullopt at once when another call holds the lock (GC never waits).
  static Result<std::optional<ContainerLock>> TryAcquire(std::string_view cni_dir,
                                                         std::string_view container_id);

  ContainerLock(ContainerLock&& other) noexcept;
  ContainerLock& operator=(ContainerLock&& other) noexcept;
  ContainerLock(const ContainerLock&) = delete;
  ContainerLock& operator=(const ContainerLock&) = delete;
  ~ContainerLock();  // releases the lock; the file stays

  // Removes the lock file, then releases the lock: for the last call of a container (its
  // DEL). The file is kept while a process of an older multus version, which would not
  // re-check, waits on it; the next holder (or GC) removes it then. Code 5 if unlink fails.
  Status Remove();

 private:
  ContainerLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// The lock file of a container: <cniDir>/locks/<containerID>.lock.
std::string LockPath(std::string_view cni_dir, std::string_view container_id);

}  // namespace multus
