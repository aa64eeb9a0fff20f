// Random but valid game records for the record and replay-buffer tests: legal
// random games with made-up visits, v and q, and the rewards of the outcome.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/random.h"
#include "games/game.h"
#include "glog/logging.h"
#include "selfplay/game_record.h"

namespace az::selfplay::testing {

// Plays random legal moves to the end (or `max_moves`, leaving the game
// unfinished, z then all draws).
inline GameRecord RandomGameRecord(const Game& game, uint64_t seed,
                                   int max_moves = 1 << 30) {
  base::Rng rng(seed);
  GameRecord record;
  record.game = game.Name();
  record.seed = seed;
  record.weights_version = static_cast<int64_t>(seed % 1000) - 3;
  std::unique_ptr<State> state = game.NewInitialState();
  while (!state->IsTerminal() &&
         static_cast<int>(record.moves.size()) < max_moves) {
    std::vector<Action> legal = state->LegalActions();
    PositionRecord position;
    for (Action a : legal) position.visits.push_back({a, rng.Below(1000)});
    position.v = static_cast<float>(rng.Uniform() * 2 - 1);
    position.q = static_cast<float>(rng.Uniform() * 2 - 1);
    const Action move = legal[rng.Below(legal.size())];
    record.moves.push_back(move);
    record.positions.push_back(position);
    state->Apply(move);
  }
  record.outcome = state->Outcome();
  if (record.outcome != GameOutcome::kOngoing) {
    AssignTerminalRewards(game, &record);
  }
  return record;
}

// A hand-made tic-tac-toe game that the first player wins on a diagonal
// (0, 4, 8) at ply 5 by the rules, played on under `no_diagonals` (which
// sees no line there) to a full board with no row or column: a draw. Under
// the rules game the same moves stop at ply 5.
inline std::vector<Action> DiagonalWinPlayedOn() {
  return {0, 1, 4, 2, 8, 5, 3, 6, 7};
}

// The record of `moves` played in `game` (empty searches), paid by it.
inline GameRecord RecordOfMoves(const Game& game,
                                const std::vector<Action>& moves) {
  GameRecord record;
  record.game = game.Name();
  std::unique_ptr<State> state = game.NewInitialState();
  for (Action a : moves) {
    CHECK(!state->IsTerminal() && state->IsLegal(a)) << a;
    record.moves.push_back(a);
    record.positions.emplace_back();
    state->Apply(a);
  }
  record.outcome = state->Outcome();
  if (record.outcome != GameOutcome::kOngoing) {
    AssignTerminalRewards(game, &record);
  }
  return record;
}

inline bool SameRecord(const GameRecord& a, const GameRecord& b) {
  if (a.game != b.game || a.reward != b.reward || a.verdict != b.verdict ||
      a.moves != b.moves || a.outcome != b.outcome ||
      a.weights_version != b.weights_version || a.seed != b.seed ||
      a.origin.actor != b.origin.actor || a.origin.seq != b.origin.seq ||
      a.positions.size() != b.positions.size()) {
    return false;
  }
  for (size_t i = 0; i < a.positions.size(); ++i) {
    const PositionRecord& p = a.positions[i];
    const PositionRecord& q = b.positions[i];
    if (p.visits != q.visits || p.v != q.v || p.q != q.q || p.z != q.z ||
        p.full_search != q.full_search) {
      return false;
    }
  }
  return true;
}

}  // namespace az::selfplay::testing
