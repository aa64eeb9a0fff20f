#include "selfplay/game_record.h"

#include <memory>

#include "glog/logging.h"

namespace az::selfplay {

void AssignTerminalRewards(const Game& game, GameRecord* record) {
  CHECK_EQ(record->moves.size(), record->positions.size());
  CHECK(record->outcome != GameOutcome::kOngoing)
      << "rewards exist only for finished games";
  // Replay to know who was to move at each ply (passes make parity unsafe).
  std::unique_ptr<State> state = game.NewInitialState();
  for (size_t i = 0; i < record->moves.size(); ++i) {
    record->positions[i].z = RewardFor(record->outcome, state->ToMove());
    state->Apply(record->moves[i]);
  }
}

}  // namespace az::selfplay
