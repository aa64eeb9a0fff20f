#include "tools/match_report.h"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "tools/command.h"

namespace az {
namespace {

using Json = nlohmann::json;

// JSON has no infinity: an unbounded estimate is written as null.
Json Finite(double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); }

std::string EloText(double x) {
  if (std::isinf(x)) return x > 0 ? "+inf" : "-inf";
  return absl::StrFormat("%+.0f", x);
}

std::string CsvNumber(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return absl::StrFormat("%.2f", x);
}

const char* ScoreText(GameOutcome outcome) {
  switch (outcome) {
    case GameOutcome::kFirstPlayerWins:
      return "1-0";
    case GameOutcome::kSecondPlayerWins:
      return "0-1";
    default:
      return "1/2";
  }
}

// One factory per spec; a spec that does not make a player is a usage
// error.
absl::StatusOr<std::vector<std::unique_ptr<selfplay::PlayerFactory>>>
MakeFactories(const Game& game, const MatchCommandOptions& options) {
  std::vector<std::unique_ptr<selfplay::PlayerFactory>> factories;
  for (const std::string& spec : options.specs) {
    absl::StatusOr<std::unique_ptr<selfplay::PlayerFactory>> factory =
        selfplay::PlayerFactory::Create(game, spec, options.players);
    if (!factory.ok()) return AsUsageError(factory.status());
    factories.push_back(*std::move(factory));
  }
  return factories;
}

// a's results with the second move, the totals less those with the first.
Json SecondMoverJson(const selfplay::PairResults& p) {
  return {{"wins", p.wins - p.wins_first},
          {"draws", p.draws - p.draws_first},
          {"losses", p.losses - p.losses_first}};
}

Json PairJson(const MatchReport& report, const PairReport& pair) {
  const selfplay::PairResults& p = pair.results;
  return {{"a", report.specs[p.a]},
          {"b", report.specs[p.b]},
          {"wins", p.wins},
          {"draws", p.draws},
          {"losses", p.losses},
          {"score", p.score()},
          {"elo", Finite(pair.elo.elo)},
          {"elo_lo", Finite(pair.elo.lo)},
          {"elo_hi", Finite(pair.elo.hi)},
          // a's results by colour (first = a moved first)
          {"first",
           {{"wins", p.wins_first},
            {"draws", p.draws_first},
            {"losses", p.losses_first}}},
          {"second", SecondMoverJson(p)},
          // The same games by the real rules' verdict.
          {"rules_wins", pair.rules_wins},
          {"rules_draws", pair.rules_draws},
          {"rules_losses", pair.rules_losses}};
}

std::string PairLine(const MatchReport& report, const PairReport& pair) {
  const selfplay::PairResults& p = pair.results;
  const std::string interval =
      absl::StrCat("[", EloText(pair.elo.lo), ", ", EloText(pair.elo.hi), "]");
  return absl::StrFormat(
      "%-24s %-24s %5d %5d %5d %5.1f%% %7s  %-16s  %d-%d-%d / %d-%d-%d\n",
      report.specs[p.a], report.specs[p.b], p.wins, p.draws, p.losses,
      100.0 * p.score(), EloText(pair.elo.elo), interval, p.wins_first,
      p.draws_first, p.losses_first, p.wins - p.wins_first,
      p.draws - p.draws_first, p.losses - p.losses_first);
}

// a's results in each pair by the rules' verdict of every game.
void CountRulesVerdicts(MatchReport* report) {
  for (const selfplay::MatchGame& g : report->games) {
    for (PairReport& pair : report->pairs) {
      const int a = pair.results.a, b = pair.results.b;
      if (!((g.first == a && g.second == b) ||
            (g.first == b && g.second == a))) {
        continue;
      }
      const TerminalReward r = RewardFor(
          g.verdict.decided() ? g.verdict.outcome : GameOutcome::kDraw,
          g.first == a ? Player::kFirst : Player::kSecond);
      (r.is_win() ? pair.rules_wins
       : r.is_loss() ? pair.rules_losses
                     : pair.rules_draws) += 1;
    }
  }
}

}  // namespace

absl::StatusOr<MatchReport> PlayMatch(const Game& game,
                                      const MatchCommandOptions& options) {
  ASSIGN_OR_RETURN(
      std::vector<std::unique_ptr<selfplay::PlayerFactory>> factories,
      MakeFactories(game, options));
  std::vector<selfplay::PlayerFactory*> players;
  for (const auto& factory : factories) players.push_back(factory.get());
  const auto t0 = std::chrono::steady_clock::now();
  int done = 0;
  ASSIGN_OR_RETURN(selfplay::MatchResult result,
                   selfplay::RunMatch(game, players, options.match,
                                      [&](const selfplay::MatchGame& g) {
                                        ++done;
                                        VLOG(1)
                                            << "game " << done << ": "
                                            << options.specs[g.first] << " vs "
                                            << options.specs[g.second] << ": "
                                            << OutcomeName(g.outcome) << " ("
                                            << game.FormatMoves(g.moves) << ")";
                                      }));
  MatchReport report;
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  selfplay::RatingOptions rating_options;
  rating_options.anchor = options.anchor;
  ASSIGN_OR_RETURN(report.ratings,
                   selfplay::FitRatings(static_cast<int>(options.specs.size()),
                                        result.pairs, rating_options));
  report.game = game.Name();
  report.reward = game.RewardSpec().name;
  report.specs = options.specs;
  report.anchor = options.anchor;
  report.games_per_pair = options.match.games_per_pair;
  report.opening_plies = options.match.opening_plies;
  report.start = options.match.start;
  report.games = std::move(result.games);
  for (const selfplay::PairResults& p : result.pairs) {
    report.pairs.push_back(
        {p, selfplay::EloFromResults(p.wins, p.draws, p.losses)});
  }
  CountRulesVerdicts(&report);
  return report;
}

absl::StatusOr<std::string> MatchGamesCsv(const Game& game,
                                          const MatchReport& report) {
  ASSIGN_OR_RETURN(const std::vector<Action> start,
                   game.ParseMoves(report.start));
  std::string csv = "game,first,second,result,players_from,moves\n";
  for (size_t i = 0; i < report.games.size(); ++i) {
    const selfplay::MatchGame& g = report.games[i];
    std::vector<Action> moves = start;
    moves.insert(moves.end(), g.moves.begin(), g.moves.end());
    absl::StrAppend(&csv, i + 1, ",", report.specs[g.first], ",",
                    report.specs[g.second], ",", ScoreText(g.outcome), ",",
                    start.size() + g.opening_plies, ",",
                    game.FormatMoves(moves), "\n");
  }
  return csv;
}

std::string MatchPairsCsv(const MatchReport& report) {
  std::string csv =
      "a,b,wins,draws,losses,games,score,elo,elo_lo,elo_hi,rating_a,"
      "rating_b,wins_first,draws_first,losses_first\n";
  for (const PairReport& pair : report.pairs) {
    const selfplay::PairResults& p = pair.results;
    absl::StrAppend(&csv, report.specs[p.a], ",", report.specs[p.b], ",",
                    p.wins, ",", p.draws, ",", p.losses, ",", p.games(), ",",
                    absl::StrFormat("%.4f", p.score()), ",",
                    CsvNumber(pair.elo.elo), ",", CsvNumber(pair.elo.lo), ",",
                    CsvNumber(pair.elo.hi), ",", CsvNumber(report.ratings[p.a]),
                    ",", CsvNumber(report.ratings[p.b]), ",", p.wins_first, ",",
                    p.draws_first, ",", p.losses_first, "\n");
  }
  return csv;
}

std::string MatchJson(const MatchReport& report) {
  Json pairs = Json::array();
  for (const PairReport& pair : report.pairs) {
    pairs.push_back(PairJson(report, pair));
  }
  Json ratings = Json::object();
  for (size_t i = 0; i < report.specs.size(); ++i) {
    ratings[report.specs[i]] = Finite(report.ratings[i]);
  }
  Json out = {{"game", report.game},
              {"reward", report.reward},
              {"games_per_pair", report.games_per_pair},
              {"games", report.games.size()},
              {"opening_plies", report.opening_plies},
              {"anchor", report.specs[report.anchor]},
              {"pairs", pairs},
              {"ratings", ratings},
              {"seconds", report.seconds}};
  return out.dump();
}

std::string MatchTable(const MatchReport& report) {
  std::string text =
      absl::StrFormat("%s: %d games, %d per pair, %d opening plies, %.1f s\n"
                      "scored by reward spec %s%s\n\n",
                      report.game, report.games.size(), report.games_per_pair,
                      report.opening_plies, report.seconds, report.reward,
                      report.reward == kRulesSpec
                          ? " (the rules: the intended objective)"
                          : " (a proxy, not the rules)");
  absl::StrAppendFormat(&text, "%-24s %-24s %5s %5s %5s %6s %7s  %-16s  %s\n",
                        "a", "b", "W", "D", "L", "score", "elo", "95% interval",
                        "a first / second (W-D-L)");
  for (const PairReport& pair : report.pairs) {
    absl::StrAppend(&text, PairLine(report, pair));
    if (report.reward != kRulesSpec) {
      absl::StrAppendFormat(&text, "  the same games by the rules: %d-%d-%d\n",
                            pair.rules_wins, pair.rules_draws,
                            pair.rules_losses);
    }
  }
  absl::StrAppendFormat(&text,
                        "\nratings (Bradley-Terry over all games, %s = 0):\n",
                        report.specs[report.anchor]);
  std::vector<int> order(report.specs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return report.ratings[a] > report.ratings[b];
  });
  for (int i : order) {
    absl::StrAppendFormat(&text, "  %-24s %7s\n", report.specs[i],
                          EloText(report.ratings[i]));
  }
  return text;
}

}  // namespace az
