#include "analysis/evaluation.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "base/parallel.h"
#include "base/status_macros.h"
#include "engine/multi_game_search.h"
#include "engine/search.h"

namespace az::analysis {

absl::StatusOr<std::vector<RawEvaluation>> EvaluateRaw(
    const Game& game, engine::Evaluator* evaluator,
    const std::vector<const State*>& states, const EvaluationOptions& options) {
  const int num_actions = game.NumActions();
  std::vector<RawEvaluation> out(states.size());
  const size_t batch = std::max(1, options.batch);
  RETURN_IF_ERROR(base::ForChunks(
      states.size(), batch, std::max(1, options.threads),
      [&](size_t begin, size_t end, int) -> absl::Status {
        const size_t n = end - begin;
        std::vector<float> priors(n * num_actions);
        std::vector<engine::LeafEvaluation> results(n);
        RETURN_IF_ERROR(evaluator->Evaluate(
            absl::MakeConstSpan(states.data() + begin, n),
            absl::MakeSpan(priors), absl::MakeSpan(results)));
        std::vector<Action> legal(num_actions);
        for (size_t i = 0; i < n; ++i) {
          RawEvaluation& r = out[begin + i];
          const engine::ValueEstimate& e = results[i].value;
          r.v.value = e.Scalar();
          r.v.wdl = {e.win, e.draw, e.loss};
          r.v.has_wdl = true;
          r.exact = results[i].exact.has_value();
          // The policy's favourite legal move (the lowest action on ties).
          const float* p = priors.data() + i * num_actions;
          const int count = states[begin + i]->FillLegalActions(legal.data());
          for (int k = 0; k < count; ++k) {
            if (r.policy_move == kNoAction || p[legal[k]] > p[r.policy_move]) {
              r.policy_move = legal[k];
            }
          }
        }
        return absl::OkStatus();
      }));
  return out;
}

namespace {

// What a finished search says about its root: its move and its value (the
// exact reward where the search proved it).
SearchEvaluation EvaluationOf(const engine::SearchResult& r) {
  SearchEvaluation e;
  e.search_move = r.best_action;
  e.proven = r.proven();
  if (r.proven()) {
    const TerminalReward reward = r.exact->reward();
    e.q.value = reward.value();
    e.q.wdl = {reward.is_win() ? 1.0 : 0.0, reward.is_draw() ? 1.0 : 0.0,
               reward.is_loss() ? 1.0 : 0.0};
    e.q.has_wdl = true;
  } else {
    e.q.value = r.q;
    e.q.wdl = DrawFreeWdl(r.q);
    e.q.has_wdl = false;
  }
  return e;
}

// Searches `states` side by side with `driver` (at least as many games as
// states), into `out`.
absl::Status SearchTogether(engine::MultiGameSearch& driver,
                            absl::Span<const State* const> states,
                            SearchEvaluation* out) {
  for (size_t i = 0; i < states.size(); ++i) {
    RETURN_IF_ERROR(driver.search(static_cast<int>(i)).SetPosition(*states[i]));
  }
  RETURN_IF_ERROR(driver.RunSearches());
  for (size_t i = 0; i < states.size(); ++i) {
    out[i] = EvaluationOf(driver.search(static_cast<int>(i)).Result());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<SearchEvaluation>> EvaluateSearch(
    const Game& game, engine::Evaluator* evaluator,
    const engine::SearchParams& params, const std::vector<const State*>& states,
    const EvaluationOptions& options) {
  std::vector<SearchEvaluation> out(states.size());
  const int threads = std::max(1, options.threads);
  const int per_thread = std::max(1, options.searches_per_thread);
  engine::SearchParams p = params;
  p.num_threads = 1;
  p.root_noise = false;
  std::vector<std::unique_ptr<engine::MultiGameSearch>> drivers(threads);
  for (int t = 0; t < threads; ++t) {
    ASSIGN_OR_RETURN(drivers[t], engine::MultiGameSearch::Create(
                                     game, evaluator, p, per_thread));
  }
  RETURN_IF_ERROR(base::ForChunks(
      states.size(), per_thread, threads,
      [&](size_t begin, size_t end, int t) -> absl::Status {
        const int n = static_cast<int>(end - begin);
        // The last, partial chunk gets a driver of its own size: a search
        // left over from an earlier chunk would search its root again.
        std::unique_ptr<engine::MultiGameSearch> partial;
        if (n < drivers[t]->num_games()) {
          ASSIGN_OR_RETURN(
              partial, engine::MultiGameSearch::Create(game, evaluator, p, n));
        }
        return SearchTogether(partial != nullptr ? *partial : *drivers[t],
                              absl::MakeConstSpan(states.data() + begin, n),
                              out.data() + begin);
      }));
  return out;
}

}  // namespace az::analysis
