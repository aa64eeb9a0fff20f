// Flags that every subcommand which searches reads (analyze, bench, play,
// match), and their translation into plain values: engine's SearchParams
// and an Evaluator. Defined once in search_flags.cc.
#pragma once

#include <gflags/gflags.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
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

// The evaluator --evaluator names (see selfplay/spec.h: uniform, rollout,
// rollout:K, solver, net:PATH), with --rollouts, --seed, the network flags
// and, with --cache_entries > 0, the evaluation cache around it. The errors
// are --evaluator's (unknown names, bad numbers, games without a solver,
// checkpoints that cannot be loaded).
absl::StatusOr<std::unique_ptr<engine::Evaluator>> EvaluatorFromFlags(
    const Game& game);

}  // namespace az
