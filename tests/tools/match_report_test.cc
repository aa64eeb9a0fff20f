// az match's library side, in-process: a small match played for real, bad
// player specs, and the table, CSVs and JSON of a report made by hand.
#include "tools/match_report.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "engine/search_params.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/tools/exit_code_testing.h"
#include "tools/command.h"

namespace az {
namespace {

using Json = nlohmann::json;

const Game& TicTacToe() { return **FindGame("tictactoe"); }

MatchCommandOptions Options(std::vector<std::string> specs, int games) {
  MatchCommandOptions options;
  options.specs = std::move(specs);
  options.match.games_per_pair = games;
  options.match.opening_plies = 0;
  options.players.search =
      engine::FullStrength(engine::DefaultSearchParams(TicTacToe()));
  return options;
}

// Two players: a beat bb twice, once with each colour.
MatchReport HandMadeReport() {
  MatchReport report;
  report.game = "tictactoe";
  report.specs = {"a", "bb"};
  report.games_per_pair = 2;
  report.start = "5";
  report.seconds = 1.5;
  selfplay::MatchGame first;
  first.first = 0;
  first.second = 1;
  first.moves = *TicTacToe().ParseMoves("1");
  first.outcome = GameOutcome::kFirstPlayerWins;
  selfplay::MatchGame second = first;
  second.first = 1;
  second.second = 0;
  second.outcome = GameOutcome::kSecondPlayerWins;
  report.games = {first, second};
  PairReport pair;
  pair.results.a = 0;
  pair.results.b = 1;
  pair.results.wins = 2;
  pair.results.wins_first = 1;
  const double inf = std::numeric_limits<double>::infinity();
  pair.elo = {inf, 100, inf};
  report.pairs = {pair};
  report.ratings = {0, -300.25};
  return report;
}

TEST(MatchReportTest, PlaysAMatchAndRatesIt) {
  MatchCommandOptions options = Options({"solver", "random"}, 4);
  options.anchor = 1;
  absl::StatusOr<MatchReport> report = PlayMatch(TicTacToe(), options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->game, "tictactoe");
  EXPECT_EQ(report->games.size(), 4u);
  ASSERT_EQ(report->pairs.size(), 1u);
  const selfplay::PairResults& p = report->pairs[0].results;
  EXPECT_EQ(p.games(), 4);
  EXPECT_EQ(p.losses, 0);  // the solver never loses from the start
  EXPECT_EQ(p.games_first(), 2);
  ASSERT_EQ(report->ratings.size(), 2u);
  EXPECT_EQ(report->ratings[1], 0.0);  // the anchor
  EXPECT_GE(report->ratings[0], 0.0);
}

// BadSpecsExitWithOneLine of the binary for the specs that fail when the
// players are made: one line, "az match: ", a usage error.
TEST(MatchReportTest, BadSpecsAreOneLineUsageErrors) {
  for (std::vector<std::string> specs :
       {std::vector<std::string>{"solver", "foo"},
        {"mcts:sims=-1", "random"},
        {"net:/missing", "random"},
        {"run:/missing", "random"}}) {
    absl::StatusOr<MatchReport> report =
        PlayMatch(TicTacToe(), Options(specs, 2));
    ASSERT_FALSE(report.ok()) << specs[0] << "," << specs[1];
    EXPECT_TRUE(IsUsageError(report.status())) << report.status();
    testing::ExpectOneLineExit("match", report.status(), "");
  }
}

TEST(MatchReportTest, PairsCsvHasOneRowPerPair) {
  EXPECT_EQ(MatchPairsCsv(HandMadeReport()),
            "a,b,wins,draws,losses,games,score,elo,elo_lo,elo_hi,rating_a,"
            "rating_b,wins_first,draws_first,losses_first\n"
            "a,bb,2,0,0,2,1.0000,inf,100.00,inf,0.00,-300.25,1,0,0\n");
}

TEST(MatchReportTest, GamesCsvReplaysFromTheInitialPosition) {
  absl::StatusOr<std::string> csv =
      MatchGamesCsv(TicTacToe(), HandMadeReport());
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(*csv,
            "game,first,second,result,players_from,moves\n"
            "1,a,bb,1-0,1,51\n"
            "2,bb,a,0-1,1,51\n");
  MatchReport bad_start = HandMadeReport();
  bad_start.start = "55";
  EXPECT_FALSE(MatchGamesCsv(TicTacToe(), bad_start).ok());
}

TEST(MatchReportTest, JsonWritesInfinityAsNullAndSplitsByColour) {
  Json j = Json::parse(MatchJson(HandMadeReport()));
  EXPECT_EQ(j["game"], "tictactoe");
  EXPECT_EQ(j["games"], 2);
  EXPECT_EQ(j["games_per_pair"], 2);
  EXPECT_EQ(j["anchor"], "a");
  EXPECT_EQ(j["seconds"], 1.5);
  ASSERT_EQ(j["pairs"].size(), 1u);
  const Json& p = j["pairs"][0];
  EXPECT_EQ(p["a"], "a");
  EXPECT_EQ(p["b"], "bb");
  EXPECT_TRUE(p["elo"].is_null());
  EXPECT_EQ(p["elo_lo"], 100.0);
  EXPECT_TRUE(p["elo_hi"].is_null());
  EXPECT_EQ(p["first"]["wins"], 1);
  EXPECT_EQ(p["second"]["wins"], 1);
  EXPECT_EQ(p["second"]["losses"], 0);
  EXPECT_EQ(j["ratings"]["bb"], -300.25);
}

TEST(MatchReportTest, TableListsPairsThenRatingsBestFirst) {
  MatchReport report = HandMadeReport();
  std::swap(report.ratings[0], report.ratings[1]);  // bb now rated higher
  const std::string table = MatchTable(report);
  EXPECT_TRUE(absl::StartsWith(
      table,
      "tictactoe: 2 games, 2 per pair, 0 opening plies, 1.5 s\nscored by "
      "reward spec rules (the rules: the intended objective)\n\n"))
      << table;
  EXPECT_TRUE(absl::StrContains(table, "a first / second (W-D-L)")) << table;
  EXPECT_TRUE(absl::StrContains(table, "100.0%    +inf  [+100, +inf]"))
      << table;
  EXPECT_TRUE(absl::StrContains(table, "1-0-0 / 1-0-0\n")) << table;
  EXPECT_TRUE(absl::StrContains(
      table, "\nratings (Bradley-Terry over all games, a = 0):\n"))
      << table;
  const size_t ratings = table.find("\nratings (");
  EXPECT_LT(table.find("\n  bb ", ratings), table.find("\n  a ", ratings))
      << table;
  EXPECT_TRUE(
      absl::StrContains(table, "\n  a                           -300\n"))
      << table;
}

}  // namespace
}  // namespace az
