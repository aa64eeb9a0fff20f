// Ratings from game results: the Elo difference of two players with a 95%
// interval, and a Bradley-Terry (BayesElo-style) fit of Elo ratings over a
// round robin of several players. Draws count as half a win for each side.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace az::selfplay {

// Results of one pair of players, counted for `a`.
struct PairResults {
  int a = 0;  // player indices
  int b = 0;
  int wins = 0;
  int draws = 0;
  int losses = 0;
  // The part of those counts from the games in which a moved first; the
  // rest are a's games as the second player. Where the first move is worth
  // a lot (Connect Four), one colour can hide a weakness the total blurs.
  int wins_first = 0;
  int draws_first = 0;
  int losses_first = 0;
  int games() const { return wins + draws + losses; }
  int games_first() const { return wins_first + draws_first + losses_first; }
  // a's score in [0, 1]: (wins + draws / 2) / games; 0.5 with no games.
  double score() const;
};

// An Elo difference with its 95% interval. A perfect or null score gives an
// infinite estimate (and bound); the other bound stays finite.
struct EloEstimate {
  double elo = 0.0;
  double lo = 0.0;
  double hi = 0.0;
};

// The Elo difference that predicts score `s` in (0, 1):
// -400 log10(1/s - 1); +-infinity at 1 and 0.
double EloFromScore(double s);
// The expected score of a player rated `elo_difference` above its opponent.
double ScoreFromElo(double elo_difference);

// Elo of a over b from a's wins/draws/losses. The interval is the score
// plus or minus 1.96 standard errors (the per-game score variance over the
// games), mapped through the logistic; when every game had the same result
// the variance is unknown and the rule of three bounds it instead.
EloEstimate EloFromResults(int wins, int draws, int losses);

struct RatingOptions {
  // The player whose rating is fixed at 0.
  int anchor = 0;
  // Virtual draws added to every pair that played (a BayesElo-style prior):
  // keeps ratings finite when a player won or lost every game. 0 gives the
  // plain maximum-likelihood fit.
  double prior_draws = 1.0;
  int max_iterations = 10000;
  double tolerance = 1e-9;
};

// Fits Elo ratings of `num_players` players to the results of every pair by
// maximum likelihood under the Bradley-Terry model (P(i beats j) =
// ScoreFromElo(r_i - r_j)), by Hunter's MM iterations. InvalidArgument when
// an index or the anchor is out of range, or the players that played do not
// form one connected group (their ratings could not be compared).
absl::StatusOr<std::vector<double>> FitRatings(
    int num_players, const std::vector<PairResults>& pairs,
    const RatingOptions& options);

}  // namespace az::selfplay
