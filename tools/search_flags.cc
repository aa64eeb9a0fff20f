#include "tools/search_flags.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/evaluators.h"
#include "tools/common_flags.h"
#include "tools/network_flags.h"

DEFINE_int32(sims, 800, "Simulations per search.");
DEFINE_string(evaluator, "uniform",
              "What evaluates leaves: uniform (uniform prior, value 0), "
              "rollout (random playouts, see --rollouts; or rollout:K), "
              "solver (the game's exact solver), net:PATH (a network "
              "checkpoint, through the inference server).");
DEFINE_int32(rollouts, 1, "Random playouts per leaf for --evaluator=rollout.");
DEFINE_int64(cache_entries, 0,
             "Entries of the evaluation cache around the evaluator (0: none).");
DEFINE_double(c_init, 1.25, "PUCT exploration constant c_init.");
DEFINE_double(c_base, 19652, "PUCT exploration growth c_base.");
DEFINE_double(fpu_reduction, 0.25,
              "First-play urgency: an unvisited move is valued at the "
              "parent's Q minus this.");

namespace az {

absl::StatusOr<engine::SearchParams> SearchParamsFromFlags(const Game& game) {
  engine::SearchParams params = engine::DefaultSearchParams(game);
  params.num_simulations = FLAGS_sims;
  // --threads is shared with solve, where 0 means one per core; a search
  // uses one thread unless told otherwise.
  params.num_threads = FLAGS_threads == 0 ? 1 : FLAGS_threads;
  // Each float flag is checked as the float it becomes (1e39 is inf, 1e-50
  // is 0), so that the error names the flag as typed.
  struct FloatFlag {
    const char* name;
    double value;
    float* field;
  };
  for (const FloatFlag& flag :
       {FloatFlag{"--c_init", FLAGS_c_init, &params.c_init},
        FloatFlag{"--c_base", FLAGS_c_base, &params.c_base},
        FloatFlag{"--fpu_reduction", FLAGS_fpu_reduction, &params.fpu_value}}) {
    absl::StatusOr<float> value =
        engine::SearchParamToFloat(flag.name, flag.value);
    if (!value.ok()) return value.status();
    *flag.field = *value;
  }
  params.seed = FLAGS_seed;
  if (absl::Status status = params.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(status.message(),
                     " (from --sims, --threads, --c_init, "
                     "--c_base or --fpu_reduction)"));
  }
  return params;
}

absl::StatusOr<EvaluatorStack> MakeEvaluator(const Game& game,
                                             const std::string& spec,
                                             int rollouts, uint64_t seed,
                                             int64_t cache_entries) {
  EvaluatorStack stack;
  if (spec == "uniform") {
    stack.base = std::make_unique<engine::UniformEvaluator>(game);
  } else if (spec == "rollout" || absl::StartsWith(spec, "rollout:")) {
    if (spec != "rollout" &&
        !absl::SimpleAtoi(spec.substr(sizeof("rollout:") - 1), &rollouts)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--evaluator=", spec, ": expected rollout:K with a number K"));
    }
    absl::StatusOr<std::unique_ptr<engine::RolloutEvaluator>> rollout =
        engine::RolloutEvaluator::Create(game, rollouts, seed);
    if (!rollout.ok()) return rollout.status();
    stack.base = std::move(*rollout);
  } else if (spec == "solver") {
    absl::StatusOr<std::unique_ptr<engine::SolverEvaluator>> solver =
        engine::SolverEvaluator::Create(game);
    if (!solver.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("--evaluator=solver: ", solver.status().message()));
    }
    stack.base = std::move(*solver);
  } else if (absl::StartsWith(spec, "net:")) {
    std::string path = spec.substr(4);
    if (path.empty()) {
      return absl::InvalidArgumentError("--evaluator=net:PATH needs a path");
    }
    // Every search thread is one client of the server.
    absl::StatusOr<std::unique_ptr<nn::InferenceServer>> server =
        InferenceServerFromFlags(game, path,
                                 std::max<int>(1, FLAGS_threads));
    if (!server.ok()) return server.status();
    stack.base = std::move(*server);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown evaluator \"", spec,
                     "\" (known: uniform, rollout, rollout:K, solver, net:PATH)"));
  }
  if (cache_entries < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cache_entries must be >= 0 (got ", cache_entries, ")"));
  }
  if (cache_entries > 0) {
    stack.cache = std::make_unique<engine::CachingEvaluator>(
        stack.base.get(), game.NumActions(), cache_entries);
  }
  return stack;
}

absl::StatusOr<EvaluatorStack> EvaluatorFromFlags(const Game& game) {
  return MakeEvaluator(game, FLAGS_evaluator, FLAGS_rollouts, FLAGS_seed,
                       FLAGS_cache_entries);
}

}  // namespace az
