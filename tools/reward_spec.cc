#include "tools/reward_spec.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "games/registry.h"
#include "tools/command.h"

namespace az {

std::string RewardFlagIfSet() {
  return gflags::GetCommandLineFlagInfoOrDie("reward").is_default
             ? ""
             : FLAGS_reward;
}

absl::StatusOr<const Game*> GameWithReward(const Game& game,
                                           const std::string& spec) {
  if (spec.empty() || spec == kRulesSpec) {
    return FindGameWithReward(game.Name(), kRulesSpec);
  }
  absl::StatusOr<const Game*> found = FindGameWithReward(game.Name(), spec);
  if (!found.ok()) {
    return UsageError(absl::StrCat("--reward=", spec, ": ", game.Name(),
                                   " has no such reward spec (its specs: ",
                                   absl::StrJoin(RewardSpecNames(game), ", "),
                                   ")"));
  }
  return found;
}

}  // namespace az
