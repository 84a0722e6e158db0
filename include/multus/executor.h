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

// posix_spawn with pipes; retries "text file busy" (a binary being replaced) a few times.
std::unique_ptr<Executor> MakeProcessExecutor();

}  // namespace multus
