#include "selfplay/game_record.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "glog/logging.h"

namespace az::selfplay {

void AssignTerminalRewards(const Game& game, GameRecord* record) {
  CHECK_EQ(record->moves.size(), record->positions.size());
  CHECK(record->outcome != GameOutcome::kOngoing)
      << "rewards exist only for finished games";
  // Replay to know who was to move at each ply (passes make parity unsafe)
  // and to reach the final state the spec pays for.
  std::unique_ptr<State> state = game.NewInitialState();
  std::vector<Player> to_move(record->moves.size());
  for (size_t i = 0; i < record->moves.size(); ++i) {
    to_move[i] = state->ToMove();
    state->Apply(record->moves[i]);
  }
  CHECK(state->IsTerminal() && state->Outcome() == record->outcome)
      << "the moves do not end the game as the record says";
  const TerminalReward first = state->Reward(Player::kFirst);
  for (size_t i = 0; i < record->moves.size(); ++i) {
    record->positions[i].z =
        to_move[i] == Player::kFirst ? first : first.ForOpponent();
  }
  record->reward = game.RewardSpec().name;
  record->verdict = state->Verdict();
}

int64_t GameRecord::PositionsPastVerdict() const {
  if (!verdict.decided()) return 0;
  return std::max<int64_t>(
      0, static_cast<int64_t>(positions.size()) - verdict.ply);
}

bool RewardDisagreesWithVerdict(const GameRecord& record) {
  if (record.positions.empty()) return false;
  if (!record.verdict.decided()) return true;
  // positions[0] is the first player's, whose reward and verdict compare.
  const TerminalReward paid = record.positions[0].z;
  const TerminalReward meant = RewardFor(record.verdict.outcome, Player::kFirst);
  return paid.is_win() != meant.is_win() || paid.is_loss() != meant.is_loss();
}

}  // namespace az::selfplay
