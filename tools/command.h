// The subcommands of the `az` binary. Each subcommand lives in its own file
// (tools/NAME_command.cc), defines its gflags there, and registers itself with
// AZ_REGISTER_COMMAND; `az help NAME` lists exactly the flags of that file.
// Its run function is short: the prologue below, the flags turned into plain
// options, a call into the library az_tools (tools/*.cc besides the command
// files, testable in-process), the output, and ExitCode for the status.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "games/game.h"

namespace az {

// Exit codes, the same for every subcommand: a wrong command line (bad
// flag value, unknown game, stray argument) exits 2, a failure while
// running (a file that cannot be read or written, a corrupt checkpoint, a
// failed search) exits 1.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// An error in how the command was called: InvalidArgument, marked so that
// ExitCode() exits 2 with it.
absl::Status UsageError(absl::string_view message);
// `status` (not OK) marked as a usage error, its code and message kept.
absl::Status AsUsageError(absl::Status status);
bool IsUsageError(const absl::Status& status);

// How a subcommand ends: OK exits 0; otherwise one line, "az NAME: message"
// on stderr, and kExitUsage for usage errors, kExitFailure for the rest.
int ExitCode(absl::string_view command, const absl::Status& status);

// What every subcommand checks first: no positional argument after its
// name (args[0]) and a --game that names a known game. Both are usage
// errors.
absl::StatusOr<const Game*> GameOfCommandLine(
    const std::vector<std::string>& args);
// The positional-argument check alone, for the commands without --game.
absl::Status NoPositionalArguments(const std::vector<std::string>& args);

struct Command {
  std::string name;     // "solve"
  std::string summary;  // one line for `az help`
  std::string usage;    // "az solve --game=G --positions=FILE [--check]"
  // Runs with the positional arguments left after flag parsing (argv[0] is
  // the subcommand's name). Returns the process exit code.
  int (*run)(const std::vector<std::string>& args);
  // The source file that defines the command's flags (set by the macro).
  std::string flags_file;
  // Shared groups of flags the command reads: "search" for the flags of
  // tools/search_flags.cc, "network" for tools/network_flags.cc.
  std::vector<std::string> flag_groups;
};

// Adds a command to the registry; used through AZ_REGISTER_COMMAND.
bool RegisterCommand(Command command);
const std::vector<Command>& Commands();
const Command* FindCommand(const std::string& name);

}  // namespace az

#define AZ_REGISTER_COMMAND(ident, name, summary, usage, run)              \
  static const bool az_command_registered_##ident = ::az::RegisterCommand( \
      ::az::Command{name, summary, usage, run, __FILE__, {}})

// The same for a command that also reads shared flag groups, e.g.
// AZ_REGISTER_COMMAND_WITH_FLAGS(..., az::RunAnalyze, "search", "network").
#define AZ_REGISTER_COMMAND_WITH_FLAGS(ident, name, summary, usage, run, ...) \
  static const bool az_command_registered_##ident = ::az::RegisterCommand(    \
      ::az::Command{name, summary, usage, run, __FILE__, {__VA_ARGS__}})
