#include "tools/reward_flags.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "games/registry.h"
#include "tools/command.h"

DEFINE_string(reward, "",
              "A reward spec of the game's menu (tictactoe and connect4: "
              "rules, no_diagonals, quick; othello: rules, discs, corners). "
              "az match: the spec the games are played and scored by "
              "(default rules). az gap: the spec whose exact values are the "
              "ground truth (default: a run's own reward, as RUN/config "
              "records it, else rules); for a spec other than the rules the "
              "report adds the inner/outer/total decomposition against the "
              "rules.");

namespace az {

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
