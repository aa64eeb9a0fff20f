// `az match` without its flags: plays the match that MatchCommandOptions
// describes, fits the ratings, and writes the results in the command's
// three forms (the console table, the per-pair CSV of --out, the JSON object
// of --json) and the per-game CSV of --games_out. The formatting functions
// only read a MatchReport, so tests can check them on results made by hand.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "selfplay/match.h"
#include "selfplay/ratings.h"
#include "tools/match_options.h"

namespace az {

// One pair's results with the Elo difference they give.
struct PairReport {
  selfplay::PairResults results;  // counted for results.a
  selfplay::EloEstimate elo;      // of a over b
  // The same games judged by the real rules' verdict (counted for a), kept
  // apart from `results` when the match is scored by another reward spec.
  int rules_wins = 0;
  int rules_draws = 0;
  int rules_losses = 0;
};

// A finished match.
struct MatchReport {
  // The game's name.
  std::string game;
  // The reward spec the games were played and scored by (its ending and
  // the sign of its payoff decide each result): "rules" unless --reward.
  std::string reward = "rules";
  // The players' specs, in the order given.
  std::vector<std::string> specs;
  // The index in `specs` of the player rated 0.
  int anchor = 0;
  // Games of each pair, and the random plies that opened each pair of them.
  int games_per_pair = 0;
  int opening_plies = 0;
  // Moves played before every opening (the game's notation).
  std::string start;
  // Every game, in scheduling order.
  std::vector<selfplay::MatchGame> games;
  // One per pair of players a < b.
  std::vector<PairReport> pairs;
  // Bradley-Terry Elo ratings, one per spec.
  std::vector<double> ratings;
  // Wall time of the games.
  double seconds = 0;
};

// Makes the players (a bad spec is a usage error), plays the match and fits
// the ratings (their failures are runtime errors). Each finished game is
// logged at VLOG(1).
absl::StatusOr<MatchReport> PlayMatch(const Game& game,
                                      const MatchCommandOptions& options);

// Every game as a CSV row, under the header
// game,first,second,result,players_from,moves: result 1-0, 0-1 or 1/2 for
// the first mover, moves from the initial position (start and opening
// included) in the game's notation. Fails if report.start does not parse.
absl::StatusOr<std::string> MatchGamesCsv(const Game& game,
                                          const MatchReport& report);
// Every pair as a CSV row: counts, score, Elo with its interval, both
// ratings and a's results as the first mover.
std::string MatchPairsCsv(const MatchReport& report);
// The whole report as one JSON object on one line (no newline); an infinite
// Elo is null.
std::string MatchJson(const MatchReport& report);
// The console table: a summary line, one line per pair, the ratings from
// best to worst.
std::string MatchTable(const MatchReport& report);

}  // namespace az
