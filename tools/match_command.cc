// `az match`: games between two or more players and their ratings: W/D/L
// and the Elo difference with its 95% interval for every pair, and for a
// round robin ratings fitted over all games (Bradley-Terry), anchored at one
// player. A table on the console, a CSV with --out, one JSON object with
// --json.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "games/registry.h"
#include "selfplay/match.h"
#include "selfplay/player.h"
#include "selfplay/ratings.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/network_flags.h"
#include "tools/players_flags.h"
#include "tools/search_flags.h"

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

using Json = nlohmann::json;

int Fail(int code, absl::string_view message) {
  std::fprintf(stderr, "az match: %s\n", std::string(message).c_str());
  return code;
}

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

int RunMatch(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    return Fail(2, absl::StrCat("unexpected argument '", args[1], "'"));
  }
  absl::StatusOr<const Game*> game_or = FindGame(FLAGS_game);
  if (!game_or.ok()) return Fail(2, game_or.status().message());
  const Game& game = **game_or;
  std::vector<std::string> specs =
      absl::StrSplit(FLAGS_players, ',', absl::SkipEmpty());
  if (specs.size() < 2) {
    return Fail(2, absl::StrCat("--players needs two or more players, "
                                "SPEC,SPEC[,...] (got \"",
                                FLAGS_players, "\")"));
  }
  if (FLAGS_games < 1) {
    return Fail(2,
                absl::StrCat("--games must be >= 1 (got ", FLAGS_games, ")"));
  }
  int anchor = 0;
  if (!FLAGS_anchor.empty()) {
    auto it = std::find(specs.begin(), specs.end(), FLAGS_anchor);
    if (it == specs.end()) {
      return Fail(2, absl::StrCat("--anchor=", FLAGS_anchor,
                                  " is not one of the players"));
    }
    anchor = static_cast<int>(it - specs.begin());
  }
  absl::StatusOr<engine::SearchParams> params = SearchParamsFromFlags(game);
  if (!params.ok()) return Fail(2, params.status().message());
  // Full strength; the openings give the variety.
  params->root_noise = false;
  params->temperature_moves = 0;
  // --threads counts games played at once here; each search is one thread.
  const int threads =
      FLAGS_threads > 0
          ? FLAGS_threads
          : std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  params->num_threads = 1;

  selfplay::PlayerOptions options;
  options.search = *params;
  absl::StatusOr<nn::InferenceServerOptions> inference =
      InferenceServerOptionsFromFlags(threads);
  if (!inference.ok()) return Fail(2, inference.status().message());
  options.inference = *inference;
  options.rollouts = FLAGS_rollouts;
  options.input = &std::cin;
  options.messages = &std::cerr;

  std::vector<std::unique_ptr<selfplay::PlayerFactory>> factories;
  std::vector<selfplay::PlayerFactory*> players;
  for (const std::string& spec : specs) {
    absl::StatusOr<std::unique_ptr<selfplay::PlayerFactory>> factory =
        selfplay::PlayerFactory::Create(game, spec, options);
    if (!factory.ok()) return Fail(2, factory.status().message());
    players.push_back(factory->get());
    factories.push_back(*std::move(factory));
  }

  selfplay::MatchOptions match;
  match.games_per_pair = FLAGS_games;
  match.opening_plies = FLAGS_opening_plies;
  match.start = FLAGS_start;
  match.threads = threads;
  match.seed = FLAGS_seed;
  const auto t0 = std::chrono::steady_clock::now();
  int done = 0;
  absl::StatusOr<selfplay::MatchResult> result = selfplay::RunMatch(
      game, players, match, [&](const selfplay::MatchGame& g) {
        ++done;
        VLOG(1) << "game " << done << ": " << specs[g.first] << " vs "
                << specs[g.second] << ": " << OutcomeName(g.outcome) << " ("
                << game.FormatMoves(g.moves) << ")";
      });
  if (!result.ok()) return Fail(1, result.status().message());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  selfplay::RatingOptions rating_options;
  rating_options.anchor = anchor;
  absl::StatusOr<std::vector<double>> ratings = selfplay::FitRatings(
      static_cast<int>(specs.size()), result->pairs, rating_options);
  if (!ratings.ok()) return Fail(1, ratings.status().message());

  struct Row {
    const selfplay::PairResults* pair;
    selfplay::EloEstimate elo;
  };
  std::vector<Row> rows;
  for (const selfplay::PairResults& p : result->pairs) {
    rows.push_back({&p, selfplay::EloFromResults(p.wins, p.draws, p.losses)});
  }

  if (!FLAGS_games_out.empty()) {
    absl::StatusOr<std::vector<Action>> start = game.ParseMoves(FLAGS_start);
    if (!start.ok()) return Fail(1, start.status().message());
    std::string csv = "game,first,second,result,players_from,moves\n";
    for (size_t i = 0; i < result->games.size(); ++i) {
      const selfplay::MatchGame& g = result->games[i];
      std::vector<Action> moves = *start;
      moves.insert(moves.end(), g.moves.begin(), g.moves.end());
      const char* score = g.outcome == GameOutcome::kFirstPlayerWins ? "1-0"
                          : g.outcome == GameOutcome::kSecondPlayerWins
                              ? "0-1"
                              : "1/2";
      absl::StrAppend(&csv, i + 1, ",", specs[g.first], ",", specs[g.second],
                      ",", score, ",", start->size() + g.opening_plies, ",",
                      game.FormatMoves(moves), "\n");
    }
    if (absl::Status s = base::WriteFileAtomically(FLAGS_games_out, csv);
        !s.ok()) {
      return Fail(1, s.message());
    }
  }

  if (!FLAGS_out.empty()) {
    std::string csv =
        "a,b,wins,draws,losses,games,score,elo,elo_lo,elo_hi,rating_a,"
        "rating_b,wins_first,draws_first,losses_first\n";
    for (const Row& r : rows) {
      const selfplay::PairResults& p = *r.pair;
      absl::StrAppend(&csv, specs[p.a], ",", specs[p.b], ",", p.wins, ",",
                      p.draws, ",", p.losses, ",", p.games(), ",",
                      absl::StrFormat("%.4f", p.score()), ",",
                      CsvNumber(r.elo.elo), ",", CsvNumber(r.elo.lo), ",",
                      CsvNumber(r.elo.hi), ",", CsvNumber((*ratings)[p.a]), ",",
                      CsvNumber((*ratings)[p.b]), ",", p.wins_first, ",",
                      p.draws_first, ",", p.losses_first, "\n");
    }
    if (absl::Status s = base::WriteFileAtomically(FLAGS_out, csv); !s.ok()) {
      return Fail(1, s.message());
    }
  }

  if (FLAGS_json) {
    Json pairs = Json::array();
    for (const Row& r : rows) {
      const selfplay::PairResults& p = *r.pair;
      pairs.push_back({{"a", specs[p.a]},
                       {"b", specs[p.b]},
                       {"wins", p.wins},
                       {"draws", p.draws},
                       {"losses", p.losses},
                       {"score", p.score()},
                       {"elo", Finite(r.elo.elo)},
                       {"elo_lo", Finite(r.elo.lo)},
                       {"elo_hi", Finite(r.elo.hi)},
                       // a's results by colour (first = a moved first)
                       {"first",
                        {{"wins", p.wins_first},
                         {"draws", p.draws_first},
                         {"losses", p.losses_first}}},
                       {"second",
                        {{"wins", p.wins - p.wins_first},
                         {"draws", p.draws - p.draws_first},
                         {"losses", p.losses - p.losses_first}}}});
    }
    Json rating_json = Json::object();
    for (size_t i = 0; i < specs.size(); ++i) {
      rating_json[specs[i]] = Finite((*ratings)[i]);
    }
    Json out = {
        {"game", game.Name()},           {"games_per_pair", FLAGS_games},
        {"games", result->games.size()}, {"opening_plies", FLAGS_opening_plies},
        {"anchor", specs[anchor]},       {"pairs", pairs},
        {"ratings", rating_json},        {"seconds", seconds}};
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }

  std::printf("%s: %zu games, %d per pair, %d opening plies, %.1f s\n\n",
              game.Name().c_str(), result->games.size(), FLAGS_games,
              FLAGS_opening_plies, seconds);
  std::printf("%-24s %-24s %5s %5s %5s %6s %7s  %-16s  %s\n", "a", "b", "W",
              "D", "L", "score", "elo", "95% interval",
              "a first / second (W-D-L)");
  for (const Row& r : rows) {
    const selfplay::PairResults& p = *r.pair;
    const std::string interval = absl::StrCat(
        "[", EloText(r.elo.lo), ", ", EloText(r.elo.hi), "]");
    std::printf("%-24s %-24s %5d %5d %5d %5.1f%% %7s  %-16s  %d-%d-%d / %d-%d-%d\n",
                specs[p.a].c_str(), specs[p.b].c_str(), p.wins, p.draws,
                p.losses, 100.0 * p.score(), EloText(r.elo.elo).c_str(),
                interval.c_str(), p.wins_first, p.draws_first,
                p.losses_first, p.wins - p.wins_first,
                p.draws - p.draws_first, p.losses - p.losses_first);
  }
  std::printf("\nratings (Bradley-Terry over all games, %s = 0):\n",
              specs[anchor].c_str());
  std::vector<int> order(specs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return (*ratings)[a] > (*ratings)[b]; });
  for (int i : order) {
    std::printf("  %-24s %7s\n", specs[i].c_str(),
                EloText((*ratings)[i]).c_str());
  }
  return 0;
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    match, "match", "play games between players and rate them",
    "az match --game=G --players=SPEC,SPEC[,...] --games=N [--threads=T] "
    "[--opening_plies=K] [--anchor=SPEC] [--out=FILE.csv] "
    "[--games_out=GAMES.csv] [--json]",
    az::RunMatch, "players", "search", "network");
