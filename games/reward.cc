#include "games/reward.h"

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

std::string TerminalReward::ToString() const {
  return value_ > 0 ? "win" : value_ < 0 ? "loss" : "draw";
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

}  // namespace az
