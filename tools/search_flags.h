// Flags that every subcommand which searches reads (analyze, bench, and
// later play and match), and their translation into the plain structs of
// engine/: SearchParams and an Evaluator. Defined once in search_flags.cc.
#pragma once

#include <gflags/gflags.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/evaluation_cache.h"
#include "engine/evaluator.h"
#include "engine/search_params.h"
#include "games/game.h"

DECLARE_int32(sims);
DECLARE_string(evaluator);
DECLARE_int32(rollouts);
DECLARE_int64(cache_entries);
DECLARE_double(c_init);
DECLARE_double(c_base);
DECLARE_double(fpu_reduction);

namespace az {

// The game's default search parameters with the search flags applied, and
// --seed; InvalidArgument (naming the flag) when one is out of range.
absl::StatusOr<engine::SearchParams> SearchParamsFromFlags(const Game& game);

// An evaluator and, with --cache_entries > 0, the cache around it.
struct EvaluatorStack {
  std::unique_ptr<engine::Evaluator> base;
  std::unique_ptr<engine::CachingEvaluator> cache;
  engine::Evaluator* get() const {
    return cache != nullptr ? static_cast<engine::Evaluator*>(cache.get())
                            : base.get();
  }
};

// The evaluator named `spec`: "uniform", "rollout" (--rollouts playouts per
// leaf, or "rollout:K"), "solver". Unknown names, bad numbers and games
// without a solver give InvalidArgument/FailedPrecondition with a clear
// message.
absl::StatusOr<EvaluatorStack> MakeEvaluator(const Game& game,
                                             const std::string& spec,
                                             int rollouts, uint64_t seed,
                                             int64_t cache_entries);
// The same from --evaluator, --rollouts, --seed and --cache_entries.
absl::StatusOr<EvaluatorStack> EvaluatorFromFlags(const Game& game);

}  // namespace az
