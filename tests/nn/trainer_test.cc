#include "nn/trainer.h"

#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <utility>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/fast_forward.h"
#include "nn/torch_trainer.h"
#include "tests/child_process.h"
#include "tests/nn/test_networks.h"

namespace az::nn {
namespace {

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/trainer_" + std::to_string(getpid()) + "_" +
         name;
}

// Tic-tac-toe positions with uniform policies over their legal actions and
// one-hot WDL targets drawn at random: a fixed batch for the net to fit.
struct Batch {
  std::vector<float> observations, policy, wdl;
  TrainingBatch view;
};

Batch TicTacToeBatch(int size, uint64_t seed) {
  const Game& game = **FindGame("tictactoe");
  const int obs_size = game.GetObservationShape().size();
  const int actions = game.NumActions();
  auto positions = testing::RandomPositions(game, size, seed);
  CHECK_EQ(static_cast<int>(positions.size()), size);
  Batch b;
  b.observations.resize(size * obs_size);
  b.policy.assign(size * actions, 0.0f);
  b.wdl.assign(size * 3, 0.0f);
  std::mt19937 rng(seed);
  for (int i = 0; i < size; ++i) {
    positions[i]->EncodeObservation(b.observations.data() + i * obs_size);
    auto legal = positions[i]->LegalActions();
    for (Action a : legal) b.policy[i * actions + a] = 1.0f / legal.size();
    b.wdl[i * 3 + rng() % 3] = 1.0f;
  }
  b.view = TrainingBatch{
      size,        obs_size, actions, b.observations.data(), b.policy.data(),
      b.wdl.data()};
  return b;
}

Checkpoint Start() {
  return testing::RandomCheckpoint("tictactoe", /*blocks=*/1, /*channels=*/8,
                                   /*seed=*/7, /*weight_version=*/1);
}

std::unique_ptr<Trainer> NewTrainer(const Checkpoint& start,
                                    TrainerOptions options = {}) {
  auto trainer = CreateTrainer(start, options);
  CHECK(trainer.ok()) << trainer.status();
  return std::move(*trainer);
}

TEST(TrainerTest, LossFallsOnAFixedBatch) {
  torch::manual_seed(1);
  Batch batch = TicTacToeBatch(32, 3);
  auto trainer = NewTrainer(Start());
  std::vector<double> totals;
  for (int i = 0; i < 50; ++i) {
    auto stats = trainer->Step(batch.view);
    ASSERT_TRUE(stats.ok()) << stats.status();
    ASSERT_TRUE(std::isfinite(stats->policy_loss + stats->value_loss));
    EXPECT_GE(stats->seconds, 0);
    totals.push_back(stats->policy_loss + stats->value_loss);
  }
  LOG(INFO) << "total loss " << totals.front() << " -> " << totals.back();
  EXPECT_LT(totals.back(), 0.8 * totals.front());
}

TEST(TrainerTest, SnapshotGivesTheTrainedNetworkToFastForward) {
  Batch batch = TicTacToeBatch(16, 4);
  auto trainer = TorchTrainer::Create(Start(), TrainerOptions{});
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*trainer)->Step(batch.view).ok());
  auto snapshot = (*trainer)->Snapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_TRUE(snapshot->metadata.config.SameShape(Start().metadata.config));
  auto fast = FastForward::Create(*snapshot);
  ASSERT_TRUE(fast.ok()) << fast.status();

  const int n = batch.view.size, actions = batch.view.num_actions;
  std::vector<float> policy(n * actions), wdl(n * 3);
  (*fast)->Forward(batch.observations.data(), n, policy.data(), wdl.data());
  ResNet& net = (*trainer)->module();
  net->eval();
  torch::NoGradGuard no_grad;
  const NetworkConfig& c = net->config();
  PolicyValueOutput out = net->forward(
      torch::from_blob(batch.observations.data(),
                       {n, c.input_planes, c.board_height, c.board_width}));
  net->train();
  for (int i = 0; i < n * actions; ++i) {
    ASSERT_NEAR(policy[i], out.policy_logits.flatten()[i].item<float>(), 1e-4)
        << i;
  }
  for (int i = 0; i < n * 3; ++i) {
    ASSERT_NEAR(wdl[i], out.wdl_logits.flatten()[i].item<float>(), 1e-4) << i;
  }
}

TEST(TrainerTest, CountsStepsAndWeightVersions) {
  Checkpoint start = Start();
  ASSERT_EQ(start.metadata.training_step, 10);
  auto trainer = NewTrainer(start);
  EXPECT_EQ(trainer->step(), 10);
  Batch batch = TicTacToeBatch(8, 5);
  for (int i = 1; i <= 3; ++i) {
    auto stats = trainer->Step(batch.view);
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->step, 10 + i);
  }
  EXPECT_EQ(trainer->step(), 13);
  auto first = trainer->Snapshot();
  auto second = trainer->Snapshot();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->metadata.training_step, 13);
  EXPECT_EQ(first->metadata.weight_version, 2);
  EXPECT_EQ(second->metadata.weight_version, 3);
  // The weights moved away from the start.
  EXPECT_NE(first->tensors[0].values, start.tensors[0].values);
}

TEST(TrainerTest, ResumingFromSnapshotAndOptimizerStateIsExact) {
  torch::manual_seed(2);
  TrainerOptions options;
  options.threads = 1;
  Batch batch = TicTacToeBatch(16, 6);
  auto uninterrupted = NewTrainer(Start(), options);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(uninterrupted->Step(batch.view).ok());
  const std::string path = TempPath("resume.opt");
  ASSERT_TRUE(uninterrupted->SaveOptimizerState(path).ok());
  auto snapshot = uninterrupted->Snapshot();
  ASSERT_TRUE(snapshot.ok());

  auto resumed = NewTrainer(*snapshot, options);
  absl::Status loaded = resumed->LoadOptimizerState(path);
  ASSERT_TRUE(loaded.ok()) << loaded;
  EXPECT_EQ(resumed->step(), uninterrupted->step());
  // Without the optimizer state the moments restart and the steps differ.
  auto fresh = NewTrainer(*snapshot, options);
  bool fresh_differs = false;
  for (int i = 0; i < 3; ++i) {
    auto a = uninterrupted->Step(batch.view);
    auto b = resumed->Step(batch.view);
    auto f = fresh->Step(batch.view);
    ASSERT_TRUE(a.ok() && b.ok() && f.ok());
    EXPECT_EQ(a->policy_loss, b->policy_loss) << "step " << i;
    EXPECT_EQ(a->value_loss, b->value_loss) << "step " << i;
    EXPECT_EQ(a->step, b->step);
    if (i > 0 && f->policy_loss != a->policy_loss) fresh_differs = true;
  }
  EXPECT_TRUE(fresh_differs);
  auto x = uninterrupted->Snapshot(), y = resumed->Snapshot();
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_EQ(x->tensors[0].values, y->tensors[0].values);
  std::remove(path.c_str());
}

TEST(TrainerTest, RefusesBatchesOfTheWrongShape) {
  auto trainer = NewTrainer(Start());
  Batch batch = TicTacToeBatch(4, 7);
  TrainingBatch bad = batch.view;
  bad.size = 0;
  EXPECT_EQ(trainer->Step(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = batch.view;
  bad.observation_size += 1;
  EXPECT_EQ(trainer->Step(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = batch.view;
  bad.num_actions = 7;
  EXPECT_EQ(trainer->Step(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad = batch.view;
  bad.wdl_targets = nullptr;
  EXPECT_EQ(trainer->Step(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(trainer->step(), 10);  // nothing was taken
  EXPECT_TRUE(trainer->Step(batch.view).ok());
}

TEST(TrainerTest, OptimizerStateErrorsAreStatusesNotCrashes) {
  auto trainer = NewTrainer(Start());
  Batch batch = TicTacToeBatch(4, 8);
  ASSERT_TRUE(trainer->Step(batch.view).ok());
  EXPECT_EQ(trainer->LoadOptimizerState(TempPath("missing.opt")).code(),
            absl::StatusCode::kNotFound);

  const std::string path = TempPath("good.opt");
  ASSERT_TRUE(trainer->SaveOptimizerState(path).ok());
  std::ifstream in(path, std::ios::binary);
  std::string good((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  auto write = [](const std::string& p, const std::string& contents) {
    std::ofstream(p, std::ios::binary) << contents;
  };
  const std::string bad = TempPath("bad.opt");
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x40;
  for (const std::string& contents : {flipped, good.substr(0, good.size() / 2),
                                      std::string("garbage"), std::string()}) {
    write(bad, contents);
    EXPECT_EQ(trainer->LoadOptimizerState(bad).code(),
              absl::StatusCode::kDataLoss);
  }
  // A network of another shape.
  auto other = NewTrainer(
      testing::RandomCheckpoint("tictactoe", /*blocks=*/1, /*channels=*/16, 9));
  absl::Status mismatch = other->LoadOptimizerState(path);
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kInvalidArgument) << mismatch;
  // After all that, the good file still loads and training goes on.
  EXPECT_TRUE(trainer->LoadOptimizerState(path).ok());
  EXPECT_TRUE(trainer->Step(batch.view).ok());
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

// An optimizer-state path that holds no file (a device, a FIFO) or a file
// far larger than this network's state could be: refused at once, the
// trainer unchanged. In a child with capped memory and time, so that a
// reader without a bound fails the test instead of exhausting the machine.
TEST(TrainerTest, OptimizerStateThatCannotBeOneIsRefusedUnread) {
  auto trainer = NewTrainer(Start());
  const std::string fifo = TempPath("fifo.opt");
  std::remove(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const std::string huge = TempPath("huge.opt");
  std::ofstream(huge) << "";
  ASSERT_EQ(::truncate(huge.c_str(), int64_t{2} << 30), 0);  // sparse
  const std::pair<std::string, std::string> cases[] = {
      {"/dev/zero", "regular file"}, {fifo, "regular file"}, {huge, "limit"}};
  for (const auto& [path, fragment] : cases) {
    az::testing::ChildOutcome outcome = az::testing::RunInBoundedChild(
        [&] {
          absl::Status s = trainer->LoadOptimizerState(path);
          std::fprintf(stderr, "%s\n", s.ToString().c_str());
          return !s.ok() && !absl::IsNotFound(s) &&
                         s.message().find(path) != std::string::npos &&
                         s.message().find(fragment) != std::string::npos &&
                         s.message().find('\n') == std::string::npos &&
                         trainer->step() == Start().metadata.training_step
                     ? 0
                     : 1;
        },
        /*timeout_s=*/20);
    EXPECT_TRUE(outcome.ok()) << path << ": " << outcome.Describe();
  }
  std::remove(fifo.c_str());
  std::remove(huge.c_str());
}

}  // namespace
}  // namespace az::nn
