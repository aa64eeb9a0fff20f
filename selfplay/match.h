// Matches: many games between two or more players, for ratings.
//
// Every pair of players plays the same number of games, colours alternating
// game by game. Deterministic players would repeat one game forever, so
// each pair of games (one with each colour) starts from its own opening of
// a few random plies, drawn from the match seed: the two colours play the
// same opening, which cancels its bias. Games run in parallel on a few
// threads, each thread with its own players.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "selfplay/player.h"
#include "selfplay/ratings.h"

namespace az::selfplay {

struct MatchOptions {
  // Games of each pair of players (an odd number gives the first player of
  // the pair one game more with the first move).
  int games_per_pair = 2;
  // Uniformly random plies played before the players take over.
  int opening_plies = 2;
  // Moves played before the opening (the game's notation), e.g. to study
  // one line; empty for the initial position.
  std::string start;
  // Games played at the same time. Human players force one.
  int threads = 1;
  uint64_t seed = 1;
  // When set (and it becomes true), no further game starts, the games being
  // played stop before their next move (and are dropped), and RunMatch
  // returns Cancelled: a stop waits for one move, not one game.
  const std::atomic<bool>* cancel = nullptr;
};

struct MatchGame {
  int first = 0;  // index of the player who moved first
  int second = 0;
  std::vector<Action> moves;  // from the start position, opening included
  int opening_plies = 0;      // how many of `moves` were the opening
  // The result under the reward spec the match is played by.
  GameOutcome outcome = GameOutcome::kOngoing;
  // What the real rules made of the game (the same result for a match
  // played by the rules; a `no_diagonals` game may differ).
  IntendedVerdict verdict;
};

struct MatchResult {
  std::vector<std::string> players;  // specs, in the order given
  // One entry per pair a < b, counted for a.
  std::vector<PairResults> pairs;
  std::vector<MatchGame> games;  // in scheduling order
};

// Called after each game (from the thread that played it, under a lock).
using GameCallback = std::function<void(const MatchGame&)>;

// Plays the round robin. Fails when a player fails to move (a human quit
// gives Cancelled) or an option is out of range.
absl::StatusOr<MatchResult> RunMatch(const Game& game,
                                     const std::vector<PlayerFactory*>& players,
                                     const MatchOptions& options,
                                     const GameCallback& on_game = nullptr);

}  // namespace az::selfplay
