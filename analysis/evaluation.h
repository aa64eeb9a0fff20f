// Running the player under test over a set of positions, fast: raw values in
// large batches through the evaluator (the inference server batches the
// calls of several threads into forward passes), and searches in self-play
// mode (engine::MultiGameSearch: one thread drives many searches and fills
// each evaluator call with a leaf from every one of them).
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "analysis/measures.h"
#include "engine/evaluator.h"
#include "engine/search_params.h"
#include "games/game.h"

namespace az::analysis {

// The evaluator's raw judgement of a position: the learned value `v` with
// its WDL, and the move its policy likes best.
struct RawEvaluation {
  ValuePrediction v;
  Action policy_move = kNoAction;
  // Whether the evaluator knew the exact value (the solver does).
  bool exact = false;
};

// The result of a search of one position at one budget.
struct SearchEvaluation {
  // The root search value `q`. A root the search proved takes its proven
  // value as a one-hot WDL; otherwise q is a scalar and its WDL is
  // DrawFreeWdl(q).
  ValuePrediction q;
  Action search_move = kNoAction;  // the move the search would play
  bool proven = false;
};

struct EvaluationOptions {
  int threads = 2;
  // Positions per evaluator call (raw values).
  int batch = 256;
  // Searches one thread drives at once.
  int searches_per_thread = 64;
};

// Evaluates every state (none finished) with `evaluator`.
absl::StatusOr<std::vector<RawEvaluation>> EvaluateRaw(
    const Game& game, engine::Evaluator* evaluator,
    const std::vector<const State*>& states, const EvaluationOptions& options);

// Searches every state with `params` (params.num_simulations is the budget;
// the search is deterministic for a deterministic evaluator).
absl::StatusOr<std::vector<SearchEvaluation>> EvaluateSearch(
    const Game& game, engine::Evaluator* evaluator,
    const engine::SearchParams& params, const std::vector<const State*>& states,
    const EvaluationOptions& options);

}  // namespace az::analysis
