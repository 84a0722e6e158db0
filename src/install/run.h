// The multus-install program, callable from tests.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace multus::install {

// Exit codes.
inline constexpr int kExitOk = 0;     // installed (--oneshot), or stopped by a signal
inline constexpr int kExitFatal = 1;  // a fatal error, explained on the log stream
inline constexpr int kExitUsage = 2;  // bad flags

// Runs multus-install with `args` (without the program name) and `env`. --help and --version go
// to `out`; the log goes to `log` (through multus/log.h, so `log` must outlive the process's
// logging). Unless --oneshot, keeps watching until SIGTERM/SIGINT/SIGHUP.
int Run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
        std::ostream& out, std::ostream& log);

}  // namespace multus::install
