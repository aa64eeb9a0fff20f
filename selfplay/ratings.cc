#include "selfplay/ratings.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace az::selfplay {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kZ95 = 1.959964;

// The games of a set of pairs, as the rating fit sees them: with the
// prior's draws added to every pair that played.
struct GameTally {
  std::vector<std::vector<double>> games;  // [i][j]: between i and j
  std::vector<double> score;               // [i]: i's total score
};

absl::StatusOr<GameTally> TallyGames(int num_players,
                                     const std::vector<PairResults>& pairs,
                                     double prior_draws) {
  GameTally tally;
  tally.games.assign(num_players, std::vector<double>(num_players));
  tally.score.assign(num_players, 0.0);
  for (const PairResults& p : pairs) {
    if (p.a < 0 || p.a >= num_players || p.b < 0 || p.b >= num_players ||
        p.a == p.b) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad pair of players ", p.a, " and ", p.b));
    }
    if (p.games() == 0) continue;
    const double n = p.games() + prior_draws;
    tally.games[p.a][p.b] += n;
    tally.games[p.b][p.a] += n;
    tally.score[p.a] += p.wins + 0.5 * p.draws + 0.5 * prior_draws;
    tally.score[p.b] += p.losses + 0.5 * p.draws + 0.5 * prior_draws;
  }
  return tally;
}

// OK if every player is linked to `anchor` through games played.
absl::Status CheckLinkedToAnchor(const GameTally& tally, int anchor) {
  const int num_players = static_cast<int>(tally.score.size());
  std::vector<bool> reached(num_players, false);
  std::vector<int> stack = {anchor};
  reached[anchor] = true;
  while (!stack.empty()) {
    int i = stack.back();
    stack.pop_back();
    for (int j = 0; j < num_players; ++j) {
      if (tally.games[i][j] > 0 && !reached[j]) {
        reached[j] = true;
        stack.push_back(j);
      }
    }
  }
  for (int i = 0; i < num_players; ++i) {
    if (!reached[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "player ", i, " played no games linking it to the anchor"));
    }
  }
  return absl::OkStatus();
}

// Each player's strength gamma (the anchor's is 1) by Hunter's MM update:
// gamma_i = W_i / sum_j n_ij / (gamma_i + gamma_j). A player with no score
// (or every point) drifts towards 0 (infinity) without a prior; the
// iteration cap and the clamps keep it finite.
std::vector<double> FitStrengths(const GameTally& tally,
                                 const RatingOptions& options) {
  const int num_players = static_cast<int>(tally.score.size());
  std::vector<double> gamma(num_players, 1.0);
  for (int iter = 0; iter < options.max_iterations; ++iter) {
    double change = 0.0;
    for (int i = 0; i < num_players; ++i) {
      double denom = 0.0;
      for (int j = 0; j < num_players; ++j) {
        if (tally.games[i][j] > 0) {
          denom += tally.games[i][j] / (gamma[i] + gamma[j]);
        }
      }
      double next = denom > 0 ? tally.score[i] / denom : gamma[i];
      next = std::clamp(next, 1e-12, 1e12);
      change = std::max(change, std::abs(std::log(next / gamma[i])));
      gamma[i] = next;
    }
    // Normalise so that the values stay in range.
    const double anchor = gamma[options.anchor];
    for (double& g : gamma) g /= anchor;
    if (change < options.tolerance) break;
  }
  return gamma;
}

}  // namespace

double PairResults::score() const {
  const int n = games();
  return n == 0 ? 0.5 : (wins + 0.5 * draws) / n;
}

double EloFromScore(double s) {
  if (s >= 1.0) return kInf;
  if (s <= 0.0) return -kInf;
  return -400.0 * std::log10(1.0 / s - 1.0);
}

double ScoreFromElo(double elo_difference) {
  return 1.0 / (1.0 + std::pow(10.0, -elo_difference / 400.0));
}

EloEstimate EloFromResults(int wins, int draws, int losses) {
  const int n = wins + draws + losses;
  if (n == 0) return {0.0, -kInf, kInf};
  const double s = (wins + 0.5 * draws) / n;
  const double var = (wins * (1.0 - s) * (1.0 - s) +
                      draws * (0.5 - s) * (0.5 - s) + losses * s * s) /
                     n;
  EloEstimate e;
  e.elo = EloFromScore(s);
  if (var > 0.0) {
    const double margin = kZ95 * std::sqrt(var / n);
    e.lo = EloFromScore(s - margin);
    e.hi = EloFromScore(s + margin);
    return e;
  }
  // Every game ended alike: with no spread there is no standard error, so
  // bound the other outcomes' rate by the rule of three (3/n at 95%).
  const double slack = std::min(1.0, 3.0 / n);
  e.lo = EloFromScore(std::max(0.0, s - slack));
  e.hi = EloFromScore(std::min(1.0, s + slack));
  return e;
}

absl::StatusOr<std::vector<double>> FitRatings(
    int num_players, const std::vector<PairResults>& pairs,
    const RatingOptions& options) {
  if (num_players < 1) {
    return absl::InvalidArgumentError("ratings need at least one player");
  }
  if (options.anchor < 0 || options.anchor >= num_players) {
    return absl::InvalidArgumentError(
        absl::StrCat("the anchor ", options.anchor, " is not a player"));
  }
  ASSIGN_OR_RETURN(const GameTally tally,
                   TallyGames(num_players, pairs, options.prior_draws));
  RETURN_IF_ERROR(CheckLinkedToAnchor(tally, options.anchor));
  const std::vector<double> gamma = FitStrengths(tally, options);
  std::vector<double> elo(num_players);
  for (int i = 0; i < num_players; ++i) {
    elo[i] = 400.0 * std::log10(gamma[i] / gamma[options.anchor]);
  }
  return elo;
}

}  // namespace az::selfplay
