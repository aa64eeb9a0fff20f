#include "tests/test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace az::testing {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string TestDataDir() { return Env("AZ_TEST_DATA"); }
std::string SharedDataDir() { return Env("AZ_SHARED_DATA"); }
std::string AzBinary() {
  std::string bin = Env("AZ_BIN");
  if (bin.empty()) {
    // Run outside ctest: the binary sits one folder above the tests.
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
      std::string path(self, n);
      bin = path.substr(0, path.rfind('/')) + "/../az";
    }
  }
  if (access(bin.c_str(), X_OK) != 0) {
    ADD_FAILURE() << "the az binary is not at '" << bin << "' (set AZ_BIN)";
  }
  return bin;
}

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  return path;
}

int StartAzInBackground(const std::string& args, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string command =
        absl::StrCat("exec ", AzBinary(), " ", args, " >>", log, " 2>&1");
    ::execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

int WaitForExit(int pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

CommandResult RunAz(const std::string& args, const std::string& stdin_text) {
  static int counter = 0;
  std::string base =
      absl::StrCat(::testing::TempDir(), "/az_run_", getpid(), "_", counter++);
  std::string in = WriteTempFile(
      absl::StrCat("az_stdin_", getpid(), "_", counter), stdin_text);
  std::string command = absl::StrCat("'", AzBinary(), "' ", args, " <'", in,
                                     "' >'", base, ".out' 2>'", base, ".err'");
  int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFileBytes(base + ".out");
  result.err = ReadFileBytes(base + ".err");
  for (const std::string& path : {in, base + ".out", base + ".err"}) {
    std::remove(path.c_str());
  }
  return result;
}

CommandResult ExpectOneLineError(const std::string& args,
                                 const std::string& fragment, int exit_code) {
  SCOPED_TRACE("az " + args);
  CommandResult r = RunAz(args);
  if (exit_code == kAnyFailure) {
    EXPECT_GE(r.exit_code, 1) << r.err;
    EXPECT_LT(r.exit_code, 128) << r.err;
  } else {
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
  }
  // Log lines (glog's "I1122 ...") may come first: logs go to stderr.
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(r.err, '\n')) {
    if (line.size() > 1 && std::strchr("IW", line[0]) != nullptr &&
        absl::ascii_isdigit(line[1])) {
      continue;
    }
    lines.emplace_back(line);
  }
  // The error line, then the empty piece after its newline.
  EXPECT_EQ(lines.size(), 2u) << r.err;
  if (lines.size() == 2) {
    EXPECT_EQ(lines[1], "") << r.err;
    EXPECT_EQ(lines[0].rfind("az ", 0), 0u) << r.err;
    EXPECT_NE(lines[0].find(fragment), std::string::npos)
        << "expected \"" << fragment << "\" in: " << r.err;
  }
  EXPECT_EQ(r.out, "");
  return r;
}

}  // namespace az::testing
