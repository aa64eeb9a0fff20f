#include "tests/nn/test_networks.h"

#include <torch/torch.h>

#include "absl/container/flat_hash_set.h"
#include "nn/resnet.h"

namespace az::nn::testing {

Checkpoint RandomCheckpoint(const std::string& game_name, int blocks,
                            int channels, uint64_t seed,
                            int64_t weight_version) {
  const Game& game = **FindGame(game_name);
  NetworkConfig config = NetworkConfig::ForGame(game, blocks, channels);
  ResNet net = NewResNet(config, seed);
  torch::NoGradGuard no_grad;
  for (auto& item : net->named_buffers()) {
    if (item.key().find("running_mean") != std::string::npos) {
      item.value().uniform_(-0.5, 0.5);
    } else if (item.key().find("running_var") != std::string::npos) {
      item.value().uniform_(0.5, 2.0);
    }
  }
  for (auto& item : net->named_parameters()) {
    if (item.key().find("bn") != std::string::npos) {
      item.value().uniform_(-1, 1);
    }
  }
  Checkpoint ck;
  ck.metadata.config = config;
  ck.metadata.weight_version = weight_version;
  ck.metadata.training_step = weight_version * 10;
  ck.tensors = ExportTensors(net);
  return ck;
}

std::vector<std::unique_ptr<State>> RandomPositions(const Game& game, int count,
                                                    uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::unique_ptr<State>> out;
  absl::flat_hash_set<uint64_t> seen;
  for (int tries = 0; static_cast<int>(out.size()) < count && tries < count * 100;
       ++tries) {
    auto state = game.NewInitialState();
    int plies = rng() % game.MaxGameLength();
    for (int i = 0; i < plies; ++i) {
      auto legal = state->LegalActions();
      auto next = state->Clone();
      next->Apply(legal[rng() % legal.size()]);
      if (next->IsTerminal()) break;
      state = std::move(next);
    }
    if (seen.insert(state->Hash()).second) out.push_back(std::move(state));
  }
  return out;
}

}  // namespace az::nn::testing
