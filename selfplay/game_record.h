// What a finished self-play game leaves behind for training and evaluation.
//
// Every searched position keeps the triple the project is about, apart and
// named for what each is: `v`, the raw network value (a learned estimate);
// `q`, the root search value (estimates mixed with rewards found in the
// tree); and `z`, the terminal reward the game actually produced for the
// side to move at that position, under the reward spec the run trains on.
// Apart from all three, the record keeps the intended verdict: how the real
// rules judged the game, and at which ply they ended it (a game played
// under a proxy spec may go on past that ply).
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
  // The reward the finished game gave the side to move here, under the
  // record's reward spec (GameRecord::reward): +1/0/-1, or a graded payoff.
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
  // The reward spec the game was played and every z paid under (an entry of
  // the game's menu). Game::Name() is the same for every spec, so the spec
  // travels by name; records from before specs were paid by the rules.
  std::string reward = kRulesSpec;
  std::vector<Action> moves;   // every move played, from the initial state
  // How the game ended under `reward`'s spec.
  GameOutcome outcome = GameOutcome::kOngoing;
  // How the real rules judged the same moves, and the ply where they ended
  // the game (for a rules game: the outcome and the game's length).
  IntendedVerdict verdict;
  // positions[i] is the search before moves[i] (the same length as moves).
  std::vector<PositionRecord> positions;
  int64_t weights_version = 0;  // network version that played the first move
  uint64_t seed = 0;            // seed of the game's randomness
  GameOrigin origin;

  // Whether positions[ply] lies inside the real game: before the ply where
  // the rules ended it (every position while the rules have not).
  bool InRealGame(size_t ply) const {
    return !verdict.decided() || static_cast<int>(ply) < verdict.ply;
  }
  // The positions outside the real game (those a proxy spec played on).
  int64_t PositionsPastVerdict() const;
};

// Whether a finished game's reward disagrees with its intended verdict: the
// sign of z (win, draw or loss) for the side to move is not the result the
// rules gave that side, or the rules never ended the game. The specs are
// zero-sum, so one position speaks for all of a game's positions.
bool RewardDisagreesWithVerdict(const GameRecord& record);

// Fills in what a finished game pays, by replaying its moves in `game`
// (the run's spec): every position's z (the spec's reward for the player to
// move there), the record's reward spec name and its intended verdict. The
// only place a record turns a game into rewards; it goes through games/.
// The moves must end the game with the record's outcome (a programmer error
// otherwise).
void AssignTerminalRewards(const Game& game, GameRecord* record);

}  // namespace az::selfplay
