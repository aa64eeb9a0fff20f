// Helpers shared by the test suites: where the test data and the `az` binary
// are, and a way to run `az` and capture what it prints.
#pragma once

#include <string>

namespace az::testing {

// tests/data in the source tree (AZ_TEST_DATA, set by ctest).
std::string TestDataDir();
// ../shared/data beside the checkout (AZ_SHARED_DATA, set by ctest).
std::string SharedDataDir();
// The az binary under test (AZ_BIN, set by ctest).
std::string AzBinary();

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `az ARGS` through the shell (ARGS is pasted as is), with `stdin_text`
// on its standard input.
CommandResult RunAz(const std::string& args, const std::string& stdin_text = "");

// The exit code ExpectOneLineError() accepts when any failure will do: a
// code from 1 to 127, an error rather than a crash or a signal.
constexpr int kAnyFailure = -1;

// Runs `az ARGS` and checks what the project promises for bad input: exit
// code `exit_code` (2, a usage error, by default), exactly one line on
// stderr that starts with "az " and contains `fragment`, and nothing on
// stdout. Returns the result for further checks.
CommandResult ExpectOneLineError(const std::string& args,
                                 const std::string& fragment,
                                 int exit_code = 2);

// Starts `az ARGS` in the background (through the shell, ARGS pasted as
// is), stdout and stderr appended to `log`; returns its pid.
int StartAzInBackground(const std::string& args, const std::string& log);
// Waits for a process started so: its exit code, or 128 + the signal that
// ended it.
int WaitForExit(int pid);

// The bytes of the file at `path` (empty if it cannot be read), and a
// plain overwrite of it: for tests that inspect or damage files.
std::string ReadFileBytes(const std::string& path);
void WriteFileBytes(const std::string& path, const std::string& bytes);

// Writes `contents` to a fresh file in the test's temporary directory and
// returns its path.
std::string WriteTempFile(const std::string& name, const std::string& contents);

}  // namespace az::testing
