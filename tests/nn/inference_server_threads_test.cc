#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "nn/forward_backend.h"
#include "nn/inference_server.h"
#include "tests/nn/test_networks.h"

namespace az::nn {
namespace {

using engine::LeafEvaluation;

struct Answer {
  std::vector<float> priors;
  LeafEvaluation eval;
};

// What a network answers for one position, computed directly (no server).
std::vector<Answer> DirectAnswers(const Checkpoint& ck,
                                  const std::vector<std::unique_ptr<State>>& positions) {
  InferenceServerOptions options;
  options.max_batch = 1;
  auto server = InferenceServer::Create(ck, options);
  EXPECT_TRUE(server.ok());
  std::vector<Answer> answers;
  const int actions = ck.metadata.config.num_actions;
  for (const auto& s : positions) {
    Answer a;
    a.priors.resize(actions);
    const State* states[] = {s.get()};
    EXPECT_TRUE((*server)->Evaluate(states, absl::MakeSpan(a.priors),
                                    absl::MakeSpan(&a.eval, 1)).ok());
    answers.push_back(a);
  }
  return answers;
}

TEST(InferenceServerTest, PriorsAreMaskedAndWdlIsADistribution) {
  Checkpoint ck = testing::RandomCheckpoint("connect4", 1, 16, 1);
  const Game& game = **FindGame("connect4");
  // Columns 4 full: 6 stones in the middle column.
  auto state = *game.NewStateFromMoves("444444");
  InferenceServerOptions options;
  auto server = *InferenceServer::Create(ck, options);
  std::vector<float> priors(7);
  LeafEvaluation eval;
  const State* states[] = {state.get()};
  ASSERT_TRUE(server->Evaluate(states, absl::MakeSpan(priors),
                               absl::MakeSpan(&eval, 1)).ok());
  EXPECT_EQ(priors[3], 0.0f);
  float sum = 0;
  for (float p : priors) sum += p;
  EXPECT_NEAR(sum, 1.0f, 1e-5);
  EXPECT_NEAR(eval.value.win + eval.value.draw + eval.value.loss, 1.0f, 1e-5);
  EXPECT_FALSE(eval.exact.has_value());
  EXPECT_EQ(eval.weights_version, 1);
}

TEST(InferenceServerTest, RejectsAnotherGamesPositionAndBadOptions) {
  Checkpoint ck = testing::RandomCheckpoint("connect4", 1, 8, 1);
  auto server = *InferenceServer::Create(ck, InferenceServerOptions{});
  auto ttt = (*FindGame("tictactoe"))->NewInitialState();
  std::vector<float> priors(9);
  LeafEvaluation eval;
  const State* states[] = {ttt.get()};
  EXPECT_FALSE(server->Evaluate(states, absl::MakeSpan(priors),
                                absl::MakeSpan(&eval, 1)).ok());
  InferenceServerOptions bad;
  bad.max_batch = 0;
  EXPECT_FALSE(InferenceServer::Create(ck, bad).ok());
  bad = InferenceServerOptions{};
  bad.inference.device = "tpu";
  EXPECT_FALSE(InferenceServer::Create(ck, bad).ok());
  bad.inference.device = "cuda:0";
  if (CudaDeviceCount() == 0) {
    EXPECT_FALSE(InferenceServer::Create(ck, bad).ok());
  }
  Checkpoint other_shape = testing::RandomCheckpoint("connect4", 2, 8, 1);
  EXPECT_FALSE(server->PublishWeights(other_shape).ok());
}

// Many clients at once, each with its own positions, while the weights are
// swapped twice: every answer must equal the direct answer of the weight
// version it reports, for its own position.
TEST(InferenceServerTest, ConcurrentClientsGetTheirOwnAnswersAcrossSwaps) {
  const Game& game = **FindGame("connect4");
  std::vector<Checkpoint> versions;
  for (int v = 1; v <= 3; ++v) {
    versions.push_back(testing::RandomCheckpoint("connect4", 1, 16, 100 + v, v));
  }
  auto positions = testing::RandomPositions(game, 96, 42);
  ASSERT_EQ(positions.size(), 96u);
  std::vector<std::vector<Answer>> expected;
  for (const auto& ck : versions) expected.push_back(DirectAnswers(ck, positions));

  InferenceServerOptions options;
  options.max_batch = 16;
  options.batch_timeout_us = 200;
  auto server = *InferenceServer::Create(versions[0], options);
  constexpr int kClients = 12;
  std::atomic<int> mismatches{0}, answered{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> max_version_seen{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(c);
      for (int round = 0; round < 60 || !stop.load(); ++round) {
        // 1 to 4 positions per call, chosen per client.
        int n = 1 + rng() % 4;
        std::vector<int> idx(n);
        std::vector<const State*> states(n);
        for (int i = 0; i < n; ++i) {
          idx[i] = (c * 8 + rng() % 8) % positions.size();
          states[i] = positions[idx[i]].get();
        }
        std::vector<float> priors(n * 7);
        std::vector<LeafEvaluation> evals(n);
        if (!server->Evaluate(states, absl::MakeSpan(priors),
                              absl::MakeSpan(evals)).ok()) {
          ++mismatches;
          continue;
        }
        for (int i = 0; i < n; ++i) {
          int64_t v = evals[i].weights_version;
          if (v < 1 || v > 3) {
            ++mismatches;
            continue;
          }
          const Answer& want = expected[v - 1][idx[i]];
          for (int a = 0; a < 7; ++a) {
            if (std::abs(priors[i * 7 + a] - want.priors[a]) > 1e-5) ++mismatches;
          }
          if (std::abs(evals[i].value.win - want.eval.value.win) > 1e-5 ||
              std::abs(evals[i].value.loss - want.eval.value.loss) > 1e-5) {
            ++mismatches;
          }
          int64_t seen = max_version_seen.load();
          while (v > seen && !max_version_seen.compare_exchange_weak(seen, v)) {
          }
          ++answered;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(server->PublishWeights(versions[1]).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(server->PublishWeights(versions[2]).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(answered.load(), kClients * 60);
  InferenceServerStats stats = server->Stats();
  EXPECT_EQ(stats.positions, static_cast<uint64_t>(answered.load()));
  EXPECT_GT(stats.mean_batch, 1.0) << "requests from many clients were batched";
  EXPECT_LE(stats.mean_batch, 16.0);
  EXPECT_EQ(stats.weight_version, 3);
  EXPECT_EQ(max_version_seen.load(), 3);
}

TEST(InferenceServerTest, LargeRequestsAreSplitIntoBatches) {
  const Game& game = **FindGame("connect4");
  Checkpoint ck = testing::RandomCheckpoint("connect4", 1, 8, 5);
  auto positions = testing::RandomPositions(game, 50, 7);
  auto expected = DirectAnswers(ck, positions);
  InferenceServerOptions options;
  options.max_batch = 8;
  auto server = *InferenceServer::Create(ck, options);
  std::vector<const State*> states;
  for (auto& p : positions) states.push_back(p.get());
  std::vector<float> priors(states.size() * 7);
  std::vector<LeafEvaluation> evals(states.size());
  ASSERT_TRUE(server->Evaluate(states, absl::MakeSpan(priors), absl::MakeSpan(evals)).ok());
  for (size_t i = 0; i < states.size(); ++i) {
    for (int a = 0; a < 7; ++a) EXPECT_NEAR(priors[i * 7 + a], expected[i].priors[a], 1e-5);
  }
  EXPECT_EQ(server->Stats().batches, 7u);  // ceil(50 / 8)
}

}  // namespace
}  // namespace az::nn

namespace az::nn {
namespace {

// With the number of clients known, a lone caller's partial batch runs at
// once instead of waiting out the batch timeout.
TEST(InferenceServerTest, KnownClientsDoNotWaitForTheTimeout) {
  const Game& game = **FindGame("connect4");
  Checkpoint ck = testing::RandomCheckpoint("connect4", 1, 8, 5);
  InferenceServerOptions options;
  options.max_batch = 64;
  options.batch_timeout_us = 2'000'000;
  options.clients = 1;
  auto server = *InferenceServer::Create(ck, options);
  auto state = game.NewInitialState();
  std::vector<float> priors(7);
  engine::LeafEvaluation eval;
  const State* states[] = {state.get()};
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(server->Evaluate(states, absl::MakeSpan(priors),
                                 absl::MakeSpan(&eval, 1)).ok());
  }
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 1.0) << "each call waited for the 2 s timeout";
}

// A backend that answers `good_batches` forward passes with zeros and then
// fails every pass, as a device that runs out of memory would.
class FailingBackend final : public ForwardBackend {
 public:
  FailingBackend(const NetworkConfig& config, int good_batches)
      : config_(config), good_batches_(good_batches) {}
  absl::Status Forward(const float* observations, int batch,
                       float* policy_logits, float* wdl_logits) override {
    if (good_batches_-- > 0) {
      std::fill(policy_logits, policy_logits + batch * config_.num_actions,
                0.0f);
      std::fill(wdl_logits, wdl_logits + batch * 3, 0.0f);
      return absl::OkStatus();
    }
    return absl::ResourceExhaustedError("CUDA out of memory (fake)");
  }
  std::string Describe() const override { return "failing (fake)"; }
  const NetworkConfig& config() const override { return config_; }

 private:
  NetworkConfig config_;
  int good_batches_;
};

TEST(InferenceServerTest, AFailedForwardFailsEveryWaitingAndLaterCall) {
  const Game& game = **FindGame("connect4");
  Checkpoint ck = testing::RandomCheckpoint("connect4", 1, 8, 3);
  InferenceServerOptions options;
  options.max_batch = 4;
  options.batch_timeout_us = 2000;
  auto server = InferenceServer::CreateWithBackend(
      std::make_unique<FailingBackend>(ck.metadata.config, 2), 7, options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto positions = testing::RandomPositions(game, 64, 5);
  const int actions = game.NumActions();
  // Many clients, each evaluating positions until the server fails them;
  // each returns the error it ended with. A client that hangs is caught by
  // the deadline below rather than hanging the test.
  constexpr int kClients = 8;
  std::vector<std::future<absl::Status>> clients;
  std::atomic<int> answered{0};
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(std::async(std::launch::async, [&, c] {
      std::vector<float> priors(2 * actions);
      LeafEvaluation evals[2];
      for (int i = 0;; ++i) {
        const State* states[] = {positions[(c + i) % 64].get(),
                                 positions[(c + 2 * i + 1) % 64].get()};
        absl::Status s = (*server)->Evaluate(states, absl::MakeSpan(priors),
                                             absl::MakeSpan(evals));
        if (!s.ok()) return s;
        ++answered;
      }
    }));
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (auto& client : clients) {
    ASSERT_EQ(client.wait_until(deadline), std::future_status::ready)
        << "a client still waits on the failed server";
    absl::Status s = client.get();
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
    EXPECT_NE(s.message().find("out of memory (fake)"), std::string::npos) << s;
  }
  // Two good batches of at most four positions: at most four answered
  // calls of two positions.
  EXPECT_LE(answered.load(), 4);
  // Sticky: a new call fails at once, with the same error.
  EXPECT_EQ((*server)->failure().code(), absl::StatusCode::kResourceExhausted);
  std::vector<float> policy(actions), wdl(3);
  std::vector<float> obs(ck.metadata.config.input_planes *
                         ck.metadata.config.board_height *
                         ck.metadata.config.board_width);
  absl::StatusOr<int64_t> later =
      (*server)->EvaluateEncoded(obs.data(), 1, policy.data(), wdl.data());
  EXPECT_EQ(later.status(), (*server)->failure());
}

}  // namespace
}  // namespace az::nn
