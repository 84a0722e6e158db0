#include <signal.h>

#include <cstring>

#include "daemon.h"
#include "multus/executor.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

int main(int argc, char** argv) {
  // A plugin started for a chrootDir (multus/executor.h): nothing else of the daemon runs.
  if (argc == 4 && std::strcmp(argv[1], multus::kExecInRootFlag) == 0) {
    multus::ExecInRoot(argv[2], argv[3]);
  }
  signal(SIGPIPE, SIG_IGN);  // a client or plugin going away must not kill the daemon
  multus::EnvMap env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return multus::daemon::Run(std::vector<std::string>(argv + 1, argv + argc), env);
}
