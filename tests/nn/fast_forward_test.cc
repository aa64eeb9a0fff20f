#include "nn/fast_forward.h"

#include "nn/conv_kernels.h"

#include <torch/torch.h>

#include <cstdio>
#include <random>

#include "absl/strings/str_cat.h"

#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/forward_backend.h"
#include "nn/resnet.h"
#include "tests/nn/test_networks.h"

namespace az::nn {
namespace {

// One way of running the fast forward, and how close to LibTorch's fp32
// forward it must come (largest difference of any logit).
struct Variant {
  ConvAlgorithm algorithm;
  KernelSet kernels;
  bool bf16;
  double tolerance;
};

std::string VariantName(const ::testing::TestParamInfo<Variant>& info) {
  const Variant& v = info.param;
  return absl::StrCat(v.algorithm == ConvAlgorithm::kDirect ? "Direct" : "Winograd",
                      "_", KernelSetName(v.kernels), v.bf16 ? "_bf16" : "_fp32");
}

// Whether this processor runs `v`; where it does not, why.
std::string WhyNot(const Variant& v) {
  auto kernels = ResolveKernelSet(v.kernels);
  if (!kernels.ok()) return std::string(kernels.status().message());
  if (v.bf16 && v.kernels == KernelSet::kAvx512 && !CpuHasAvx512Bf16()) {
    return "no AVX512-BF16 on this processor";
  }
  return "";
}

void ExpectMatchesTorch(const std::string& game_name, int blocks, int channels,
                        int batch, const Variant& variant) {
  const Game& game = **FindGame(game_name);
  NetworkConfig config = NetworkConfig::ForGame(game, blocks, channels);
  Checkpoint ck = testing::RandomCheckpoint(game_name, blocks, channels, 3);
  FastForwardOptions options;
  options.threads = 2;
  options.algorithm = variant.algorithm;
  options.kernels = variant.kernels;
  options.bf16 = variant.bf16;
  auto fast = FastForward::Create(ck, options);
  ASSERT_TRUE(fast.ok()) << fast.status();
  EXPECT_EQ((*fast)->kernels(), variant.kernels);
  EXPECT_EQ((*fast)->bf16(), variant.bf16);
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
  EXPECT_LT(max_diff, variant.tolerance)
      << game_name << " " << blocks << "x" << channels;
  // bf16 that matched fp32 to the last bit would not be bf16.
  if (variant.bf16 && blocks > 0) EXPECT_GT(max_diff, 1e-6);
  std::printf("%s %dx%d %s: max logit difference %.2e\n", game_name.c_str(),
              blocks, channels, (*fast)->Describe().c_str(), max_diff);
  EXPECT_EQ((*fast)->uses_winograd(),
            variant.algorithm == ConvAlgorithm::kWinograd);
}

class FastForwardTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    if (std::string why = WhyNot(GetParam()); !why.empty()) {
      GTEST_SKIP() << KernelSetName(GetParam().kernels) << " not run: " << why;
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

// bf16 rounds the transformed inputs and weights to 8 bits of mantissa
// (relative error 2^-9 each) and sums in fp32: on these random networks the
// logits moved by at most 1.7e-4 (Intel Xeon with AMX), so 2e-3 is the bound.
INSTANTIATE_TEST_SUITE_P(
    Kernels, FastForwardTest,
    ::testing::Values(
        Variant{ConvAlgorithm::kDirect, KernelSet::kPortable, false, 1e-3},
        Variant{ConvAlgorithm::kDirect, KernelSet::kAvx2, false, 1e-3},
        Variant{ConvAlgorithm::kWinograd, KernelSet::kAvx2, false, 1e-3},
        Variant{ConvAlgorithm::kDirect, KernelSet::kAvx512, false, 1e-3},
        Variant{ConvAlgorithm::kWinograd, KernelSet::kAvx512, false, 1e-3},
        Variant{ConvAlgorithm::kWinograd, KernelSet::kAvx512, true, 2e-3},
        Variant{ConvAlgorithm::kWinograd, KernelSet::kAmx, true, 2e-3}),
    VariantName);

TEST(FastForwardOptionsTest, RefusesWhatCannotRun) {
  Checkpoint ck = testing::RandomCheckpoint("tictactoe", 1, 8, 3);
  FastForwardOptions amx_fp32;
  amx_fp32.kernels = KernelSet::kAmx;
  auto a = FastForward::Create(ck, amx_fp32);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("bf16"), std::string::npos);

  FastForwardOptions direct_bf16;
  direct_bf16.bf16 = true;
  direct_bf16.algorithm = ConvAlgorithm::kDirect;
  EXPECT_FALSE(FastForward::Create(ck, direct_bf16).ok());

  FastForwardOptions avx2_bf16;
  avx2_bf16.bf16 = true;
  avx2_bf16.kernels = KernelSet::kAvx2;
  EXPECT_FALSE(FastForward::Create(ck, avx2_bf16).ok());

  FastForwardOptions portable_winograd;
  portable_winograd.kernels = KernelSet::kPortable;
  portable_winograd.algorithm = ConvAlgorithm::kWinograd;
  EXPECT_FALSE(FastForward::Create(ck, portable_winograd).ok());
}

TEST(FastForwardOptionsTest, AutoPicksTheWidestKernels) {
  Checkpoint ck = testing::RandomCheckpoint("tictactoe", 1, 8, 3);
  auto net = FastForward::Create(ck);
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_EQ((*net)->kernels(), BestKernelSet());
  EXPECT_FALSE((*net)->bf16());
  if (CpuHasAvx512Bf16()) {
    FastForwardOptions bf16;
    bf16.bf16 = true;
    auto b = FastForward::Create(ck, bf16);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ((*b)->kernels(),
              CpuHasAmxBf16() ? KernelSet::kAmx : KernelSet::kAvx512);
  }
}

// Self-play runs bf16 only where the fast backend has AMX tiles for it.
TEST(SelfPlayPrecisionTest, Bf16OnlyOnAmxTiles) {
  InferenceOptions options;  // auto backend, auto device, auto kernels
  options.device = "cpu";
  EXPECT_EQ(SelfPlayPrecision(options),
            CpuHasAmxBf16() ? Precision::kBFloat16 : Precision::kFloat32);
  options.kernels = KernelSet::kAmx;
  EXPECT_EQ(SelfPlayPrecision(options),
            CpuHasAmxBf16() ? Precision::kBFloat16 : Precision::kFloat32);
  for (KernelSet k :
       {KernelSet::kAvx512, KernelSet::kAvx2, KernelSet::kPortable}) {
    options.kernels = k;
    EXPECT_EQ(SelfPlayPrecision(options), Precision::kFloat32)
        << KernelSetName(k);
  }
  options.kernels = KernelSet::kAuto;
  for (const char* backend : {"torch", "naive"}) {
    options.backend = backend;
    EXPECT_EQ(SelfPlayPrecision(options), Precision::kFloat32) << backend;
  }
  options.backend = "auto";
  options.device = "cuda";
  EXPECT_EQ(SelfPlayPrecision(options), Precision::kFloat32);
  options.device = "tpu";  // CreateForwardBackend reports it
  EXPECT_EQ(SelfPlayPrecision(options), Precision::kFloat32);
}

TEST(KernelSetTest, ParsesAndNames) {
  for (KernelSet set : {KernelSet::kAuto, KernelSet::kAmx, KernelSet::kAvx512,
                        KernelSet::kAvx2, KernelSet::kPortable}) {
    auto parsed = ParseKernelSet(KernelSetName(set));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, set);
  }
  EXPECT_FALSE(ParseKernelSet("avx1024").ok());
  EXPECT_TRUE(ResolveKernelSet(KernelSet::kPortable).ok());
}

}  // namespace
}  // namespace az::nn
