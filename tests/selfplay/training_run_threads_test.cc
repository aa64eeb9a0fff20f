// The training run in-process, with two actor threads, the trainer and the
// evaluation thread at once (the tsan preset runs this): the pace between
// self-play and training holds, reports add up, weights reach the inference
// server, and a stop from another thread ends the run with a checkpoint;
// a run resumes over shards of the previous version and damaged ones.
#include "selfplay/training_run.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "engine/evaluator.h"
#include "engine/search_params.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/network_builder.h"
#include "selfplay/record_io.h"
#include "selfplay/replay_buffer.h"
#include "selfplay/run_dir.h"
#include "tests/selfplay/legacy_shards.h"
#include "tests/selfplay/random_records.h"
#include "tests/test_util.h"

namespace az::selfplay {
namespace {

using ::az::testing::ReadFileBytes;

TrainingOptions SmallOptions(const Game& game, const std::string& dir) {
  TrainingOptions options;
  options.run_dir = dir;
  options.network = nn::NetworkConfig::ForGame(game, 1, 8);
  options.farm.search = engine::DefaultSearchParams(game);
  options.farm.search.num_simulations = 16;
  options.farm.search.root_noise = true;
  options.farm.actor_threads = 2;
  options.farm.games_per_thread = 8;
  options.farm.random_opening_moves = 2;
  options.inference.max_batch = 8;
  options.heldout_fraction = 0.1;
  options.games_per_shard = 50;
  options.replay.capacity_positions = 2000;
  options.replay.augment_symmetries = true;
  options.batch_size = 32;
  options.min_positions = 100;
  options.samples_per_position = 2;
  options.max_selfplay_lead = 300;
  options.publish_every_steps = 3;
  options.checkpoint_every_steps = 10;
  options.report_seconds = 0.2;
  options.eval_every_steps = 10;
  options.eval_games = 2;
  options.eval_sims = 8;
  options.eval_mcts_sims = 8;
  return options;
}

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  EXPECT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
  return dir;
}

TEST(TrainingRunThreadsTest, PaceReportsAndWeightsHoldTogether) {
  const Game& game = **FindGame("tictactoe");
  TrainingOptions options = SmallOptions(game, FreshDir("training_run_pace"));
  options.max_steps = 40;
  options.trainer.learning_rate = 1e-3;
  options.lr_anneal_fraction = 0.5;
  options.lr_final_fraction = 0.1;
  auto run = TrainingRun::Open(game, options);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_FALSE((*run)->resumed());
  std::vector<TrainingReport> reports;
  std::atomic<bool> stop{false};
  auto summary = (*run)->Run(stop, [&](const TrainingReport& r) {
    reports.push_back(r);
  });
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->final_step, 40);
  ASSERT_FALSE(reports.empty());
  const TrainingReport& last = reports.back();
  EXPECT_EQ(last.step, 40);
  EXPECT_EQ(last.games, summary->games);
  // The trainer never ran ahead of its pace: steps * batch <= S * positions
  // at every report. On the rules, reward and verdict never disagree.
  for (const TrainingReport& r : reports) {
    if (r.fresh_positions > 0) {
      EXPECT_EQ(r.reward_verdict_disagreement, 0.0);
      EXPECT_EQ(r.past_verdict_share, 0.0);
    }
    EXPECT_LE(r.step * options.batch_size,
              options.samples_per_position * r.positions + 1e-9)
        << "at step " << r.step;
    EXPECT_GE(r.games, r.heldout_games);
  }
  // The learning rate falls over the last half of the 40 steps: the last
  // step ran at the schedule's rate for 39 of 40 steps used.
  for (size_t i = 1; i < reports.size(); ++i) {
    EXPECT_LE(reports[i].learning_rate, reports[i - 1].learning_rate);
  }
  EXPECT_DOUBLE_EQ(last.learning_rate,
                   nn::ScheduledLearningRate({.base = 1e-3,
                                              .anneal_fraction = 0.5,
                                              .final_fraction = 0.1},
                                             39.0 / 40.0));
  EXPECT_LT(last.learning_rate, 1.1e-4);
  // Self-play games carry the weight versions the trainer published.
  int64_t newest_version = 0;
  auto shards = ListShards(RunPaths(options.run_dir).replay());
  ASSERT_TRUE(shards.ok());
  int64_t games_on_disk = 0;
  for (const std::string& shard : *shards) {
    auto contents = ReadShard(shard);
    ASSERT_TRUE(contents.ok());
    for (const GameRecord& record : contents->records) {
      newest_version = std::max(newest_version, record.weights_version);
      ++games_on_disk;
    }
  }
  auto heldout = ListShards(RunPaths(options.run_dir).heldout());
  ASSERT_TRUE(heldout.ok());
  for (const std::string& shard : *heldout) {
    games_on_disk += ReadShard(shard)->records.size();
  }
  EXPECT_EQ(games_on_disk, summary->games);
  EXPECT_GT(newest_version, 0);
  EXPECT_GT(last.weight_version, 0);
  auto checkpoints = ListCheckpoints(options.run_dir);
  ASSERT_TRUE(checkpoints.ok());
  EXPECT_EQ(checkpoints->back().step, 40);
}

// A run on `no_diagonals` plays its games past the rules' diagonal wins:
// they are stored under the spec, and the reports count how often the pay
// disagreed with the rules, as the shards say it did.
TEST(TrainingRunThreadsTest, AProxyRunReportsWhereItsRewardDisagrees) {
  const Game& game = **FindGameWithReward("tictactoe", "no_diagonals");
  TrainingOptions options = SmallOptions(game, FreshDir("training_run_proxy"));
  options.max_steps = 10;
  options.eval_every_steps = 0;
  auto run = TrainingRun::Open(game, options);
  ASSERT_TRUE(run.ok()) << run.status();
  std::vector<TrainingReport> reports;
  std::atomic<bool> stop{false};
  ASSERT_TRUE(
      (*run)->Run(stop, [&](const TrainingReport& r) { reports.push_back(r); })
          .ok());
  double disagreeing_reports = 0;
  for (const TrainingReport& r : reports) {
    if (r.fresh_positions == 0) continue;
    EXPECT_GE(r.reward_verdict_disagreement, 0.0);
    EXPECT_LE(r.reward_verdict_disagreement, 1.0);
    EXPECT_GE(r.past_verdict_share, 0.0);
    EXPECT_LT(r.past_verdict_share, 1.0);
    if (r.reward_verdict_disagreement > 0) ++disagreeing_reports;
  }
  int64_t games = 0, disagreeing = 0;
  auto shards = ListShards(RunPaths(options.run_dir).replay());
  ASSERT_TRUE(shards.ok());
  for (const std::string& shard : *shards) {
    auto contents = ReadShard(shard);
    ASSERT_TRUE(contents.ok());
    for (const GameRecord& record : contents->records) {
      EXPECT_EQ(record.reward, "no_diagonals");
      ASSERT_TRUE(ValidateGameRecord(game, record).ok());
      ++games;
      disagreeing += RewardDisagreesWithVerdict(record) ? 1 : 0;
    }
  }
  ASSERT_GT(games, 20);
  // Near-random tic-tac-toe often completes a diagonal.
  EXPECT_GT(disagreeing, 0);
  EXPECT_GT(disagreeing_reports, 0);
}

TEST(TrainingRunThreadsTest, StopFromAnotherThreadEndsWithACheckpoint) {
  const Game& game = **FindGame("tictactoe");
  TrainingOptions options =
      SmallOptions(game, FreshDir("training_run_stop"));
  auto run = TrainingRun::Open(game, options);
  ASSERT_TRUE(run.ok()) << run.status();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> reported_step{0};
  std::thread stopper([&] {
    // Stop once training is under way.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (reported_step.load() < 15 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop = true;
  });
  auto summary = (*run)->Run(stop, [&](const TrainingReport& r) {
    reported_step = r.step;
  });
  stopper.join();
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_GE(summary->final_step, 15);
  auto latest = LatestCheckpoint(options.run_dir);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, RunPaths(options.run_dir).checkpoint(summary->final_step));

  // Reopened, the run resumes at that step with its games.
  run->reset();
  auto again = TrainingRun::Open(game, options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE((*again)->resumed());
  EXPECT_EQ((*again)->step(), summary->final_step);
}

// The optimizer state only saves Adam's moments; weights and games are
// intact without it. So a damaged one costs a warning and a fresh
// optimizer, like a missing one, never the resume.
TEST(TrainingRunThreadsTest, ADamagedOptimizerStateFallsBackToAFreshOptimizer) {
  const Game& game = **FindGame("tictactoe");
  TrainingOptions options = SmallOptions(game, FreshDir("training_run_opt"));
  options.max_steps = 20;
  {
    auto run = TrainingRun::Open(game, options);
    ASSERT_TRUE(run.ok()) << run.status();
    std::atomic<bool> stop{false};
    auto summary = (*run)->Run(stop, [](const TrainingReport&) {});
    ASSERT_TRUE(summary.ok()) << summary.status();
    ASSERT_EQ(summary->final_step, 20);
  }
  const RunPaths paths(options.run_dir);
  const std::string opt = paths.optimizer_state(20);
  const std::string good = ReadFileBytes(opt);
  ASSERT_GT(good.size(), 100u);
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x20;
  const struct {
    const char* what;
    std::string bytes;
  } damaged[] = {
      {"a flipped byte", flipped},
      {"cut in half", good.substr(0, good.size() / 2)},
      {"empty", ""},
      // Whole and checksummed, but the state of step 10 under step 20's name.
      {"another step's state", ReadFileBytes(paths.optimizer_state(10))},
  };
  for (const auto& d : damaged) {
    ASSERT_TRUE(std::filesystem::exists(paths.optimizer_state(10)));
    std::ofstream(opt, std::ios::binary | std::ios::trunc) << d.bytes;
    auto again = TrainingRun::Open(game, options);
    ASSERT_TRUE(again.ok()) << d.what << ": " << again.status();
    EXPECT_TRUE((*again)->resumed()) << d.what;
    EXPECT_EQ((*again)->step(), 20) << d.what;
  }
}

// A run of the previous az (version 2 shards) resumes, and a shard whose
// header is damaged (here among the held-out games, which only the count of
// games reads) is skipped rather than a reason to refuse the run.
TEST(TrainingRunThreadsTest, ResumesOverOldAndDamagedShards) {
  const Game& game = **FindGame("tictactoe");
  TrainingOptions options = SmallOptions(game, FreshDir("training_run_old"));
  {
    auto run = TrainingRun::Open(game, options);
    ASSERT_TRUE(run.ok()) << run.status();
  }
  const RunPaths paths(options.run_dir);
  std::vector<GameRecord> old_games;
  for (int g = 0; g < 3; ++g) {
    old_games.push_back(testing::RandomGameRecord(game, 70 + g));
  }
  std::ofstream(paths.replay() + "/" + ShardFileName(0), std::ios::binary)
      << testing::LegacyShardBytes(2, game.Name(), old_games);
  const std::string damaged = paths.heldout() + "/" + ShardFileName(0);
  {
    auto writer = ShardWriter::Open(damaged, game.Name());
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->Append(testing::RandomGameRecord(game, 80)).ok());
  }
  {
    std::fstream file(damaged,
                      std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(11);  // the version field's top byte
    file.put('\x01');
  }
  auto run = TrainingRun::Open(game, options);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE((*run)->resumed());
  EXPECT_NE((*run)->DescribeStart().find("3 games (0 held out)"),
            std::string::npos)
      << (*run)->DescribeStart();
}

TEST(TrainingRunThreadsTest, RefusesAnotherShapeAndInconsistentOptions) {
  const Game& game = **FindGame("tictactoe");
  TrainingOptions options = SmallOptions(game, FreshDir("training_run_shape"));
  options.max_steps = 1;
  {
    auto run = TrainingRun::Open(game, options);
    ASSERT_TRUE(run.ok()) << run.status();
  }
  TrainingOptions other = options;
  other.network = nn::NetworkConfig::ForGame(game, 2, 8);
  auto refused = TrainingRun::Open(game, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("shape cannot change"),
            std::string::npos)
      << refused.status();
  TrainingOptions bad = options;
  bad.max_selfplay_lead = bad.min_positions;  // training could never start
  EXPECT_EQ(TrainingRun::Open(game, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TrainingRunThreadsTest, ASecondRunOnTheSameDirectoryIsRefusedUntouched) {
  const Game& game = **FindGame("tictactoe");
  TrainingOptions options = SmallOptions(game, FreshDir("training_run_lock"));
  auto first = TrainingRun::Open(game, options);
  ASSERT_TRUE(first.ok()) << first.status();
  const RunPaths paths(options.run_dir);
  const std::string metrics = ReadFileBytes(paths.metrics());
  const std::string latest = ReadFileBytes(paths.latest_pointer());
  auto second = TrainingRun::Open(game, options);
  ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition)
      << second.status();
  EXPECT_NE(second.status().message().find("in use by process"),
            std::string::npos)
      << second.status();
  EXPECT_EQ(ReadFileBytes(paths.metrics()), metrics);
  EXPECT_EQ(ReadFileBytes(paths.latest_pointer()), latest);
  // Once the first one is gone the run opens (and resumes) again.
  first->reset();
  auto third = TrainingRun::Open(game, options);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_TRUE((*third)->resumed());
}

// Passes the calls of the first thread that calls it (the healthy actor)
// through; the other actor thread, after a few good calls, waits until the
// healthy one has gone quiet (paused in the sink until the trainer catches
// up) and then fails.
class FailingActorEvaluator : public engine::Evaluator {
 public:
  explicit FailingActorEvaluator(engine::Evaluator* inner) : inner_(inner) {}
  std::string Name() const override { return "failing"; }
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<engine::LeafEvaluation> results) override {
    using Clock = std::chrono::steady_clock;
    const std::thread::id me = std::this_thread::get_id();
    bool healthy;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!healthy_) healthy_ = me;
      healthy = *healthy_ == me;
      if (healthy) last_healthy_call_ = Clock::now();
    }
    if (healthy || good_calls_.fetch_add(1) < 200) {
      absl::Status status = inner_->Evaluate(states, priors, results);
      std::lock_guard<std::mutex> lock(mu_);
      if (healthy) last_healthy_call_ = Clock::now();
      return status;
    }
    const auto give_up = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < give_up) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (Clock::now() - last_healthy_call_ > std::chrono::milliseconds(30)) {
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return absl::InternalError("injected evaluator failure");
  }

 private:
  engine::Evaluator* inner_;
  std::mutex mu_;
  std::optional<std::thread::id> healthy_;
  std::chrono::steady_clock::time_point last_healthy_call_;
  std::atomic<int> good_calls_{0};
};

TEST(TrainingRunThreadsTest, AnActorFailureEndsTheRunWhileAnotherIsPaused) {
  const Game& game = **FindGame("tictactoe");
  TrainingOptions options = SmallOptions(game, FreshDir("training_run_fail"));
  // Self-play far ahead of a slow trainer: the healthy actor spends most
  // of its time paused in the sink.
  options.batch_size = 64;
  options.min_positions = 100;
  options.samples_per_position = 256;
  options.max_selfplay_lead = 120;
  options.eval_every_steps = 0;
  options.wrap_selfplay_evaluator = [](engine::Evaluator* server) {
    return std::make_unique<FailingActorEvaluator>(server);
  };
  auto run = TrainingRun::Open(game, options);
  ASSERT_TRUE(run.ok()) << run.status();
  std::atomic<bool> stop{false};
  std::promise<absl::Status> ended;
  std::future<absl::Status> result = ended.get_future();
  std::thread runner([&] {
    ended.set_value((*run)->Run(stop, nullptr).status());
  });
  if (result.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    // The run hangs: nothing can join it, so the test process ends here.
    std::fprintf(stderr,
                 "FAILED: the run did not end 60 s after an actor failed "
                 "(a waiter was never released)\n");
    std::fflush(stderr);
    std::_Exit(1);
  }
  runner.join();
  const absl::Status status = result.get();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("injected evaluator failure"),
            std::string::npos)
      << status;
}

}  // namespace
}  // namespace az::selfplay
