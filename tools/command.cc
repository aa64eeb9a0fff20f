#include "tools/command.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "games/registry.h"
#include "tools/common_flags.h"

namespace az {
namespace {

// The payload that marks a status as a usage error.
constexpr absl::string_view kUsagePayload = "az.usage";

std::vector<Command>& Registry() {
  static auto* commands = new std::vector<Command>;
  return *commands;
}

}  // namespace

bool RegisterCommand(Command command) {
  auto& commands = Registry();
  commands.push_back(std::move(command));
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  return true;
}

const std::vector<Command>& Commands() { return Registry(); }

const Command* FindCommand(const std::string& name) {
  for (const Command& c : Registry()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

absl::Status UsageError(absl::string_view message) {
  return AsUsageError(absl::InvalidArgumentError(message));
}

absl::Status AsUsageError(absl::Status status) {
  if (!status.ok()) status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kUsagePayload).has_value();
}

int ExitCode(absl::string_view command, const absl::Status& status) {
  if (status.ok()) return kExitOk;
  std::fprintf(stderr, "az %s: %s\n", std::string(command).c_str(),
               std::string(status.message()).c_str());
  return IsUsageError(status) ? kExitUsage : kExitFailure;
}

absl::Status NoPositionalArguments(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    return UsageError(absl::StrCat("unexpected argument '", args[1], "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<const Game*> GameOfCommandLine(
    const std::vector<std::string>& args) {
  RETURN_IF_ERROR(NoPositionalArguments(args));
  absl::StatusOr<const Game*> game = FindGame(FLAGS_game);
  if (!game.ok()) return AsUsageError(game.status());
  return game;
}

}  // namespace az
