// What a finished self-play game leaves behind for training and evaluation.
//
// Every searched position keeps the triple the project is about, apart and
// named for what each is: `v`, the raw network value (a learned estimate);
// `q`, the root search value (estimates mixed with rewards found in the
// tree); and `z`, the terminal reward the game actually produced for the
// side to move at that position (the rules' verdict).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "games/game.h"
#include "games/reward.h"

namespace az::selfplay {

struct PositionRecord {
  // Root visit counts of the search at this position, by action.
  std::vector<std::pair<Action, uint32_t>> visits;
  float v = 0.0f;  // raw evaluator value at the root, side to move, [-1, 1]
  float q = 0.0f;  // root search value, side to move, [-1, 1]
  // The reward the finished game gave the side to move here.
  TerminalReward z = TerminalReward::Draw();
  // Whether this move got the full search of self-play. With playout-cap
  // randomization most moves get a quick search instead: they are played
  // and kept in the record (the game needs them), but their few visits are
  // no policy target, so training skips them.
  bool full_search = true;
};

// Where a game was played, when not in this process: the actor process
// that sent it and the number it gave the game (1, 2, ...). A learner keeps
// each (actor, seq) once, so a game sent twice after a fault is stored once.
struct GameOrigin {
  std::string actor;  // empty: played by this run's own actors
  uint64_t seq = 0;
};

struct GameRecord {
  std::string game;            // registry name
  std::vector<Action> moves;   // every move played, from the initial state
  GameOutcome outcome = GameOutcome::kOngoing;  // how the game ended
  // positions[i] is the search before moves[i] (the same length as moves).
  std::vector<PositionRecord> positions;
  int64_t weights_version = 0;  // network version that played the first move
  uint64_t seed = 0;            // seed of the game's randomness
  GameOrigin origin;
};

// Fills every position's z from the record's outcome: the reward for the
// player to move at that ply (the only place a record turns an outcome into
// rewards; it goes through games/reward.h).
void AssignTerminalRewards(const Game& game, GameRecord* record);

}  // namespace az::selfplay
