// For in-process tests of the subcommands' library functions: how a status
// they return ends the command (ExitCode() with stderr captured), so that a
// test can check the exit code and the one line `az NAME: ...` that the
// binary would print, without spawning it.
#pragma once

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tools/command.h"

namespace az::testing {

struct CommandExit {
  int code = 0;     // what ExitCode() returned
  std::string err;  // what it printed on stderr
};

inline CommandExit ExitOf(const std::string& command,
                          const absl::Status& status) {
  ::testing::internal::CaptureStderr();
  CommandExit exit;
  exit.code = ExitCode(command, status);
  exit.err = ::testing::internal::GetCapturedStderr();
  return exit;
}

// What ExpectOneLineError() checks of the binary, for a status: exit code
// `code` (2 by default; kAnyFailure, -1, for any of 1 to 127) and exactly
// one line "az COMMAND: ..." that contains `fragment`.
inline void ExpectOneLineExit(const std::string& command,
                              const absl::Status& status,
                              const std::string& fragment, int code = 2) {
  const CommandExit exit = ExitOf(command, status);
  if (code < 0) {
    EXPECT_GE(exit.code, 1) << exit.err;
    EXPECT_LE(exit.code, 127) << exit.err;
  } else {
    EXPECT_EQ(exit.code, code) << exit.err;
  }
  EXPECT_TRUE(absl::StartsWith(exit.err, "az " + command + ": ")) << exit.err;
  EXPECT_TRUE(absl::StrContains(exit.err, fragment))
      << exit.err << " lacks " << fragment;
  EXPECT_EQ(std::count(exit.err.begin(), exit.err.end(), '\n'), 1) << exit.err;
}

}  // namespace az::testing
