#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "multus/app.h"
#include "multus/executor.h"
#include "multus/log.h"
#include "multus/platform.h"

// POSIX has the program declare it; glibc's <unistd.h> does too, but only with _GNU_SOURCE.
extern char** environ;  // NOLINT(readability-redundant-declaration)

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a plugin exiting early must not kill us while we write its stdin
  // The one helper thread (an ADD's events, BackgroundEvents) would otherwise map a 128 MB
  // malloc arena of its own for a few allocations: one arena is plenty for a short-lived process.
  mallopt(M_ARENA_MAX, 1);
  // The heap grows in 1 MiB steps and is never trimmed: a call's few hundred kB otherwise
  // cost about 15 brk calls (128 kB steps, and trims after frees). Pages never touched are
  // not resident, so this costs no memory.
  mallopt(M_TOP_PAD, 1 << 20);
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
  multus::EnvMap env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  std::string input;
  if (env.count("CNI_COMMAND") && env["CNI_COMMAND"] != "VERSION" && !isatty(STDIN_FILENO)) {
    // One byte more than the limit is enough for Run to refuse it; the rest is never read.
    char buffer[65536];
    ssize_t n;
    while (input.size() <= multus::kMaxStdinBytes &&
           (n = read(STDIN_FILENO, buffer, sizeof(buffer))) != 0) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      input.append(buffer, static_cast<size_t>(n));
    }
  }
  auto executor = multus::MakeProcessExecutor();
  auto netns = multus::MakeLinuxPodNetns();
  auto clock = multus::MakeSystemClock();
  multus::Deps deps;
  deps.executor = executor.get();
  deps.netns = netns.get();
  deps.clock = clock.get();
  deps.configure_log = multus::log::Configure;
  std::string out, err;
  int exit_code =
      multus::Run(std::vector<std::string>(argv, argv + argc), env, input, out, err, deps);
  std::cout << out << std::flush;
  std::cerr << err << std::flush;
  multus::log::Flush();
  return exit_code;
}
