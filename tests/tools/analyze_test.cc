// az analyze's parts in-process: the position, one search, and both
// reports.
#include "tools/analyze.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "engine/evaluators.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tools/command.h"

namespace az {
namespace {

const Game& GetGame(const char* name) { return **FindGame(name); }

void ExpectPositionError(const char* game, const std::string& moves,
                         const std::string& fragment) {
  auto state = PositionToAnalyze(GetGame(game), moves);
  ASSERT_FALSE(state.ok()) << moves;
  EXPECT_TRUE(IsUsageError(state.status())) << state.status();
  EXPECT_TRUE(absl::StartsWith(state.status().message(), "--position: "))
      << state.status();
  EXPECT_TRUE(absl::StrContains(state.status().message(), fragment))
      << state.status();
}

TEST(AnalyzeTest, ThePositionIsCheckedFirst) {
  ExpectPositionError("connect4", "4489", "move 3");
  ExpectPositionError("connect4", "1111111", "not a legal move");
  ExpectPositionError("tictactoe", "14253", "already over");
  auto state = PositionToAnalyze(GetGame("connect4"), "4453");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ((*state)->MoveNumber(), 4);
}

Analysis Analyze(const Game& game, const std::string& moves,
                 engine::Evaluator& evaluator, int sims) {
  engine::SearchParams params = engine::DefaultSearchParams(game);
  params.num_simulations = sims;
  auto analysis = AnalyzePosition(game, moves, *PositionToAnalyze(game, moves),
                                  evaluator, params);
  EXPECT_TRUE(analysis.ok()) << analysis.status();
  return analysis.ok() ? *std::move(analysis) : Analysis();
}

TEST(AnalyzeTest, TheSolverProvesTheRoot) {
  const Game& ttt = GetGame("tictactoe");
  auto solver = *engine::SolverEvaluator::Create(ttt);
  // X (first) holds 1 and 5, O holds 2 and 9: X wins with 4 or 7.
  Analysis analysis = Analyze(ttt, "1259", *solver, 200);
  nlohmann::json j = AnalysisJson(analysis);
  EXPECT_TRUE(j["proven"].get<bool>());
  EXPECT_EQ(j["exact"], 1);
  EXPECT_TRUE(j["best_move"] == "4" || j["best_move"] == "7") << j;
  EXPECT_EQ(j["evaluator"], "solver");
  EXPECT_EQ(j["position"], "1259");
  EXPECT_EQ(j["sims_requested"], 200);
  const std::string text = AnalysisText(analysis);
  EXPECT_TRUE(absl::StrContains(text,
                                "tictactoe after \"1259\" (4 plies), "
                                "evaluator solver"))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "proven: yes, ")) << text;
}

TEST(AnalyzeTest, ReportsHoldEveryMove) {
  const Game& c4 = GetGame("connect4");
  engine::UniformEvaluator uniform(c4);
  Analysis analysis = Analyze(c4, "44", uniform, 300);
  nlohmann::json j = AnalysisJson(analysis);
  for (const char* key : {"best_move", "q", "v", "proven", "exact", "visits",
                          "pv", "reward_share", "moves", "to_move"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["moves"].size(), 7u);
  EXPECT_TRUE(j["exact"].is_null());
  EXPECT_EQ(j["to_move"], "first");
  const std::string text = AnalysisText(analysis);
  for (const char* line :
       {"best move:", "q (search value", "v (evaluator", "proven: no",
        "reward/value share", "principal variation:", "visits"}) {
    EXPECT_TRUE(absl::StrContains(text, line)) << line << "\n" << text;
  }
}

TEST(AnalyzeTest, ASearchThatCannotBeSetUpIsAUsageError) {
  const Game& c4 = GetGame("connect4");
  engine::UniformEvaluator uniform(c4);
  engine::SearchParams params = engine::DefaultSearchParams(c4);
  params.num_simulations = -5;
  auto analysis =
      AnalyzePosition(c4, "", c4.NewInitialState(), uniform, params);
  ASSERT_FALSE(analysis.ok());
  EXPECT_TRUE(IsUsageError(analysis.status())) << analysis.status();
}

}  // namespace
}  // namespace az
