// The training run's single-threaded edges: the metrics.csv layout, what
// Open() leaves in a new run directory and finds in an existing one, and a
// session stopped before it starts (which still ends with a metrics row).
// The threads test covers a run that plays and trains.
#include "selfplay/training_run.h"

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/search_params.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/network_config.h"
#include "selfplay/run_dir.h"
#include "tests/test_util.h"

namespace az::selfplay {
namespace {

using ::az::testing::ReadFileBytes;

constexpr char kMetricsHeader[] =
    "elapsed_s,session_s,step,games,positions,heldout_games,buffer_positions,"
    "policy_loss,value_loss,v_z_mse,q_z_mse,fresh_positions,"
    "reward_verdict_disagreement,past_verdict_share,games_per_s,"
    "positions_per_s,steps_per_s,nn_evals_per_s,mean_batch,batch_fill,"
    "samples_per_position,weight_version,precision,learning_rate,eval_step,"
    "eval_games,eval_win_vs_random,eval_score_vs_random,eval_win_vs_mcts,"
    "eval_score_vs_mcts,rejected_games,version_lag";

TrainingOptions TinyOptions(const Game& game, const std::string& dir) {
  TrainingOptions options;
  options.run_dir = dir;
  options.network = nn::NetworkConfig::ForGame(game, 1, 8);
  options.farm.search = engine::DefaultSearchParams(game);
  options.farm.search.num_simulations = 8;
  options.farm.games_per_thread = 2;
  options.inference.max_batch = 2;
  options.replay.capacity_positions = 200;
  options.batch_size = 8;
  options.min_positions = 50;
  options.max_selfplay_lead = 100;
  return options;
}

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  EXPECT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
  return dir;
}

TEST(TrainingRunTest, MetricsColumnsAreTheFileLayout) {
  EXPECT_EQ(absl::StrJoin(MetricsColumns(), ","), kMetricsHeader);
}

TEST(TrainingRunTest, NeedsARunDirectory) {
  const Game& game = **FindGame("tictactoe");
  const auto run = TrainingRun::Open(game, TinyOptions(game, ""));
  EXPECT_EQ(run.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run.status().message(), "a training run needs --run_dir");
}

TEST(TrainingRunTest, ANewRunStartsAtStepZeroAndIsResumedWhenOpenedAgain) {
  const Game& game = **FindGame("tictactoe");
  const TrainingOptions options =
      TinyOptions(game, FreshDir("training_run_open"));
  const RunPaths paths(options.run_dir);
  {
    auto run = TrainingRun::Open(game, options);
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_FALSE((*run)->resumed());
    EXPECT_EQ((*run)->step(), 0);
    EXPECT_EQ((*run)->DescribeStart().rfind("starting ", 0), 0u)
        << (*run)->DescribeStart();
    // The header only, and the first checkpoint with its pointer.
    EXPECT_EQ(ReadFileBytes(paths.metrics()),
              std::string(kMetricsHeader) + "\n");
    auto latest = LatestCheckpoint(paths.root);
    ASSERT_TRUE(latest.ok()) << latest.status();
    EXPECT_EQ(*latest, paths.checkpoint(0));
  }
  auto again = TrainingRun::Open(game, options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE((*again)->resumed());
  EXPECT_EQ((*again)->DescribeStart().rfind("resuming ", 0), 0u)
      << (*again)->DescribeStart();
}

TEST(TrainingRunTest, ASessionStoppedAtOnceEndsWithOneMetricsRow) {
  const Game& game = **FindGame("tictactoe");
  const TrainingOptions options =
      TinyOptions(game, FreshDir("training_run_stopped"));
  auto run = TrainingRun::Open(game, options);
  ASSERT_TRUE(run.ok()) << run.status();
  const std::atomic<bool> stop{true};
  int reports = 0;
  auto summary = (*run)->Run(stop, [&](const TrainingReport& r) {
    ++reports;
    EXPECT_EQ(r.step, 0);
    EXPECT_FALSE(r.evaluation.has_value());
  });
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->start_step, 0);
  EXPECT_EQ(summary->final_step, 0);
  EXPECT_EQ(summary->final_checkpoint, RunPaths(options.run_dir).checkpoint(0));
  EXPECT_EQ(reports, 1);

  const std::vector<std::string> lines =
      absl::StrSplit(ReadFileBytes(RunPaths(options.run_dir).metrics()), '\n');
  ASSERT_EQ(lines.size(), 3u);  // header, one row, the final newline
  EXPECT_EQ(lines[0], kMetricsHeader);
  EXPECT_EQ(lines[2], "");
  const std::vector<std::string> row = absl::StrSplit(lines[1], ',');
  ASSERT_EQ(row.size(), MetricsColumns().size());
  auto value = [&](const std::string& column) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (MetricsColumns()[i] == column) return row[i];
    }
    ADD_FAILURE() << "no column " << column;
    return std::string();
  };
  EXPECT_EQ(value("step"), "0");
  EXPECT_EQ(value("precision"), "fp32");
  // No training step since the previous report: no loss, not a zero.
  EXPECT_EQ(value("policy_loss"), "");
  EXPECT_EQ(value("eval_step"), "");
  EXPECT_EQ(value("eval_score_vs_mcts"), "");
  // No remote actors: none rejected, no version lag.
  EXPECT_EQ(value("rejected_games"), "0");
  EXPECT_EQ(value("version_lag"), "");
}

// The precision column says what the actors' network runs at, not a
// constant: a bf16 run on the fast backend writes bf16.
TEST(TrainingRunTest, TheMetricsRowNamesThePrecisionSelfPlayRunsAt) {
  const Game& game = **FindGame("tictactoe");
  TrainingOptions options = TinyOptions(game, FreshDir("training_run_bf16"));
  options.inference.inference.backend = "fast";
  options.inference.inference.precision = nn::Precision::kBFloat16;
  auto run = TrainingRun::Open(game, options);
  if (!run.ok()) {
    GTEST_SKIP() << "bf16 on the fast backend does not run here: "
                 << run.status();
  }
  const std::atomic<bool> stop{true};
  ASSERT_TRUE((*run)->Run(stop, [](const TrainingReport&) {}).ok());
  const std::vector<std::string> lines =
      absl::StrSplit(ReadFileBytes(RunPaths(options.run_dir).metrics()), '\n');
  ASSERT_GE(lines.size(), 2u);
  const std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  const std::vector<std::string> row = absl::StrSplit(lines[1], ',');
  ASSERT_EQ(header.size(), row.size());
  int found = 0;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] != "precision") continue;
    ++found;
    EXPECT_EQ(row[i], "bf16");
  }
  EXPECT_EQ(found, 1);
}

}  // namespace
}  // namespace az::selfplay
