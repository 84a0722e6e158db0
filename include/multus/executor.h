// Running a plugin binary: the only seam between multus and process creation.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "multus/status.h"

namespace multus {

struct ExecRequest {
  std::string path;              // absolute path of the plugin binary
  std::vector<std::string> env;  // complete environment, "K=V"
  std::string stdin_data;
  std::chrono::milliseconds timeout{60000};
};

struct ExecOutcome {
  int exit_code = -1;  // -1 when killed by a signal or the deadline
  bool timed_out = false;
  std::string stdout_data;
  std::string stderr_data;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs the binary to completion (or the deadline, then kills it). A plugin that fails is
  // an ExecOutcome with a non-zero exit code; an error status means it could not be started
  // (code 5).
  virtual Result<ExecOutcome> Run(const ExecRequest& request) = 0;
};

// Plugins run inside another root (multus-daemon's chrootDir: the host's / mounted in its
// container). posix_spawn cannot chroot, so `launcher` (the daemon's own binary) is started
// with kExecInRootFlag, and it chroots and execs the plugin (ExecInRoot).
struct ExecRoot {
  std::string dir;       // empty: plugins run in our own root
  std::string launcher;  // absolute path of a binary whose main calls ExecInRoot
};

inline constexpr char kExecInRootFlag[] = "--exec-in-root";

// posix_spawn with pipes; retries "text file busy" (a binary being replaced) a few times.
std::unique_ptr<Executor> MakeProcessExecutor(ExecRoot root = {});

// The launcher's side: `<launcher> --exec-in-root <dir> <plugin>`: chroot(dir), chdir("/"),
// exec the plugin (its path inside `dir`) with our environment. Never returns: on failure
// it says why on stderr and _exits 127 (no plugin) or 126, running no exit handlers (inside
// the root there is no /proc, and a sanitizer's leak check at exit spun there forever).
[[noreturn]] void ExecInRoot(const char* dir, const char* plugin);

}  // namespace multus
