#include "tools/search_flags.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "selfplay/spec.h"
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
    ASSIGN_OR_RETURN(*flag.field,
                     engine::SearchParamToFloat(flag.name, flag.value));
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

absl::StatusOr<std::unique_ptr<engine::Evaluator>> EvaluatorFromFlags(
    const Game& game) {
  ASSIGN_OR_RETURN(
      selfplay::Spec spec,
      selfplay::ParseSpec(FLAGS_evaluator, selfplay::SpecRole::kEvaluator));
  if (FLAGS_cache_entries < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--cache_entries must be >= 0 (got ", FLAGS_cache_entries, ")"));
  }
  selfplay::EvaluatorOptions options;
  options.rollouts = FLAGS_rollouts;
  options.seed = FLAGS_seed;
  options.cache_entries = FLAGS_cache_entries;
  if (spec.kind == selfplay::SpecKind::kNet) {
    // Every search thread is one client of the server. Read only for a
    // network, so that a network flag cannot fail a search without one.
    ASSIGN_OR_RETURN(options.inference, InferenceServerOptionsFromFlags(
                                            std::max<int>(1, FLAGS_threads)));
  }
  return selfplay::MakeEvaluator(game, spec, options);
}

}  // namespace az
