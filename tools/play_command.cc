// `az play`: one game between two players in the terminal, usually a person
// against an engine or a checkpoint. The board is drawn after every move;
// the person types moves in the game's notation, `undo`, `help` or `quit`.
// With --analysis every engine move comes with what the network believes
// (its raw value, learned) beside what the search found and what it proved
// (grounded in the rules).
//
// When stdin is not a terminal no prompt is printed and explanations of bad
// input go to stderr, so stdout holds only boards, moves and the result and a
// session can be scripted. `quit` and the end of the input stop the game
// with exit code 0 (stderr says so); bad flags or players exit with 2.
//
// The game itself is played by tools/play_session.h; this file reads the
// flags and wires the players to the terminal.
#include <gflags/gflags.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "base/status_macros.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/play_session.h"
#include "tools/players_flags.h"

DEFINE_bool(analysis, false,
            "After each engine move, show the network's raw value (learned), "
            "the search value, whether the search proved the result (rules) "
            "and the top moves with visits and priors.");

namespace az {
namespace {

// The game the flags describe, its engines at full strength (no noise, the
// most visited move) with --threads search threads. A person at a terminal
// is prompted on stdout; otherwise explanations of bad input go to stderr.
absl::StatusOr<PlayOptions> PlayOptionsFromFlags(const Game& game) {
  PlayFlagValues flags;
  flags.players = FLAGS_players;
  flags.start = FLAGS_start;
  flags.analysis = FLAGS_analysis;
  flags.seed = FLAGS_seed;
  ASSIGN_OR_RETURN(PlayOptions options, ResolvePlayOptions(game, flags));
  ASSIGN_OR_RETURN(options.players,
                   PlayerOptionsFromFlags(game, /*games_at_once=*/1));
  options.interactive = isatty(STDIN_FILENO);
  options.players.input = &std::cin;
  options.players.messages = options.interactive ? &std::cout : &std::cerr;
  options.players.prompts = options.interactive ? &std::cout : nullptr;
  return options;
}

absl::Status Play(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(const Game* game, GameOfCommandLine(args));
  ASSIGN_OR_RETURN(PlayOptions options, PlayOptionsFromFlags(*game));
  ASSIGN_OR_RETURN(PlayedGame played, PlayGame(*game, options, std::cout));
  std::cout.flush();
  if (played.quit) {
    // Not a failure: the person chose to stop.
    std::fprintf(stderr, "az play: %s\n", QuitText(played).c_str());
  } else {
    std::cout << ResultText(*game, options, played);
  }
  return absl::OkStatus();
}

int RunPlay(const std::vector<std::string>& args) {
  return ExitCode("play", Play(args));
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    play, "play", "play a game in the terminal against an engine or network",
    "az play --game=G --players=FIRST,SECOND [--start=MOVES] [--analysis] "
    "(players: human, random, mcts[:OPTS], solver, net:PATH[:OPTS], "
    "run:DIR[:OPTS], OPTS among sims=N, c_init=X, fpu=X, raw; quit or end "
    "of input stops with exit code 0)",
    az::RunPlay, "players", "search", "network");
