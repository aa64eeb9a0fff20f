#include "nn/resnet.h"

#include <algorithm>
#include <vector>

#include "nn/network_builder.h"

#include <torch/torch.h>

#include "absl/container/flat_hash_map.h"
#include "games/registry.h"
#include "games/solver.h"
#include "glog/logging.h"
#include "gtest/gtest.h"

namespace az::nn {
namespace {

TEST(ResNetTest, OutputShapes) {
  const Game& game = **FindGame("connect4");
  ResNet net = NewResNet(NetworkConfig::ForGame(game, 2, 16), 1);
  PolicyValueOutput out = net->forward(torch::zeros({5, 3, 6, 7}));
  EXPECT_EQ(out.policy_logits.sizes(), (std::vector<int64_t>{5, 7}));
  EXPECT_EQ(out.wdl_logits.sizes(), (std::vector<int64_t>{5, 3}));
}

TEST(ResNetTest, SameSeedSameWeightsAndExportImportRoundTrips) {
  const Game& game = **FindGame("tictactoe");
  NetworkConfig config = NetworkConfig::ForGame(game, 1, 8);
  ResNet a = NewResNet(config, 4), b = NewResNet(config, 4), c = NewResNet(config, 5);
  auto ta = ExportTensors(a), tb = ExportTensors(b), tc = ExportTensors(c);
  ASSERT_EQ(ta.size(), tb.size());
  EXPECT_EQ(ta[0].values, tb[0].values);
  EXPECT_NE(ta[0].values, tc[0].values);
  ASSERT_TRUE(ImportTensors(ta, c).ok());
  EXPECT_EQ(ExportTensors(c)[0].values, ta[0].values);
  ta.pop_back();
  EXPECT_EQ(ImportTensors(ta, c).code(), absl::StatusCode::kDataLoss);
}

// Every position of tic-tac-toe reachable from the start, with its exact
// value for the side to move.
void Enumerate(const State& s, ExactSolver& solver,
               absl::flat_hash_map<uint64_t, std::pair<std::unique_ptr<State>, int>>* out) {
  if (s.IsTerminal() || out->contains(s.Hash())) return;
  out->emplace(s.Hash(), std::make_pair(s.Clone(), (*solver.Solve(s)).reward.value()));
  for (Action a : s.LegalActions()) {
    auto child = s.Clone();
    child->Apply(a);
    Enumerate(*child, solver, out);
  }
}

// The heads and the loss are wired right: a small network learns the exact
// values of all tic-tac-toe positions from the solver in seconds.
TEST(ResNetTest, FitsExactTicTacToeValues) {
  const Game& game = **FindGame("tictactoe");
  auto solver = game.NewExactSolver();
  absl::flat_hash_map<uint64_t, std::pair<std::unique_ptr<State>, int>> positions;
  Enumerate(*game.NewInitialState(), *solver, &positions);
  ASSERT_EQ(positions.size(), 4520u);  // non-terminal positions of the game
  const int n = positions.size();
  torch::Tensor x = torch::zeros({n, 3, 3, 3});
  torch::Tensor wdl = torch::zeros({n, 3});
  torch::Tensor policy = torch::zeros({n, 9});
  std::vector<int> outcome;
  // A fixed order (absl's hash map iterates in a per-process order), so
  // that the run, and the figure it reaches, repeat exactly.
  std::vector<uint64_t> keys;
  for (const auto& [hash, entry] : positions) keys.push_back(hash);
  std::sort(keys.begin(), keys.end());
  int i = 0;
  for (uint64_t hash : keys) {
    auto& entry = positions.at(hash);
    entry.first->EncodeObservation(x[i].data_ptr<float>());
    int v = entry.second;
    wdl[i][v > 0 ? 0 : v == 0 ? 1 : 2] = 1.0;
    auto legal = entry.first->LegalActions();
    for (Action a : legal) policy[i][a] = 1.0 / legal.size();
    outcome.push_back(v);
    ++i;
  }
  torch::manual_seed(0);
  torch::set_num_threads(1);
  ResNet net = NewResNet(NetworkConfig::ForGame(game, 1, 32), 2);
  net->train();
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(3e-3));
  for (int step = 0; step < 600; ++step) {
    torch::Tensor idx = torch::randint(n, {256}, torch::kLong);
    LossTerms loss =
        PolicyValueLoss(net->forward(x.index_select(0, idx)),
                        policy.index_select(0, idx), wdl.index_select(0, idx));
    opt.zero_grad();
    loss.total().backward();
    opt.step();
  }
  net->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor predicted = net->forward(x).wdl_logits.argmax(1);
  int correct = 0;
  for (int k = 0; k < n; ++k) {
    int want = outcome[k] > 0 ? 0 : outcome[k] == 0 ? 1 : 2;
    correct += predicted[k].item<int64_t>() == want;
  }
  EXPECT_GE(correct, n * 0.95) << correct << " of " << n;
  LOG(INFO) << "exact value classes learned for " << correct << " of " << n;
}

}  // namespace
}  // namespace az::nn

namespace az::nn {
namespace {

// az init builds networks without LibTorch: its tensors must be exactly the
// module's (every name and shape), or checkpoints would not load.
TEST(ResNetTest, TorchFreeInitialisationMatchesTheModule) {
  for (const char* name : {"tictactoe", "connect4", "othello"}) {
    const Game& game = **FindGame(name);
    NetworkConfig config = NetworkConfig::ForGame(game, 2, 16);
    absl::StatusOr<Checkpoint> ck = NewRandomCheckpoint(config, 3);
    ASSERT_TRUE(ck.ok());
    ResNet net = NewResNet(config, 1);
    EXPECT_EQ(ck->tensors.size(), ExportTensors(net).size());
    EXPECT_TRUE(ImportTensors(ck->tensors, net).ok()) << name;
    // Weights are spread like LibTorch's default: within 1/sqrt(fan_in).
    for (const NamedTensor& t : ck->tensors) {
      if (t.name != "stem.weight") continue;
      float bound = 1.0f / std::sqrt(float(config.input_planes * 9));
      float max_abs = 0;
      for (float v : t.values) max_abs = std::max(max_abs, std::abs(v));
      EXPECT_LE(max_abs, bound);
      EXPECT_GT(max_abs, bound * 0.8f);
    }
  }
}

}  // namespace
}  // namespace az::nn
