#include "tools/hunt.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "analysis/position_set.h"
#include "games/position_file.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/test_util.h"
#include "tests/tools/exit_code_testing.h"

namespace az {
namespace {

const Game& Connect4() { return **FindGame("connect4"); }

HuntRequest Request(const std::string& players) {
  HuntRequest r;
  r.players = players;
  r.budget = 40;
  return r;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(HuntPlanTest, BadRequestsAreUsageErrors) {
  const Game& c4 = Connect4();
  struct Case {
    HuntRequest request;
    std::string fragment;
  };
  std::vector<Case> cases;
  cases.push_back({Request(""), "give one player"});
  cases.push_back({Request("uniform,solver"), "give one player"});
  cases.push_back({Request("human"), "no value to hunt"});
  cases.push_back({Request("bogus"), "bogus"});
  HuntRequest small = Request("uniform");
  small.budget = 5;
  cases.push_back({small, "--budget"});
  HuntRequest moves = Request("uniform");
  moves.player_moves = "greedy";
  cases.push_back({moves, "--player_moves"});
  HuntRequest confident = Request("uniform");
  confident.confident = 1.5;
  cases.push_back({confident, "--confident"});
  HuntRequest start = Request("uniform");
  start.start = "44";
  cases.push_back({start, "--start"});
  for (const Case& c : cases) {
    absl::StatusOr<HuntPlan> plan = PlanHunt(c4, c.request);
    ASSERT_FALSE(plan.ok()) << c.fragment;
    az::testing::ExpectOneLineExit("hunt", plan.status(), c.fragment);
  }
  absl::StatusOr<HuntPlan> othello =
      PlanHunt(**FindGame("othello"), Request("uniform"));
  ASSERT_FALSE(othello.ok());
  az::testing::ExpectOneLineExit("hunt", othello.status(), "no exact solver");
}

TEST(HuntPlanTest, TheSpecSetsTheSearchBudgetAndTheProfileTheMinimumPly) {
  absl::StatusOr<HuntPlan> plan = PlanHunt(Connect4(), Request("mcts:sims=30"));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->options.search_budget, 30);
  EXPECT_EQ(plan->options.min_ply, 12);
  EXPECT_EQ(plan->options.labels, 40);
  absl::StatusOr<HuntPlan> raw = PlanHunt(Connect4(), Request("uniform"));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->options.search_budget, 0);
}

// A hand-made result: the position file reads back as az gap reads it,
// with each find's exact score, and the directory holds the report.
TEST(HuntOutputTest, FoundPositionsReadBackAsAPositionSet) {
  const Game& game = Connect4();
  absl::StatusOr<HuntPlan> plan = PlanHunt(game, Request("uniform"));
  ASSERT_TRUE(plan.ok());
  analysis::HuntResult result;
  analysis::FoundPosition f;
  f.actions = *game.ParseMoves("4453");
  f.ply = 4;
  f.v = 0.95;
  f.q = 0.5;
  f.exact.reward = TerminalReward::Loss();
  f.exact.score = -2;
  f.hunter = Player::kSecond;
  f.player_line_probability = 0.25;
  result.hunter.found = {f};
  result.hunter.labels = 10;
  result.hunter.confident_wrong = 1;
  result.hunter.per_1000 = 100;
  result.random = analysis::StrategyResult();
  result.random->strategy = analysis::HuntStrategy::kRandom;
  result.random->labels = 10;
  const std::string dir = ::testing::TempDir() + "/hunt_out";
  std::filesystem::remove_all(dir);
  absl::StatusOr<std::string> note =
      WriteHuntDirectory(*plan, result, dir, "");
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_TRUE(absl::StrContains(*note, "pictures skipped"));
  absl::StatusOr<analysis::PositionSet> set =
      analysis::LoadPositionFileSet(game, dir + "/positions.txt");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->positions.size(), 1u);
  EXPECT_EQ(set->positions[0].actions, f.actions);
  EXPECT_EQ(set->positions[0].file_score, -2);
  const std::string md = ReadAll(dir + "/report.md");
  EXPECT_TRUE(absl::StrContains(md, "| hunter | 10 | 1 | 100.0 |")) << md;
  EXPECT_TRUE(absl::StrContains(md, "error-by-ply.png"));
  EXPECT_TRUE(absl::StrContains(ReadAll(dir + "/error-by-ply.dat"), "4 1.9500"));
  const nlohmann::json j = HuntJson(*plan, result);
  EXPECT_EQ(j["labels"], 10);
  EXPECT_EQ(j["confident_wrong_per_1000"], 100.0);
  EXPECT_TRUE(j["baselines"].contains("random"));
  EXPECT_EQ(j["positions"][0]["moves"], "4453");
  EXPECT_EQ(j["positions"][0]["hunter"], "second");
  EXPECT_EQ(j["positions"][0]["q"], 0.5);
}

// The binary end to end on tic-tac-toe: the exact solver is never wrong.
TEST(HuntCommandTest, TheSolverIsNeverConfidentlyWrong) {
  const auto r =
      az::testing::RunAz("hunt --game=tictactoe --players=solver --budget=50 "
                         "--json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["confident_wrong"], 0);
  EXPECT_EQ(j["labels"], 50);
  EXPECT_EQ(j["baselines"]["random"]["confident_wrong_per_1000"], 0.0);
  EXPECT_EQ(j["baselines"]["self"]["labels"], 50);
}

TEST(HuntCommandTest, BadFlagsExitTwoWithOneLine) {
  az::testing::ExpectOneLineError("hunt --game=othello --players=uniform",
                                  "no exact solver");
  az::testing::ExpectOneLineError(
      "hunt --game=connect4 --players=uniform --budget=x", "budget");
  az::testing::ExpectOneLineError("hunt --game=connect4 --players=net:/no/such",
                                  "/no/such");
}

}  // namespace
}  // namespace az
