// The subcommands of the `az` binary. Each subcommand lives in its own file
// (tools/NAME_command.cc), defines its gflags there, and registers itself with
// AZ_REGISTER_COMMAND; `az help NAME` lists exactly the flags of that file.
#pragma once

#include <string>
#include <vector>

namespace az {

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
