#include "engine/multi_game_search.h"

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace az::engine {

MultiGameSearch::MultiGameSearch(const Game& game, Evaluator* evaluator)
    : game_(game), evaluator_(evaluator), num_actions_(game.NumActions()) {}

absl::StatusOr<std::unique_ptr<MultiGameSearch>> MultiGameSearch::Create(
    const Game& game, Evaluator* evaluator, const SearchParams& params,
    int num_games) {
  if (num_games < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "self-play mode needs at least 1 game (got ", num_games, ")"));
  }
  if (params.num_threads != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "self-play mode drives every search from one thread: num_threads "
        "must be 1 (got ",
        params.num_threads, ")"));
  }
  std::unique_ptr<MultiGameSearch> multi(new MultiGameSearch(game, evaluator));
  for (int i = 0; i < num_games; ++i) {
    SearchParams game_params = params;
    game_params.seed = params.seed + i;
    absl::StatusOr<std::unique_ptr<Search>> search =
        Search::Create(game, evaluator, game_params);
    if (!search.ok()) return search.status();
    multi->searches_.push_back(std::move(*search));
  }
  multi->budgets_.assign(num_games,
                         SearchBudget{params.num_simulations, params.root_noise});
  multi->owners_.reserve(num_games);
  multi->states_.reserve(num_games);
  multi->priors_.resize(static_cast<size_t>(num_games) * multi->num_actions_);
  multi->results_.resize(num_games);
  return multi;
}

void MultiGameSearch::SetBudget(int i, const SearchBudget& budget) {
  CHECK_GE(budget.simulations, 1);
  budgets_[i] = budget;
}

absl::Status MultiGameSearch::RunSearches(const std::atomic<bool>* cancel) {
  rounds_ = 0;
  leaves_ = 0;
  std::vector<Search*> running;
  for (size_t i = 0; i < searches_.size(); ++i) {
    Search* search = searches_[i].get();
    if (search->root_state().IsTerminal()) continue;
    search->StartSearch(budgets_[i]);
    running.push_back(search);
  }
  while (!running.empty()) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      return absl::CancelledError("self-play searches cancelled");
    }
    owners_.clear();
    states_.clear();
    size_t kept = 0;
    for (Search* search : running) {
      const State* leaf = search->NextLeaf();
      if (leaf == nullptr) continue;  // this search is done
      owners_.push_back(search);
      states_.push_back(leaf);
      running[kept++] = search;
    }
    running.resize(kept);
    if (states_.empty()) break;
    const size_t n = states_.size();
    absl::Status status =
        evaluator_->Evaluate(absl::MakeConstSpan(states_),
                             absl::MakeSpan(priors_.data(), n * num_actions_),
                             absl::MakeSpan(results_.data(), n));
    if (!status.ok()) {
      for (Search* search : owners_) search->AbandonLeaf();
      return status;
    }
    for (size_t i = 0; i < n; ++i) {
      owners_[i]->CompleteLeaf(&priors_[i * num_actions_], results_[i]);
    }
    ++rounds_;
    leaves_ += n;
  }
  return absl::OkStatus();
}

}  // namespace az::engine
