// `az match`: games between two or more players and their ratings: W/D/L
// and the Elo difference with its 95% interval for every pair, and for a
// round robin ratings fitted over all games (Bradley-Terry), anchored at one
// player. A table on the console, a CSV with --out, one JSON object with
// --json.
//
// The checks and the output live in tools/match_options.h and
// tools/match_report.h; this file reads the flags and writes the files.
#include <gflags/gflags.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/status_macros.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/match_options.h"
#include "tools/match_report.h"
#include "tools/players_flags.h"
#include "tools/reward_spec.h"

DEFINE_int32(games, 10, "Games of each pair of players (colours alternate).");
DEFINE_int32(
    opening_plies, 2,
    "Random plies that open each pair of games (both colours play "
    "the same opening), so that deterministic players vary. An opening "
    "may favour one side (even decide the game under perfect play); "
    "playing it with both colours cancels that over the pair.");
DEFINE_string(anchor, "",
              "The player rated 0 (its spec; default the first player).");
DEFINE_string(games_out, "",
              "Where to write every game as CSV, one row each (written once "
              "the match is over): game,first,second,result,players_from,"
              "moves. result is 1-0, 0-1 or 1/2 (for the first mover); moves "
              "run from the initial position (--start and the opening "
              "included) in the game's notation; the players chose the "
              "moves from ply players_from on.");

namespace az {
namespace {

// The match the flags describe: players at full strength, one search thread
// each (--threads counts games played at once), the openings giving the
// variety.
absl::StatusOr<MatchCommandOptions> MatchOptionsFromFlags(const Game& game) {
  MatchFlagValues flags;
  flags.players = FLAGS_players;
  flags.games = FLAGS_games;
  flags.opening_plies = FLAGS_opening_plies;
  flags.anchor = FLAGS_anchor;
  flags.start = FLAGS_start;
  flags.threads = FLAGS_threads;
  flags.seed = FLAGS_seed;
  ASSIGN_OR_RETURN(
      MatchCommandOptions options,
      ResolveMatchOptions(flags, std::thread::hardware_concurrency()));
  ASSIGN_OR_RETURN(options.players,
                   PlayerOptionsFromFlags(game, options.match.threads));
  options.players.input = &std::cin;
  options.players.messages = &std::cerr;
  return options;
}

// Writes --games_out and --out, then prints the JSON object or the table.
absl::Status WriteMatchReport(const Game& game, const MatchReport& report) {
  if (!FLAGS_games_out.empty()) {
    ASSIGN_OR_RETURN(std::string csv, MatchGamesCsv(game, report));
    RETURN_IF_ERROR(base::WriteFileAtomically(FLAGS_games_out, csv));
  }
  if (!FLAGS_out.empty()) {
    RETURN_IF_ERROR(
        base::WriteFileAtomically(FLAGS_out, MatchPairsCsv(report)));
  }
  const std::string text =
      FLAGS_json ? MatchJson(report) + "\n" : MatchTable(report);
  std::fputs(text.c_str(), stdout);
  return absl::OkStatus();
}

absl::Status Match(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(const Game* rules, GameOfCommandLine(args));
  // Played and scored by --reward's spec: its ending, its payoff's sign.
  ASSIGN_OR_RETURN(const Game* game, GameWithReward(*rules, FLAGS_reward));
  ASSIGN_OR_RETURN(MatchCommandOptions options, MatchOptionsFromFlags(*game));
  ASSIGN_OR_RETURN(MatchReport report, PlayMatch(*game, options));
  return WriteMatchReport(*game, report);
}

int RunMatch(const std::vector<std::string>& args) {
  return ExitCode("match", Match(args));
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    match, "match", "play games between players and rate them",
    "az match --game=G --players=SPEC,SPEC[,...] --games=N [--threads=T] "
    "[--opening_plies=K] [--anchor=SPEC] [--out=FILE.csv] "
    "[--games_out=GAMES.csv] [--reward=SPEC] [--json]",
    az::RunMatch, "players", "search", "network");
