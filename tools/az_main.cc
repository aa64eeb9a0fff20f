// The `az` binary: dispatches `az SUBCOMMAND [FLAGS] [ARGS]` to the
// subcommands registered in tools/*_command.cc, and implements `az help`.
// Before a subcommand runs, its command line is checked here: an unknown
// flag, a value that does not parse and a flag of another subcommand are
// usage errors (one line, exit 2) like those the subcommands report.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "tools/command.h"

namespace az {
namespace {

// Flags every subcommand may take (listed under every subcommand's help).
constexpr char kCommonFlagsFile[] = "tools/common_flags.cc";

bool IsCommandFlagsFile(const std::string& file) {
  return absl::StrContains(file, "tools/") &&
         absl::EndsWith(file, "_command.cc");
}

// A shared group's flags live in tools/GROUP_flags.cc.
std::string GroupFlagsFile(const std::string& group) {
  return "tools/" + group + "_flags.cc";
}

bool IsGroupFlagsFile(const std::string& file) {
  return absl::StrContains(file, "tools/") &&
         absl::EndsWith(file, "_flags.cc") &&
         !absl::EndsWith(file, kCommonFlagsFile);
}

bool SameFile(const std::string& a, const std::string& b) {
  // __FILE__ and gflags' filename may differ in their leading directories.
  auto tail = [](const std::string& f) {
    size_t pos = f.rfind("tools/");
    return pos == std::string::npos ? f : f.substr(pos);
  };
  return tail(a) == tail(b);
}

void PrintFlag(const gflags::CommandLineFlagInfo& flag) {
  std::printf("  --%s (%s; default %s)\n      %s\n", flag.name.c_str(),
              flag.type.c_str(),
              flag.default_value.empty() ? "\"\"" : flag.default_value.c_str(),
              flag.description.c_str());
}

void PrintOverview() {
  std::printf(
      "az: an AlphaZero-style self-play engine.\n\n"
      "usage: az SUBCOMMAND [--flag=value ...] [ARGS]\n\nsubcommands:\n");
  for (const Command& c : Commands()) {
    std::printf("  %-10s %s\n", c.name.c_str(), c.summary.c_str());
  }
  std::printf("  %-10s %s\n", "help",
              "describe a subcommand: az help SUBCOMMAND");
  std::printf("\nLogs go to stderr; --v=N shows debugging detail.\n");
}

int UnknownCommand(const std::string& name) {
  std::fprintf(stderr, "az: unknown subcommand '%s' (see 'az help')\n",
               name.c_str());
  return kExitUsage;
}

int PrintCommandHelp(const std::string& name) {
  const Command* command = FindCommand(name);
  if (command == nullptr) return UnknownCommand(name);
  std::printf("az %s: %s\n\nusage: %s\n", command->name.c_str(),
              command->summary.c_str(), command->usage.c_str());
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  bool any = false;
  for (const auto& flag : flags) {
    if (!SameFile(flag.filename, command->flags_file)) continue;
    if (!any) std::printf("\nflags:\n");
    any = true;
    PrintFlag(flag);
  }
  for (const std::string& group : command->flag_groups) {
    std::printf("\n%s flags:\n", group.c_str());
    for (const auto& flag : flags) {
      if (SameFile(flag.filename, GroupFlagsFile(group))) PrintFlag(flag);
    }
  }
  std::printf("\ncommon flags (where the subcommand uses them):\n");
  for (const auto& flag : flags) {
    if (SameFile(flag.filename, kCommonFlagsFile)) PrintFlag(flag);
  }
  return kExitOk;
}

// Checks the flags of `args` (the subcommand's arguments) before gflags
// parses them: gflags would print an unknown flag or an unreadable value in
// its own words and exit with 1. Here either is one line naming the
// subcommand and exit code 2, like every other usage error.
bool CheckFlagsParse(const Command& command,
                     const std::vector<std::string>& args) {
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "az %s: %s (see 'az help %s')\n",
                 command.name.c_str(), what.c_str(), command.name.c_str());
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;  // what follows is not flags
    if (arg.size() < 2 || arg[0] != '-') continue;
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    const size_t eq = name.find('=');
    const bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    gflags::CommandLineFlagInfo info;
    if (!gflags::GetCommandLineFlagInfo(name.c_str(), &info)) {
      // --noFLAG turns a boolean flag off.
      if (!has_value && absl::StartsWith(name, "no") &&
          gflags::GetCommandLineFlagInfo(name.c_str() + 2, &info) &&
          info.type == "bool") {
        continue;
      }
      return fail("unknown flag --" + name);
    }
    if (!has_value) {
      if (info.type == "bool") continue;
      // gflags also reads "--flag value".
      if (i + 1 == args.size()) return fail("--" + name + " needs a value");
      value = args[++i];
    }
    // Setting it now only checks the value; the parse below sets it again.
    if (gflags::SetCommandLineOption(name.c_str(), value.c_str()).empty()) {
      return fail("--" + name + "=" + value + " is not a valid " + info.type);
    }
  }
  return true;
}

// Rejects flags that belong to another subcommand, so that a misplaced flag
// is an error rather than silently ignored.
bool CheckFlagsBelongTo(const Command& command) {
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  for (const auto& flag : flags) {
    if (flag.is_default) continue;
    if (IsCommandFlagsFile(flag.filename)) {
      if (SameFile(flag.filename, command.flags_file)) continue;
    } else if (IsGroupFlagsFile(flag.filename)) {
      bool used = false;
      for (const std::string& group : command.flag_groups) {
        used = used || SameFile(flag.filename, GroupFlagsFile(group));
      }
      if (used) continue;
    } else {
      continue;  // common flags and those of libraries (glog's --v, ...)
    }
    std::fprintf(stderr,
                 "az %s: --%s is not a flag of this subcommand (see "
                 "'az help %s')\n",
                 command.name.c_str(), flag.name.c_str(), command.name.c_str());
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintOverview();
    return kExitUsage;
  }
  std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h" ||
      name == "--helpfull") {
    if (argc >= 3) return PrintCommandHelp(argv[2]);
    PrintOverview();
    return kExitOk;
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) return UnknownCommand(name);
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0)
      return PrintCommandHelp(name);
  }
  // gflags sees the subcommand's name as its program name.
  int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  gflags::SetUsageMessage(command->usage);
  if (!CheckFlagsParse(*command,
                       std::vector<std::string>(argv + 2, argv + argc))) {
    return kExitUsage;
  }
  gflags::ParseCommandLineFlags(&sub_argc, &sub_argv, /*remove_flags=*/true);
  if (!CheckFlagsBelongTo(*command)) return kExitUsage;
  google::InitGoogleLogging("az");
  std::vector<std::string> args(sub_argv, sub_argv + sub_argc);
  return command->run(args);
}

}  // namespace
}  // namespace az

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  return az::Main(argc, argv);
}
