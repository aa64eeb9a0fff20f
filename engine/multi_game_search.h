// Self-play mode: one thread drives many independent searches (one per
// game) and fills each evaluator batch with one leaf from every search, so
// batches are full without distorting any single search.
//
// Each search still runs simulation after simulation on its own tree, so
// with a deterministic evaluator every game gets exactly the result it
// would get alone. Several MultiGameSearch objects may run on separate
// threads against one thread-safe evaluator.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/evaluator.h"
#include "engine/search.h"
#include "engine/search_params.h"
#include "games/game.h"

namespace az::engine {

class MultiGameSearch {
 public:
  // `num_games` searches of `game`; search i uses `params` with seed
  // params.seed + i. params.num_threads must be 1 (this thread drives every
  // search).
  static absl::StatusOr<std::unique_ptr<MultiGameSearch>> Create(
      const Game& game, Evaluator* evaluator, const SearchParams& params,
      int num_games);

  int num_games() const { return static_cast<int>(searches_.size()); }
  // The search of game i: set its position, apply moves, read its result.
  Search& search(int i) { return *searches_[i]; }

  // The budget of game i's searches from the next RunSearches() on (at
  // first the params' simulations and root noise); simulations must be at
  // least 1.
  void SetBudget(int i, const SearchBudget& budget);
  const SearchBudget& budget(int i) const { return budgets_[i]; }

  // Runs one search (of its game's budget) in every game
  // whose root position is not over, calling the evaluator once per round
  // with one leaf from each search still running. Then search(i).Result()
  // holds game i's result. When `cancel` is set and becomes true, returns
  // Cancelled between two rounds: the searches are left unfinished (only
  // SetPosition() makes them usable again), so a caller that stops can stop
  // within one evaluator call rather than after a whole move's search.
  absl::Status RunSearches(const std::atomic<bool>* cancel = nullptr);

  // Rounds (evaluator calls) and leaves evaluated by the last RunSearches().
  int64_t rounds() const { return rounds_; }
  int64_t leaves_evaluated() const { return leaves_; }

 private:
  MultiGameSearch(const Game& game, Evaluator* evaluator);

  const Game& game_;
  Evaluator* evaluator_;
  int num_actions_;
  std::vector<std::unique_ptr<Search>> searches_;
  std::vector<SearchBudget> budgets_;  // one per game
  // Batch buffers, reused from round to round.
  std::vector<Search*> owners_;
  std::vector<const State*> states_;
  std::vector<float> priors_;
  std::vector<LeafEvaluation> results_;
  int64_t rounds_ = 0;
  int64_t leaves_ = 0;
};

}  // namespace az::engine
