#include <signal.h>

#include "daemon.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a client or plugin going away must not kill the daemon
  multus::EnvMap env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return multus::daemon::Run(std::vector<std::string>(argv + 1, argv + argc), env);
}
