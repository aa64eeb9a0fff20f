#include "tools/command.h"

#include <algorithm>

namespace az {
namespace {

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

}  // namespace az
