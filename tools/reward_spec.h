// --reward as the commands read it: which spec of the game's menu
// (games/reward.h) `az match` plays and scores its games by, which spec's
// exact values `az gap` measures against. The flag itself is a common one
// (common_flags.cc), shared with az train's fixed reward; a file of its own
// here, not a *_flags.cc group, since it defines no flag.
#pragma once

#include <gflags/gflags.h>

#include <string>

#include "absl/status/statusor.h"
#include "games/game.h"

DECLARE_string(reward);

namespace az {

// FLAGS_reward where the command line set it, else "" (az gap: the run's
// own reward, else the rules).
std::string RewardFlagIfSet();

// `game` played by the reward spec `spec` ("" or "rules": the rules
// themselves). A spec not on the game's menu is a usage error in one line
// naming --reward and the game's specs.
absl::StatusOr<const Game*> GameWithReward(const Game& game,
                                           const std::string& spec);

}  // namespace az
