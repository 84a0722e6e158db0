#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "multus/unix_http.h"
#include "shim.h"
#include "shim_log.h"

// POSIX has the program declare it; glibc's <unistd.h> does too, but only with _GNU_SOURCE.
extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace {

void WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string_view::npos) env[std::string(entry.substr(0, eq))] = entry.substr(eq + 1);
  }
  std::string input;
  auto command = env.find("CNI_COMMAND");
  if (command != env.end() && command->second != "VERSION" && !isatty(STDIN_FILENO)) {
    // One byte more than the limit is enough for RunShim to refuse it.
    char buffer[65536];
    while (input.size() <= multus::shim::kMaxShimStdinBytes) {
      ssize_t n = read(STDIN_FILENO, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      input.append(buffer, static_cast<size_t>(n));
    }
  }
  auto client = multus::MakeUnixHttpClient();
  auto log = multus::shim::MakeLogger();
  multus::shim::ShimDeps deps;
  deps.client = client.get();
  deps.log = log.get();
  deps.now = [] { return std::chrono::steady_clock::now(); };
  deps.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  std::string out, err;
  int exit_code = multus::shim::RunShim(std::vector<std::string>(argv, argv + argc), env, input,
                                        out, err, deps);
  WriteAll(STDOUT_FILENO, out);
  WriteAll(STDERR_FILENO, err);
  return exit_code;
}
