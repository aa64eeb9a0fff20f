#include "nn/fast_forward.h"

#include "nn/conv_kernels.h"

#include <torch/torch.h>

#include <random>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/resnet.h"
#include "tests/nn/test_networks.h"

namespace az::nn {
namespace {

void ExpectMatchesTorch(const std::string& game_name, int blocks, int channels,
                        int batch, ConvAlgorithm algorithm) {
  const Game& game = **FindGame(game_name);
  NetworkConfig config = NetworkConfig::ForGame(game, blocks, channels);
  Checkpoint ck = testing::RandomCheckpoint(game_name, blocks, channels, 3);
  auto fast = FastForward::Create(ck, /*threads=*/2, algorithm);
  ASSERT_TRUE(fast.ok()) << fast.status();
  auto torch_net = ResNetFromCheckpoint(ck);
  ASSERT_TRUE(torch_net.ok()) << torch_net.status();

  // Observations of random positions.
  std::mt19937 rng(5);
  const int size = game.GetObservationShape().size();
  std::vector<float> obs(batch * size);
  for (int b = 0; b < batch; ++b) {
    auto state = game.NewInitialState();
    int plies = rng() % 12;
    for (int i = 0; i < plies && !state->IsTerminal(); ++i) {
      auto legal = state->LegalActions();
      state->Apply(legal[rng() % legal.size()]);
    }
    state->EncodeObservation(obs.data() + b * size);
  }
  std::vector<float> policy(batch * config.num_actions), wdl(batch * 3);
  (*fast)->Forward(obs.data(), batch, policy.data(), wdl.data());

  torch::InferenceMode guard;
  auto shape = game.GetObservationShape();
  torch::Tensor x = torch::from_blob(obs.data(),
                                     {batch, shape.planes, shape.height, shape.width});
  PolicyValueOutput out = (*torch_net)->forward(x);
  auto p = out.policy_logits.contiguous();
  auto v = out.wdl_logits.contiguous();
  float max_diff = 0;
  for (int i = 0; i < batch * config.num_actions; ++i) {
    max_diff = std::max(max_diff, std::abs(p.data_ptr<float>()[i] - policy[i]));
  }
  for (int i = 0; i < batch * 3; ++i) {
    max_diff = std::max(max_diff, std::abs(v.data_ptr<float>()[i] - wdl[i]));
  }
  EXPECT_LT(max_diff, 1e-3) << game_name << " " << blocks << "x" << channels;
  if (algorithm == ConvAlgorithm::kWinograd) {
    EXPECT_TRUE((*fast)->uses_winograd());
  }
}

class FastForwardTest : public ::testing::TestWithParam<ConvAlgorithm> {
 protected:
  void SetUp() override {
    if (GetParam() == ConvAlgorithm::kWinograd && !CpuHasAvx2Fma()) {
      GTEST_SKIP() << "no AVX2/FMA on this processor";
    }
  }
};

TEST_P(FastForwardTest, MatchesTorchConnectFour) {
  ExpectMatchesTorch("connect4", 2, 32, 37, GetParam());
}
TEST_P(FastForwardTest, MatchesTorchOddChannels) {
  ExpectMatchesTorch("connect4", 1, 20, 5, GetParam());
}
TEST_P(FastForwardTest, MatchesTorchWideTower) {
  ExpectMatchesTorch("tictactoe", 2, 64, 9, GetParam());
}
TEST_P(FastForwardTest, MatchesTorchNoBlocks) {
  ExpectMatchesTorch("tictactoe", 0, 8, 3, GetParam());
}
TEST_P(FastForwardTest, MatchesTorchOthello) {
  ExpectMatchesTorch("othello", 1, 16, 4, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, FastForwardTest,
                         ::testing::Values(ConvAlgorithm::kDirect,
                                           ConvAlgorithm::kWinograd));

}  // namespace
}  // namespace az::nn
