#include "games/reward.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include <glog/logging.h>

namespace az {

std::string OutcomeName(GameOutcome outcome) {
  switch (outcome) {
    case GameOutcome::kOngoing:
      return "ongoing";
    case GameOutcome::kFirstPlayerWins:
      return "first player wins";
    case GameOutcome::kSecondPlayerWins:
      return "second player wins";
    case GameOutcome::kDraw:
      return "draw";
  }
  return "invalid";
}

TerminalReward TerminalReward::Payoff(float value) {
  CHECK(value >= -1.0f && value <= 1.0f)
      << "a payoff outside [-1, 1]: " << value;
  return TerminalReward(value == 0.0f ? 0.0f : value);
}

std::string TerminalReward::ToString() const {
  if (value_ == 1.0f) return "win";
  if (value_ == -1.0f) return "loss";
  if (value_ == 0.0f) return "draw";
  return absl::StrCat(value_);
}

TerminalReward RewardFor(GameOutcome outcome, Player player) {
  switch (outcome) {
    case GameOutcome::kFirstPlayerWins:
      return player == Player::kFirst ? TerminalReward::Win()
                                      : TerminalReward::Loss();
    case GameOutcome::kSecondPlayerWins:
      return player == Player::kSecond ? TerminalReward::Win()
                                       : TerminalReward::Loss();
    case GameOutcome::kDraw:
      return TerminalReward::Draw();
    case GameOutcome::kOngoing:
      break;
  }
  LOG(FATAL) << "RewardFor() called on a game that has not ended";
  return TerminalReward::Draw();
}

std::string VerdictName(const IntendedVerdict& verdict) {
  if (!verdict.decided()) return OutcomeName(verdict.outcome);
  return absl::StrCat(OutcomeName(verdict.outcome), " at ply ", verdict.ply);
}

RewardSpecInfo RulesSpecInfo() {
  return {kRulesSpec, "the game's own rules: win +1, draw 0, loss -1", true};
}

TerminalReward QuickWinPayoff(int ply, int shortest_win_ply,
                              int longest_win_ply) {
  CHECK(shortest_win_ply < longest_win_ply && ply >= shortest_win_ply &&
        ply <= longest_win_ply)
      << "a win at ply " << ply << " outside [" << shortest_win_ply << ", "
      << longest_win_ply << "]";
  const float late = static_cast<float>(ply - shortest_win_ply) /
                     static_cast<float>(longest_win_ply - shortest_win_ply);
  return TerminalReward::Payoff(1.0f - (1.0f - kQuickWinFloor) * late);
}

}  // namespace az
