// `az play` without its flags: the options checked as plain values, one
// game between two players played on a stream (boards, moves, a person's
// undo and quit), and the lines the command prints about it. The flags are
// read in tools/play_command.cc; tests can play a game here in-process, a
// person's moves coming from a string.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "selfplay/player.h"

namespace az {

// The command line of `az play`, one field per flag.
struct PlayFlagValues {
  std::string players;    // --players: FIRST,SECOND; empty: human,mcts
  std::string start;      // --start: moves played before the game
  bool analysis = false;  // --analysis
  uint64_t seed = 1;      // --seed
};

// What the game is, checked.
struct PlayOptions {
  // The specs of the first and the second player.
  std::vector<std::string> specs;
  // Moves played before the game (the game's notation); they parse.
  std::string start;
  // After each engine move, print what its search and network found.
  bool analysis = false;
  // Seeds the players' random choices, anew after each undo.
  uint64_t seed = 1;
  // Whether a person types at a terminal: then a line says how to type
  // moves (the prompts themselves are players.prompts).
  bool interactive = false;
  // How the players are made (search at full strength, inference server,
  // a person's streams); ResolvePlayOptions leaves it default.
  selfplay::PlayerOptions players;
};

// Checks `flags` for `game`: a --start that plays, then exactly two
// players. Each failure is a usage error naming the flag.
absl::StatusOr<PlayOptions> ResolvePlayOptions(const Game& game,
                                               const PlayFlagValues& flags);

// How a game ended.
struct PlayedGame {
  // A person quit (or the input ended) before the game was over.
  bool quit = false;
  // Every move from the initial position, --start's first.
  std::vector<Action> moves;
  // How many of `moves` were --start's.
  int start_plies = 0;
  // kOngoing when the game was quit.
  GameOutcome outcome = GameOutcome::kOngoing;
};

// Makes the two players (a spec that does not make one is a usage error)
// and plays from the start position to the end or a quit, writing the
// players, every board and every move (with --analysis, what the engine
// found) to `out`. A person's "undo" takes back moves until a person is to
// move again. An engine that fails to move is a runtime error naming it.
absl::StatusOr<PlayedGame> PlayGame(const Game& game,
                                    const PlayOptions& options,
                                    std::ostream& out);

// "\nresult: OUTCOME (WINNER'S SPEC) after N plies; moves: MOVES\n".
std::string ResultText(const Game& game, const PlayOptions& options,
                       const PlayedGame& played);
// "quit after N moves; no result", N counting the moves after --start.
std::string QuitText(const PlayedGame& played);
// What a player knew of its move, for --analysis: the solver's exact
// value, the network's or the rollouts' value, the search's value and what
// it proved, and the three most visited moves. One line each, indented.
std::string AnalysisText(const Game& game, const selfplay::MoveInfo& info);

}  // namespace az
