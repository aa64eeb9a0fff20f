// The LibTorch backend behind the plugin boundary: what LibTorch throws
// comes back as a status, never as an exception out of the plugin.
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "nn/forward_backend.h"
#include "nn/inference_server.h"
#include "tests/nn/test_networks.h"

namespace az::nn {
namespace {

InferenceOptions TorchOnCpu(Precision precision) {
  InferenceOptions options;
  options.backend = "torch";
  options.device = "cpu";
  options.precision = precision;
  return options;
}

TEST(TorchBackendTest, ForwardsInFloat32) {
  Checkpoint ck = testing::RandomCheckpoint("tictactoe", 1, 8, 2);
  auto backend = CreateForwardBackend(ck, TorchOnCpu(Precision::kFloat32));
  ASSERT_TRUE(backend.ok()) << backend.status();
  const NetworkConfig& c = ck.metadata.config;
  std::vector<float> obs(2 * c.input_planes * c.board_height * c.board_width);
  std::vector<float> policy(2 * c.num_actions, -7.0f), wdl(6, -7.0f);
  EXPECT_TRUE(
      (*backend)->Forward(obs.data(), 2, policy.data(), wdl.data()).ok());
  EXPECT_NE(policy[0], -7.0f);
}

// LibTorch 1.x has no fp16 convolution on the CPU: its forward throws
// c10::Error, which used to reach std::terminate in the inference thread.
// (Where a LibTorch does have it, the pass succeeds and there is nothing to
// check.)
TEST(TorchBackendTest, WhatLibTorchThrowsInForwardIsAStatus) {
  Checkpoint ck = testing::RandomCheckpoint("tictactoe", 1, 8, 2);
  auto backend = CreateForwardBackend(ck, TorchOnCpu(Precision::kFloat16));
  ASSERT_TRUE(backend.ok()) << backend.status();
  const NetworkConfig& c = ck.metadata.config;
  std::vector<float> obs(c.input_planes * c.board_height * c.board_width);
  std::vector<float> policy(c.num_actions), wdl(3);
  absl::Status s =
      (*backend)->Forward(obs.data(), 1, policy.data(), wdl.data());
  if (s.ok()) GTEST_SKIP() << "this LibTorch computes fp16 on the CPU";
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "LibTorch forward pass on cpu"))
      << s;
  EXPECT_FALSE(absl::StrContains(s.message(), "\n")) << "no backtrace: " << s;
}

// The same through the server: its clients get the error, not a dead process.
TEST(TorchBackendTest, AServerOnAThrowingBackendFailsItsClients) {
  Checkpoint ck = testing::RandomCheckpoint("tictactoe", 1, 8, 2);
  InferenceServerOptions options;
  options.inference = TorchOnCpu(Precision::kFloat16);
  auto server = InferenceServer::Create(ck, options);
  ASSERT_TRUE(server.ok()) << server.status();
  const NetworkConfig& c = ck.metadata.config;
  std::vector<float> obs(c.input_planes * c.board_height * c.board_width);
  std::vector<float> policy(c.num_actions), wdl(3);
  absl::StatusOr<int64_t> answer =
      (*server)->EvaluateEncoded(obs.data(), 1, policy.data(), wdl.data());
  if (answer.ok()) GTEST_SKIP() << "this LibTorch computes fp16 on the CPU";
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ((*server)->failure(), answer.status());
}

}  // namespace
}  // namespace az::nn
