#include "selfplay/spec.h"

#include <string>

#include "absl/strings/match.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/checkpoint.h"
#include "nn/network_builder.h"
#include "tests/engine/tree_game.h"

namespace az::selfplay {
namespace {

using absl::StatusCode;

const Game& GetGame(const char* name) { return **FindGame(name); }

Spec Parse(absl::string_view text, SpecRole role) {
  absl::StatusOr<Spec> spec = ParseSpec(text, role);
  EXPECT_TRUE(spec.ok()) << text << ": " << spec.status();
  return spec.ok() ? *spec : Spec();
}

absl::Status ParseError(absl::string_view text, SpecRole role) {
  absl::StatusOr<Spec> spec = ParseSpec(text, role);
  EXPECT_FALSE(spec.ok()) << text;
  return spec.status();
}

TEST(SpecTest, EveryKindInThePlayerGrammar) {
  EXPECT_EQ(Parse("human", SpecRole::kPlayer).kind, SpecKind::kHuman);
  EXPECT_EQ(Parse("random", SpecRole::kPlayer).kind, SpecKind::kRandom);
  EXPECT_EQ(Parse("solver", SpecRole::kPlayer).kind, SpecKind::kSolver);
  Spec mcts = Parse("mcts", SpecRole::kPlayer);
  EXPECT_EQ(mcts.kind, SpecKind::kMcts);
  EXPECT_FALSE(mcts.search.simulations.has_value());
  EXPECT_TRUE(mcts.searches());
  EXPECT_FALSE(mcts.learned());

  Spec net = Parse("net:a.ckpt:sims=20:c_init=2:fpu=0.5", SpecRole::kPlayer);
  EXPECT_EQ(net.kind, SpecKind::kNet);
  EXPECT_EQ(net.path, "a.ckpt");
  EXPECT_EQ(net.search.simulations, 20);
  EXPECT_EQ(net.search.c_init, 2.0f);
  EXPECT_EQ(net.search.fpu_reduction, 0.5f);
  EXPECT_TRUE(net.learned());
  EXPECT_EQ(net.text, "net:a.ckpt:sims=20:c_init=2:fpu=0.5");

  // Options apply left to right; raw is sims=0.
  EXPECT_EQ(Parse("mcts:sims=5:sims=7", SpecRole::kPlayer).search.simulations,
            7);
  EXPECT_EQ(Parse("run:dir:raw", SpecRole::kPlayer).search.simulations, 0);
  EXPECT_EQ(Parse("run:dir:raw", SpecRole::kPlayer).path, "dir");
}

TEST(SpecTest, NetworksTakeTheirPrecisionAndKernels) {
  Spec net = Parse("net:a.ckpt:sims=20:precision=bf16:kernels=avx2",
                   SpecRole::kPlayer);
  EXPECT_EQ(net.path, "a.ckpt");
  EXPECT_EQ(net.search.simulations, 20);
  EXPECT_EQ(net.inference.precision, nn::Precision::kBFloat16);
  EXPECT_EQ(net.inference.kernels, nn::KernelSet::kAvx2);
  Spec plain = Parse("run:dir", SpecRole::kMeasured);
  EXPECT_FALSE(plain.inference.precision.has_value());
  EXPECT_FALSE(plain.inference.kernels.has_value());

  EXPECT_EQ(ParseError("net:x:precision=fp64", SpecRole::kPlayer).message(),
            "player \"net:x:precision=fp64\": unknown precision \"fp64\" "
            "(fp32, fp16 or bf16)");
  EXPECT_EQ(ParseError("run:x:kernels=sse", SpecRole::kMeasured).message(),
            "player \"run:x:kernels=sse\": unknown kernel set \"sse\" (auto, "
            "amx, avx512, avx2, portable)");
  // Pure MCTS runs no network.
  EXPECT_EQ(ParseError("mcts:precision=bf16", SpecRole::kPlayer).message(),
            "player \"mcts:precision=bf16\": unknown option "
            "\"precision=bf16\" (known: sims=N, c_init=X, fpu=X)");
}

TEST(SpecTest, APathKeepsItsColons) {
  Spec spec = Parse("net:/tmp/with:colon.ckpt:sims=3", SpecRole::kPlayer);
  EXPECT_EQ(spec.path, "/tmp/with:colon.ckpt");
  EXPECT_EQ(spec.search.simulations, 3);
  // A trailing part that is no option stays in the path.
  EXPECT_EQ(Parse("net:a:b", SpecRole::kPlayer).path, "a:b");
  EXPECT_EQ(Parse("net:a:cpuct=2", SpecRole::kPlayer).path, "a:cpuct=2");
  // An evaluator has no search to set: all of it is the path.
  EXPECT_EQ(Parse("net:a.ckpt:sims=3", SpecRole::kEvaluator).path,
            "a.ckpt:sims=3");
}

TEST(SpecTest, EachRoleTakesItsKinds) {
  EXPECT_EQ(Parse("uniform", SpecRole::kEvaluator).kind, SpecKind::kUniform);
  EXPECT_EQ(Parse("rollout", SpecRole::kEvaluator).rollouts, std::nullopt);
  EXPECT_EQ(Parse("rollout:5", SpecRole::kEvaluator).rollouts, 5);
  EXPECT_EQ(Parse("uniform", SpecRole::kMeasured).kind, SpecKind::kUniform);
  EXPECT_EQ(Parse("mcts:sims=4", SpecRole::kMeasured).kind, SpecKind::kMcts);

  EXPECT_EQ(ParseError("uniform", SpecRole::kPlayer).message(),
            "player \"uniform\": unknown player (known: human, random, "
            "mcts[:OPTIONS], solver, net:PATH[:OPTIONS], run:DIR[:OPTIONS] "
            "with OPTIONS among sims=N, c_init=X, fpu=X and (net, run) raw, "
            "precision=P, kernels=K)");
  EXPECT_TRUE(absl::StrContains(
      ParseError("rollout", SpecRole::kMeasured).message(), "unknown player"));
  for (const char* text : {"mcts", "human", "run:dir", "oracle"}) {
    EXPECT_EQ(ParseError(text, SpecRole::kEvaluator).message(),
              absl::StrCat("unknown evaluator \"", text,
                           "\" (known: uniform, rollout, rollout:K, solver, "
                           "net:PATH)"));
  }
  // Bare names take no arguments; net and run need theirs.
  EXPECT_FALSE(ParseSpec("solver:x", SpecRole::kPlayer).ok());
  EXPECT_FALSE(ParseSpec("net", SpecRole::kPlayer).ok());
  EXPECT_FALSE(ParseSpec("mctsx", SpecRole::kPlayer).ok());
}

TEST(SpecTest, MalformedSpecsAreWordedForTheirRole) {
  struct Case {
    const char* text;
    SpecRole role;
    const char* message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"mcts:sims=0", SpecRole::kPlayer,
            "player \"mcts:sims=0\": sims must be >= 1 (got 0)"},
           {"net:x:sims=-1", SpecRole::kMeasured,
            "player \"net:x:sims=-1\": sims must be >= 0 (got -1); 0 plays "
            "the policy head alone"},
           {"mcts:sims=lots", SpecRole::kPlayer,
            "player \"mcts:sims=lots\": sims must be a whole number (got "
            "\"lots\")"},
           {"mcts:raw", SpecRole::kPlayer,
            "player \"mcts:raw\": unknown option \"raw\" (known: sims=N, "
            "c_init=X, fpu=X)"},
           {"mcts:cpuct=2", SpecRole::kPlayer,
            "player \"mcts:cpuct=2\": unknown option \"cpuct=2\" (known: "
            "sims=N, c_init=X, fpu=X)"},
           {"mcts:c_init=0", SpecRole::kPlayer,
            "player \"mcts:c_init=0\": c_init must be > 0 (got 0)"},
           {"mcts:fpu=-1", SpecRole::kPlayer,
            "player \"mcts:fpu=-1\": fpu (a reduction) must be >= 0 (got -1)"},
           {"mcts:fpu=nan", SpecRole::kPlayer,
            "player \"mcts:fpu=nan\": fpu must be a number (got \"nan\")"},
           {"net:", SpecRole::kPlayer,
            "player \"net:\": net:PATH needs a checkpoint path"},
           {"run::sims=3", SpecRole::kPlayer,
            "player \"run::sims=3\": run:DIR needs a run directory"},
           {"net:", SpecRole::kEvaluator, "--evaluator=net:PATH needs a path"},
           {"rollout:x", SpecRole::kEvaluator,
            "--evaluator=rollout:x: expected rollout:K with a number K"},
       }) {
    absl::Status error = ParseError(c.text, c.role);
    EXPECT_EQ(error.code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(error.message(), c.message);
  }
  // A number the search's float cannot hold names the option.
  EXPECT_TRUE(absl::StrContains(
      ParseError("mcts:c_init=1e39", SpecRole::kPlayer).message(), "c_init"));
}

TEST(SpecTest, SearchParamsOfSpecAppliesTheOptions) {
  engine::SearchParams base;
  base.num_simulations = 100;
  base.c_init = 1.0f;
  base.fpu_mode = engine::FpuMode::kAbsolute;
  base.fpu_value = -1.0f;
  auto plain = SearchParamsOfSpec(Parse("mcts", SpecRole::kPlayer), base);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->num_simulations, 100);
  EXPECT_EQ(plain->fpu_mode, engine::FpuMode::kAbsolute);
  auto set = SearchParamsOfSpec(
      Parse("mcts:sims=7:c_init=3:fpu=0.5", SpecRole::kPlayer), base);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->num_simulations, 7);
  EXPECT_EQ(set->c_init, 3.0f);
  EXPECT_EQ(set->fpu_mode, engine::FpuMode::kReduction);
  EXPECT_EQ(set->fpu_value, 0.5f);
  // The policy alone has no search to check; a search is checked whole.
  base.c_base = -1.0f;
  EXPECT_TRUE(
      SearchParamsOfSpec(Parse("net:x:raw", SpecRole::kPlayer), base).ok());
  auto refused = SearchParamsOfSpec(Parse("net:x", SpecRole::kPlayer), base);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StartsWith(refused.status().message(), "player \"net:x\": "))
      << refused.status();
}

TEST(SpecTest, MakeEvaluatorMakesEachKind) {
  const Game& c4 = GetGame("connect4");
  EvaluatorOptions options;
  options.rollouts = 3;
  auto make = [&](const char* text, SpecRole role) {
    auto evaluator = MakeEvaluator(c4, Parse(text, role), options);
    EXPECT_TRUE(evaluator.ok()) << text << ": " << evaluator.status();
    return evaluator.ok() ? (*evaluator)->Name() : "";
  };
  EXPECT_EQ(make("uniform", SpecRole::kEvaluator), "uniform");
  EXPECT_EQ(make("rollout", SpecRole::kEvaluator), "rollout:k=3");
  EXPECT_EQ(make("rollout:5", SpecRole::kEvaluator), "rollout:k=5");
  EXPECT_EQ(make("mcts:sims=9", SpecRole::kMeasured), "rollout:k=3");
  EXPECT_EQ(make("solver", SpecRole::kEvaluator), "solver");
  options.cache_entries = 100;
  EXPECT_EQ(make("uniform", SpecRole::kEvaluator), "uniform+cache");

  const Game& ttt = GetGame("tictactoe");
  auto checkpoint =
      nn::NewRandomCheckpoint(nn::NetworkConfig::ForGame(ttt, 1, 8), 5);
  ASSERT_TRUE(checkpoint.ok());
  const std::string path = ::testing::TempDir() + "/spec_test.ckpt";
  ASSERT_TRUE(nn::SaveCheckpoint(*checkpoint, path).ok());
  auto net = MakeEvaluator(ttt, Parse("net:" + path, SpecRole::kMeasured),
                           EvaluatorOptions());
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_TRUE(absl::StrContains((*net)->Name(), "net")) << (*net)->Name();

  // The spec's precision and kernels reach the server: the portable
  // kernels run anywhere, and the fast backend refuses fp16 in the spec's
  // name even though the options asked for fp32.
  auto portable = MakeEvaluator(
      ttt, Parse("net:" + path + ":kernels=portable", SpecRole::kPlayer),
      EvaluatorOptions());
  ASSERT_TRUE(portable.ok()) << portable.status();
  EvaluatorOptions fast;
  fast.inference.inference.backend = "fast";
  auto fp16 = MakeEvaluator(
      ttt, Parse("net:" + path + ":precision=fp16", SpecRole::kPlayer), fast);
  EXPECT_EQ(fp16.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(fp16.status().message(),
                               "player \"net:" + path + ":precision=fp16\": "))
      << fp16.status();
  fast.inference.inference.precision = nn::Precision::kFloat16;
  auto fp32 = MakeEvaluator(
      ttt, Parse("net:" + path + ":precision=fp32", SpecRole::kPlayer), fast);
  EXPECT_TRUE(fp32.ok()) << fp32.status();
}

TEST(SpecTest, MakeEvaluatorErrorsAreWordedForTheirRole) {
  az::testing::TreeGame no_solver("(F S)");
  auto solver = MakeEvaluator(no_solver, Parse("solver", SpecRole::kEvaluator),
                              EvaluatorOptions());
  EXPECT_EQ(solver.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(
      absl::StartsWith(solver.status().message(), "--evaluator=solver: "))
      << solver.status();
  EXPECT_TRUE(absl::StrContains(solver.status().message(), "no exact solver"));
  auto measured = MakeEvaluator(no_solver, Parse("solver", SpecRole::kMeasured),
                                EvaluatorOptions());
  EXPECT_EQ(measured.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(
      absl::StartsWith(measured.status().message(), "player \"solver\": "))
      << measured.status();

  // --evaluator's messages about --rollouts and paths stand alone.
  const Game& c4 = GetGame("connect4");
  EvaluatorOptions none;
  none.rollouts = 0;
  auto rollout =
      MakeEvaluator(c4, Parse("rollout", SpecRole::kEvaluator), none);
  EXPECT_EQ(rollout.status().message(),
            "the number of rollouts per leaf must be at least 1 (got 0)");
  auto mcts = MakeEvaluator(c4, Parse("mcts", SpecRole::kPlayer), none);
  EXPECT_EQ(mcts.status().message(),
            "player \"mcts\": the number of rollouts per leaf must be at "
            "least 1 (got 0)");
  auto missing = MakeEvaluator(c4, Parse("net:/missing", SpecRole::kPlayer),
                               EvaluatorOptions());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(absl::StartsWith(missing.status().message(),
                               "player \"net:/missing\": "));
  auto run = MakeEvaluator(c4, Parse("run:/missing", SpecRole::kMeasured),
                           EvaluatorOptions());
  EXPECT_EQ(run.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(
      absl::StrContains(run.status().message(), "/missing/checkpoints/latest"));
  auto human =
      MakeEvaluator(c4, Parse("human", SpecRole::kPlayer), EvaluatorOptions());
  EXPECT_EQ(human.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace az::selfplay
