// A fresh, empty network namespace for tests that need a real CNI_NETNS (ADD enters it to
// list links). It is held by a child process; path() is /proc/<pid>/ns/net. Needs root
// (CAP_SYS_ADMIN); otherwise path() is empty and the test should skip.
#pragma once

#include <sys/types.h>

#include <string>

namespace multus::test {

class ScratchNetns {
 public:
  ScratchNetns();
  ~ScratchNetns() { Close(); }
  ScratchNetns(const ScratchNetns&) = delete;
  ScratchNetns& operator=(const ScratchNetns&) = delete;

  const std::string& path() const { return path_; }
  // Destroys the namespace (the sandbox went away); path() stops existing.
  void Close();

 private:
  pid_t pid_ = -1;
  std::string path_;
};

}  // namespace multus::test
