// The only file that starts processes.
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "multus/executor.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace multus {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  bool Open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    read_end = fds[0];
    write_end = fds[1];
    return true;
  }
  void Close() {
    if (read_end >= 0) close(read_end);
    if (write_end >= 0) close(write_end);
    read_end = write_end = -1;
  }
};

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The file actions that make three descriptors a plugin's stdin, stdout and stderr. glibc
// checks both descriptors of every dup2 action against RLIMIT_NOFILE, one getrlimit syscall
// each: six per plugin. One call's plugins get pipes with the same numbers (the previous
// ones were closed), so each thread keeps its actions and rebuilds them only for new numbers.
class StdioActions {
 public:
  StdioActions() = default;
  StdioActions(const StdioActions&) = delete;
  StdioActions& operator=(const StdioActions&) = delete;
  ~StdioActions() { Reset(); }

  int Get(int in, int out, int err, const posix_spawn_file_actions_t*& actions) {
    std::array<int, 3> fds = {in, out, err};
    if (!ready_ || fds != fds_) {
      Reset();
      if (int rc = posix_spawn_file_actions_init(&actions_); rc != 0) return rc;
      ready_ = true;
      constexpr std::array<int, 3> kStdio = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
      for (size_t i = 0; i < fds.size(); ++i) {
        if (int rc = posix_spawn_file_actions_adddup2(&actions_, fds[i], kStdio[i]); rc != 0) {
          Reset();
          return rc;
        }
      }
      fds_ = fds;
    }
    actions = &actions_;
    return 0;
  }

 private:
  void Reset() {
    if (ready_) posix_spawn_file_actions_destroy(&actions_);
    ready_ = false;
  }

  posix_spawn_file_actions_t actions_{};
  std::array<int, 3> fds_ = {-1, -1, -1};
  bool ready_ = false;
};

thread_local StdioActions stdio_actions;

// Starts the plugin with the pipes as its stdin/stdout/stderr. posix_spawn (glibc: clone with
// CLONE_VM | CLONE_VFORK) does not copy our address space as fork would, and returns the
// exec's own errno. The pipes are O_CLOEXEC: the plugin keeps only the three copies.
// The plugin starts with no signal blocked and SIGPIPE at its default action, whatever the
// calling thread has: multus-daemon blocks SIGTERM/SIGINT/SIGHUP in every thread (it reads
// them from a signalfd) and ignores SIGPIPE; a plugin inheriting that could not be stopped.
int Spawn(const ExecRequest& request, const ExecRoot& root, const Pipe& in, const Pipe& out,
          const Pipe& err, pid_t& pid) {
  posix_spawnattr_t attributes;
  if (int rc = posix_spawnattr_init(&attributes); rc != 0) return rc;
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const posix_spawn_file_actions_t* actions = nullptr;
  int rc = stdio_actions.Get(in.read_end, out.write_end, err.write_end, actions);
  if (rc == 0) {
    std::vector<std::string> argv_strings = {request.path};
    if (!root.dir.empty()) argv_strings = {root.launcher, kExecInRootFlag, root.dir, request.path};
    std::vector<std::string> env_strings = request.env;
    std::vector<char*> argv = CStrings(argv_strings);
    std::vector<char*> envp = CStrings(env_strings);
    rc = posix_spawn(&pid, argv_strings[0].c_str(), actions, &attributes, argv.data(), envp.data());
  }
  posix_spawnattr_destroy(&attributes);
  return rc;
}

// Writes a config that fits in the empty pipe before the plugin starts (any pipe holds at
// least PIPE_BUF bytes, so the write cannot block): no poll for room, no non-blocking switch,
// two syscalls less per plugin. Returns the bytes written; the write end is closed when all are.
size_t PrefillStdin(const ExecRequest& request, Pipe& in) {
  if (request.stdin_data.size() > PIPE_BUF) return 0;
  ssize_t n = request.stdin_data.empty()
                  ? 0
                  : write(in.write_end, request.stdin_data.data(), request.stdin_data.size());
  if (n < 0) return 0;  // left to Pump, which sees the same error
  if (static_cast<size_t>(n) == request.stdin_data.size()) {
    close(in.write_end);
    in.write_end = -1;
  }
  return static_cast<size_t>(n);
}

// Pumps the rest of stdin in and stdout/stderr out until both outputs close or the deadline
// passes.
bool Pump(const ExecRequest& request, size_t written, Pipe& in, Pipe& out, Pipe& err,
          ExecOutcome& outcome) {
  Clock::time_point deadline = Clock::now() + request.timeout;
  if (in.write_end >= 0) fcntl(in.write_end, F_SETFL, O_NONBLOCK);
  char buffer[16384];
  while (out.read_end >= 0 || err.read_end >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[3] = {
        {in.write_end, POLLOUT, 0}, {out.read_end, POLLIN, 0}, {err.read_end, POLLIN, 0}};
    if (poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
    if (in.write_end >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in.write_end, request.stdin_data.data() + written,
                        request.stdin_data.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN) written = request.stdin_data.size();  // reader went away
      if (written == request.stdin_data.size()) {
        close(in.write_end);
        in.write_end = -1;
      }
    }
    for (int i = 1; i < 3; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Pipe& pipe = i == 1 ? out : err;
      std::string& sink = i == 1 ? outcome.stdout_data : outcome.stderr_data;
      ssize_t n = read(pipe.read_end, buffer, sizeof(buffer));
      if (n > 0) {
        // A runaway plugin must not make us hold gigabytes: keep draining, stop keeping. A
        // result cut here fails to decode, which is the error it deserves.
        constexpr size_t kMaxOutputBytes = 16 << 20;
        if (sink.size() < kMaxOutputBytes) sink.append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(pipe.read_end);
        pipe.read_end = -1;
      }
    }
  }
  return true;
}

class ProcessExecutor : public Executor {
 public:
  explicit ProcessExecutor(ExecRoot root) : root_(std::move(root)) {}

  Result<ExecOutcome> Run(const ExecRequest& request) override {
    // ETXTBSY: the binary is being written (e.g. an installer replacing it); wait and retry.
    for (int attempt = 0;; ++attempt) {
      int exec_errno = 0;
      Result<ExecOutcome> outcome = RunOnce(request, exec_errno);
      if (exec_errno != ETXTBSY || attempt >= 4) return outcome;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

 private:
  Result<ExecOutcome> RunOnce(const ExecRequest& request, int& exec_errno) {
    Pipe in, out, err;
    if (!in.Open() || !out.Open() || !err.Open()) {
      for (Pipe* p : {&in, &out, &err}) p->Close();
      return Status::IoFailure(std::string("cannot create pipes: ") + strerror(errno));
    }
    size_t written = PrefillStdin(request, in);
    pid_t pid = -1;
    exec_errno = Spawn(request, root_, in, out, err, pid);
    if (exec_errno != 0) {
      for (Pipe* p : {&in, &out, &err}) p->Close();
      return Status::IoFailure("cannot execute " + request.path + ": " + strerror(exec_errno));
    }
    close(in.read_end);
    close(out.write_end);
    close(err.write_end);
    in.read_end = out.write_end = err.write_end = -1;

    ExecOutcome outcome;
    outcome.timed_out = !Pump(request, written, in, out, err, outcome);
    if (outcome.timed_out) kill(pid, SIGKILL);
    int wait_status = 0;
    while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    for (Pipe* p : {&in, &out, &err}) p->Close();
    outcome.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    return outcome;
  }

  ExecRoot root_;
};

}  // namespace

std::unique_ptr<Executor> MakeProcessExecutor(ExecRoot root) {
  return std::make_unique<ProcessExecutor>(std::move(root));
}

void ExecInRoot(const char* dir, const char* plugin) {
  if (chroot(dir) != 0 || chdir("/") != 0) {
    std::fprintf(stderr, "cannot enter the plugins' root %s: %s\n", dir, strerror(errno));
    _exit(126);
  }
  char* argv[] = {const_cast<char*>(plugin), nullptr};
  execve(plugin, argv, environ);
  int exec_errno = errno;
  std::fprintf(stderr, "cannot execute %s in %s: %s\n", plugin, dir, strerror(exec_errno));
  _exit(exec_errno == ENOENT ? 127 : 126);
}

}  // namespace multus
