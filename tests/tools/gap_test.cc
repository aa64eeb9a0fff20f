// az gap's parts in-process: the request checked and resolved into a plan,
// the label cache's place, a spec's budgets, and one small measurement.
#include "tools/gap.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/match.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "selfplay/run_dir.h"
#include "tools/command.h"

namespace az {
namespace {

const Game& GetGame(const char* name) { return **FindGame(name); }

GapRequest SolverOnRandom() {
  GapRequest request;
  request.players = "solver";
  request.generate = "random:10";
  return request;
}

// The plan's error for `request` on tictactoe: a usage error, one line.
std::string PlanError(const GapRequest& request) {
  absl::StatusOr<GapPlan> plan = PlanGap(GetGame("tictactoe"), request);
  EXPECT_FALSE(plan.ok());
  if (plan.ok()) return "";
  EXPECT_TRUE(IsUsageError(plan.status())) << plan.status();
  EXPECT_FALSE(absl::StrContains(plan.status().message(), "\n"));
  return std::string(plan.status().message());
}

TEST(GapPlanTest, DefaultsPerGameAndAtFullStrength) {
  GapRequest request = SolverOnRandom();
  request.budgets = "400,0,50,400";
  request.seed = 9;
  request.generate = "random:10,random:5:plies=2-3";
  absl::StatusOr<GapPlan> plan = PlanGap(GetGame("connect4"), request);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->budgets, (std::vector<int>{50, 400}));
  EXPECT_EQ(plan->threads, 2);
  EXPECT_EQ(plan->inference.clients, 2);
  // Connect Four's profile leaves out the openings; a generator with its
  // own plies keeps them.
  EXPECT_EQ(plan->min_ply, 12);
  ASSERT_EQ(plan->generators.size(), 2u);
  EXPECT_EQ(plan->generators[0].min_ply, 12);
  EXPECT_EQ(plan->generators[1].min_ply, 2);
  EXPECT_EQ(plan->generators[1].max_ply, 3);
  EXPECT_FALSE(plan->search.root_noise);
  EXPECT_EQ(plan->search.temperature_moves, 0);
  EXPECT_EQ(plan->search.num_threads, 1);
  EXPECT_EQ(plan->search.seed, 9u);
  ASSERT_EQ(plan->players.size(), 1u);
  EXPECT_EQ(plan->players[0].name, "solver");
  EXPECT_EQ(plan->players[0].spec.kind, selfplay::SpecKind::kSolver);

  request.min_ply = 3;
  request.threads = 5;
  plan = PlanGap(GetGame("connect4"), request);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->min_ply, 3);
  EXPECT_EQ(plan->threads, 5);
  plan = PlanGap(GetGame("tictactoe"), SolverOnRandom());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->min_ply, 0);
}

TEST(GapPlanTest, ARunAddsItsCheckpointsAndHeldOutGames) {
  const std::string run = ::testing::TempDir() + "/gap_plan_run";
  std::filesystem::remove_all(run);
  selfplay::RunPaths paths(run);
  std::filesystem::create_directories(paths.checkpoints());
  std::filesystem::create_directories(paths.heldout());
  for (int step : {50, 0}) {
    std::ofstream(paths.checkpoints() + "/" +
                  selfplay::CheckpointFileName(step));
  }
  GapRequest request = SolverOnRandom();
  request.run = run;
  request.sets = "a.txt";
  absl::StatusOr<GapPlan> plan = PlanGap(GetGame("tictactoe"), request);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->set_names,
            (std::vector<std::string>{"heldout:" + run, "a.txt"}));
  ASSERT_EQ(plan->players.size(), 3u);
  EXPECT_EQ(plan->players[1].name, "run:" + run + "@step-0");
  EXPECT_EQ(plan->players[1].step, 0);
  EXPECT_EQ(plan->players[2].step, 50);
  EXPECT_EQ(plan->players[2].spec.kind, selfplay::SpecKind::kNet);
  EXPECT_TRUE(plan->players[2].spec.learned());
  EXPECT_EQ(plan->players[2].spec.path,
            paths.checkpoints() + "/" + selfplay::CheckpointFileName(50));
}

TEST(GapPlanTest, BadRequestsAreUsageErrors) {
  GapRequest r = SolverOnRandom();
  r.budgets = "ten";
  EXPECT_EQ(PlanError(r),
            "--budgets=ten: expected simulation counts >= 0, comma-separated");
  r = SolverOnRandom();
  r.worst = -1;
  EXPECT_EQ(PlanError(r), "--worst must be >= 0");
  r = SolverOnRandom();
  r.agreement_band = 1.0;
  EXPECT_EQ(PlanError(r), "--agreement_band must be in [0, 1)");
  r = SolverOnRandom();
  r.resamples = 99;
  EXPECT_EQ(PlanError(r),
            "--resamples must be >= 100 for a 95% interval (got 99)");
  r = SolverOnRandom();
  r.playout = -1;
  EXPECT_EQ(PlanError(r), "--playout must be >= 0");
  r = SolverOnRandom();
  r.threads = -1;
  EXPECT_EQ(PlanError(r), "--threads must be >= 0");
  r = SolverOnRandom();
  r.max_positions = -1;
  EXPECT_EQ(PlanError(r), "--max_positions must not be negative");
  r = SolverOnRandom();
  r.start = "5";
  EXPECT_TRUE(absl::StrContains(PlanError(r), "--start is not used"));
  r = SolverOnRandom();
  r.players = ",";
  EXPECT_TRUE(absl::StartsWith(PlanError(r), "nothing to measure"));
  r = SolverOnRandom();
  r.generate = "";
  EXPECT_TRUE(absl::StartsWith(PlanError(r), "no position set"));
  r = SolverOnRandom();
  r.generate = "uniform:3";
  EXPECT_TRUE(absl::StrContains(PlanError(r), "unknown generator"));
  r = SolverOnRandom();
  r.run = "/nonexistent/run";
  EXPECT_TRUE(absl::StartsWith(PlanError(r), "--run=/nonexistent/run: "));
  for (const char* player : {"human", "random"}) {
    r = SolverOnRandom();
    r.players = absl::StrCat("solver,", player);
    EXPECT_EQ(PlanError(r),
              absl::StrCat("player \"", player,
                           "\" has no value to measure (measure solver, "
                           "uniform, mcts, net:PATH or run:DIR)"));
  }
  r = SolverOnRandom();
  r.players = "mcts:sims=x";
  EXPECT_EQ(PlanError(r),
            "player \"mcts:sims=x\": sims must be a whole number (got \"x\")");
}

TEST(GapPlanTest, ASpecsSimsReplaceTheBudgets) {
  const std::vector<int> defaults = {50, 400};
  auto budgets = [&](const char* text) {
    return BudgetsOf(*selfplay::ParseSpec(text, selfplay::SpecRole::kMeasured),
                     defaults);
  };
  EXPECT_EQ(budgets("mcts"), defaults);
  EXPECT_EQ(budgets("uniform"), defaults);
  EXPECT_EQ(budgets("mcts:c_init=2:sims=12"), (std::vector<int>{12}));
  EXPECT_EQ(budgets("net:x:raw"), std::vector<int>());
  EXPECT_EQ(budgets("net:x:sims=0"), std::vector<int>());
}

TEST(GapPlanTest, LabelCachePaths) {
  analysis::PositionSet set;
  set.name = "heldout:/runs/a b";
  set.default_label_cache = "/runs/a b/heldout/gap-labels";
  EXPECT_EQ(LabelCachePath(set, "beside"), "/runs/a b/heldout/gap-labels");
  EXPECT_EQ(LabelCachePath(set, "off"), "");
  EXPECT_EQ(LabelCachePath(set, "/cache"),
            "/cache/heldout__runs_a_b.gap-labels");
  // Another reward spec's labels sit beside the rules', never over them.
  set.game = *FindGameWithReward("tictactoe", "no_diagonals");
  EXPECT_EQ(LabelCachePath(set, "beside"),
            "/runs/a b/heldout/gap-labels.no_diagonals");
  EXPECT_EQ(LabelCachePath(set, "/cache"),
            "/cache/heldout__runs_a_b.no_diagonals.gap-labels");
  set.game = *FindGame("tictactoe");
  EXPECT_EQ(LabelCachePath(set, "beside"), "/runs/a b/heldout/gap-labels");
  set.name = std::string(100, 'x');
  EXPECT_EQ(LabelCachePath(set, "/cache"),
            "/cache/" + std::string(60, 'x') + ".gap-labels");
}

TEST(GapMeasureTest, TheSolverHasNoGap) {
  GapRequest request = SolverOnRandom();
  request.players = "solver,uniform";
  request.budgets = "0,8";
  request.resamples = 100;
  request.generate = "random:20";
  absl::StatusOr<GapPlan> plan = PlanGap(GetGame("tictactoe"), request);
  ASSERT_TRUE(plan.ok()) << plan.status();
  absl::StatusOr<analysis::GapReport> report = MeasureGaps(*plan);
  ASSERT_TRUE(report.ok()) << report.status();
  absl::StatusOr<GapOutput> output = RenderGapReport(*report, "", true);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_TRUE(output->note.empty());
  nlohmann::json j = nlohmann::json::parse(output->text);
  ASSERT_EQ(j["sets"].size(), 2u);
  EXPECT_EQ(j["sets"][0]["player"], "solver");
  EXPECT_EQ(j["sets"][0]["value"]["mse"], 0.0);
  EXPECT_EQ(j["sets"][0]["search_8"]["mse"], 0.0);
  EXPECT_EQ(j["sets"][1]["player"], "uniform");
  EXPECT_GT(j["sets"][1]["value"]["mse"].get<double>(), 0.0);
  absl::StatusOr<GapOutput> table = RenderGapReport(*report, "", false);
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE(absl::StrContains(table->text, "player uniform")) << table->text;
}

TEST(GapMeasureTest, APlayerThatCannotBeMadeNamesItself) {
  GapRequest request = SolverOnRandom();
  request.players = "net:/missing.ckpt";
  request.budgets = "0";
  request.resamples = 100;
  absl::StatusOr<GapPlan> plan = PlanGap(GetGame("tictactoe"), request);
  ASSERT_TRUE(plan.ok()) << plan.status();
  absl::StatusOr<analysis::GapReport> report = MeasureGaps(*plan);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StartsWith(report.status().message(),
                               "player \"net:/missing.ckpt\": "))
      << report.status();
}

}  // namespace
}  // namespace az
