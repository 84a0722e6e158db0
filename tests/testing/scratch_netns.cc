#include "testing/scratch_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace multus::test {

ScratchNetns::ScratchNetns() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid == 0) {
    // Only async-signal-safe calls in the child of a (possibly) multithreaded process.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    char ok = ::unshare(CLONE_NEWNET) == 0 ? '1' : '0';
    (void)!::write(fds[1], &ok, 1);
    for (;;) ::pause();
  }
  ::close(fds[1]);
  char ok = '0';
  if (::read(fds[0], &ok, 1) != 1) ok = '0';
  ::close(fds[0]);
  pid_ = pid;
  if (ok == '1') path_ = "/proc/" + std::to_string(pid) + "/ns/net";
}

void ScratchNetns::Close() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace multus::test
