// The multus-daemon program, callable from tests: flags, daemon-config.json, the socket and
// metrics servers, the multus config, and the drain on SIGTERM/SIGINT.
#pragma once

#include <string>
#include <vector>

#include "multus/cni_env.h"

namespace multus::daemon {

inline constexpr int kExitOk = 0;     // stopped by a signal after draining, or --uninstall done
inline constexpr int kExitFatal = 1;  // bad flags or config, or the socket cannot be served

// Runs the daemon with `args` (without the program name) until SIGTERM or SIGINT. Flags:
// -config/--config <path> (default kDefaultConfigPath), --uninstall, --help, --version.
int Run(const std::vector<std::string>& args, const EnvMap& env);

}  // namespace multus::daemon
