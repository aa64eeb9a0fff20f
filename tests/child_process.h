// Runs a piece of a test in a forked child with hard limits, for tests of
// code that, when broken, would exhaust memory, block for ever or abort:
// the child hits its limit instead of the machine, and the test reports how
// it ended rather than taking the whole suite down.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <string>

namespace az::testing {

// The exit code of a child whose body threw.
constexpr int kChildThrew = 70;

struct ChildOutcome {
  bool exited = false;  // ended by exit(), with exit_code
  int exit_code = -1;
  int signal = 0;  // else the signal that ended it

  bool ok() const { return exited && exit_code == 0; }
  std::string Describe() const {
    if (exited && exit_code == kChildThrew) return "threw an exception";
    if (exited) return "exited with code " + std::to_string(exit_code);
    std::string name = signal == SIGALRM   ? " (timed out)"
                       : signal == SIGABRT ? " (aborted)"
                       : signal == SIGKILL ? " (killed)"
                                           : "";
    return "killed by signal " + std::to_string(signal) + name;
  }
};

// Runs `body` in a child process whose address space may grow by at most
// `extra_address_space` bytes beyond the parent's current size and which is
// killed after `timeout_s` seconds. The child's exit code is what `body`
// returns (0 for success), or kChildThrew if it threw.
inline ChildOutcome RunInBoundedChild(const std::function<int()>& body,
                                      unsigned timeout_s = 20,
                                      size_t extra_address_space = size_t{1}
                                                                   << 30) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // The limit counts from what is mapped already (LibTorch maps a lot).
    size_t pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    const size_t current = pages * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    rlimit limit{current + extra_address_space, current + extra_address_space};
    ::setrlimit(RLIMIT_AS, &limit);
    ::alarm(timeout_s);
    int code = kChildThrew;
    // An exception must not unwind into the test framework, which would go
    // on running the rest of the suite in this child.
    try {
      code = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child threw: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "child threw\n");
    }
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(code);
  }
  ChildOutcome outcome;
  if (pid < 0) return outcome;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return outcome;
  }
  if (WIFEXITED(status)) {
    outcome.exited = true;
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
  }
  return outcome;
}

}  // namespace az::testing
