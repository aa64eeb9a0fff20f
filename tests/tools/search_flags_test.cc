#include "tools/search_flags.h"

#include <gflags/gflags.h>

#include "absl/strings/match.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/engine/tree_game.h"
#include "tools/network_flags.h"

namespace az {
namespace {

// The evaluator the flags name, for `evaluator` and `cache_entries`.
absl::StatusOr<std::unique_ptr<engine::Evaluator>> FromFlags(
    const Game& game, const std::string& evaluator, int rollouts,
    int64_t cache_entries) {
  gflags::FlagSaver saver;
  FLAGS_evaluator = evaluator;
  FLAGS_rollouts = rollouts;
  FLAGS_cache_entries = cache_entries;
  return EvaluatorFromFlags(game);
}

TEST(SearchFlagsTest, MakesEachEvaluator) {
  const Game& game = **FindGame("connect4");
  EXPECT_EQ((*FromFlags(game, "uniform", 1, 0))->Name(), "uniform");
  EXPECT_EQ((*FromFlags(game, "rollout", 3, 0))->Name(), "rollout:k=3");
  EXPECT_EQ((*FromFlags(game, "rollout:5", 3, 0))->Name(), "rollout:k=5");
  EXPECT_EQ((*FromFlags(game, "solver", 1, 0))->Name(), "solver");
  EXPECT_EQ((*FromFlags(game, "uniform", 1, 1000))->Name(), "uniform+cache");
}

TEST(SearchFlagsTest, RefusesWhatCannotBeMade) {
  const Game& game = **FindGame("connect4");
  EXPECT_EQ(FromFlags(game, "oracle", 1, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(FromFlags(game, "rollout:0", 1, 0).ok());
  auto cache = FromFlags(game, "uniform", 1, -1);
  EXPECT_EQ(cache.status().message(), "--cache_entries must be >= 0 (got -1)");
  az::testing::TreeGame no_solver("(F S)");
  auto solver = FromFlags(no_solver, "solver", 1, 0);
  EXPECT_EQ(solver.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(solver.status().message().find("no exact solver"),
            std::string::npos);
}

// --precision=auto is bf16 for self-play where AMX tiles run it, and fp32
// for everything that measures a network or plays against it.
TEST(NetworkFlagsTest, AutoPrecisionDependsOnTheUse) {
  gflags::FlagSaver saver;
  ASSERT_EQ(FLAGS_precision, "auto");
  auto evaluation = InferenceServerOptionsFromFlags(2);
  ASSERT_TRUE(evaluation.ok()) << evaluation.status();
  EXPECT_EQ(evaluation->inference.precision, nn::Precision::kFloat32);
  auto selfplay = InferenceServerOptionsFromFlags(2, NetworkUse::kSelfPlay);
  ASSERT_TRUE(selfplay.ok()) << selfplay.status();
  EXPECT_EQ(selfplay->inference.precision,
            nn::CpuHasAmxBf16() ? nn::Precision::kBFloat16
                                : nn::Precision::kFloat32);
  // What is asked for is what runs, whatever the use.
  FLAGS_precision = "fp32";
  EXPECT_EQ(InferenceServerOptionsFromFlags(2, NetworkUse::kSelfPlay)
                ->inference.precision,
            nn::Precision::kFloat32);
  FLAGS_precision = "bf16";
  EXPECT_EQ(InferenceServerOptionsFromFlags(2)->inference.precision,
            nn::Precision::kBFloat16);
  FLAGS_precision = "fp8";
  EXPECT_EQ(InferenceServerOptionsFromFlags(2).status().message(),
            "--precision=fp8 is not one of auto, fp32, fp16, bf16");
}

}  // namespace
}  // namespace az
