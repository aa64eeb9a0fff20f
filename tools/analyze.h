// az analyze apart from its flags: the position to analyse, one search of
// it, and the two ways of showing what the search found (a table for a
// person, one JSON object for a script). In az_tools, so that tests call it
// in-process.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "engine/evaluator.h"
#include "engine/search.h"
#include "engine/search_params.h"
#include "games/game.h"

namespace az {

// What one search of a position found, with what its report shows.
struct Analysis {
  const Game* game = nullptr;
  // The position as given: the moves from the start.
  std::string moves;
  std::unique_ptr<State> state;
  // The evaluator's name ("rollout:k=2+cache").
  std::string evaluator;
  // The settings the search ran with.
  engine::SearchParams search;
  engine::SearchResult result;
  // Wall time of the search.
  double seconds = 0.0;
};

// The position after `moves` (the game's notation), to be searched. A usage
// error naming --position when a move does not parse or is illegal, or when
// the game is already over there.
absl::StatusOr<std::unique_ptr<State>> PositionToAnalyze(
    const Game& game, const std::string& moves);

// Searches `state` (reached by `moves`) once with `evaluator` and `search`.
// A search that cannot be set up is a usage error (its settings come from
// the command line); a failure while it runs is not.
absl::StatusOr<Analysis> AnalyzePosition(const Game& game,
                                         const std::string& moves,
                                         std::unique_ptr<State> state,
                                         engine::Evaluator& evaluator,
                                         const engine::SearchParams& search);

// The report for a person: the board, every move's visits, policy, prior,
// Q and proof, the root values and the principal variation.
std::string AnalysisText(const Analysis& analysis);
// The same as one JSON object (the keys az analyze --json documents).
nlohmann::json AnalysisJson(const Analysis& analysis);

}  // namespace az
