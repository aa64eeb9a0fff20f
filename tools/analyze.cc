#include "tools/analyze.h"

#include <glog/logging.h>

#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "tools/command.h"

namespace az {
namespace {

using Json = nlohmann::json;

std::string Signed(float x) { return absl::StrFormat("%+.3f", x); }

std::string ProofText(const std::optional<engine::ProvenValue>& proven) {
  return proven.has_value() ? proven->ToString() : "";
}

Json ExactJson(const engine::ProvenValue& value) {
  Json j = {{"result", value.reward().ToString()},
            {"value", static_cast<int>(value.reward().value())}};
  if (std::optional<int> plies = value.plies_to_end()) {
    j["plies_to_end"] = *plies;
  }
  if (std::optional<int> score = value.score()) j["score"] = *score;
  return j;
}

std::vector<std::string> PrincipalVariation(const Analysis& a) {
  std::vector<std::string> pv;
  for (Action m : a.result.principal_variation) {
    pv.push_back(a.game->ActionToString(m));
  }
  return pv;
}

std::string BestMove(const Analysis& a) {
  return a.result.best_action == kNoAction
             ? ""
             : a.game->ActionToString(a.result.best_action);
}

// The "moves" array and the "visits" object of the JSON report.
std::pair<Json, Json> MovesJson(const Analysis& a) {
  const engine::SearchResult& r = a.result;
  Json visits = Json::object();
  Json moves = Json::array();
  for (const engine::MoveStats& m : r.moves) {
    std::string move = a.game->ActionToString(m.action);
    visits[move] = m.visits;
    Json j = {{"move", move},
              {"visits", m.visits},
              {"policy", r.policy[m.action]},
              {"prior", m.prior},
              {"q", m.q.has_value() ? Json(*m.q) : Json(nullptr)},
              {"proven", m.proven.has_value()}};
    if (m.proven.has_value()) j["exact"] = ExactJson(*m.proven);
    moves.push_back(j);
  }
  return {moves, visits};
}

}  // namespace

absl::StatusOr<std::unique_ptr<State>> PositionToAnalyze(
    const Game& game, const std::string& moves) {
  absl::StatusOr<std::unique_ptr<State>> state = game.NewStateFromMoves(moves);
  if (!state.ok()) {
    return UsageError(absl::StrCat("--position: ", state.status().message()));
  }
  if ((*state)->IsTerminal()) {
    return UsageError(absl::StrCat("--position: the game is already over (",
                                   OutcomeName((*state)->Outcome()),
                                   "): there is nothing to analyse"));
  }
  return state;
}

absl::StatusOr<Analysis> AnalyzePosition(const Game& game,
                                         const std::string& moves,
                                         std::unique_ptr<State> state,
                                         engine::Evaluator& evaluator,
                                         const engine::SearchParams& search) {
  absl::StatusOr<std::unique_ptr<engine::Search>> searcher =
      engine::Search::Create(game, &evaluator, search);
  if (!searcher.ok()) return AsUsageError(searcher.status());
  if (absl::Status s = (*searcher)->SetPosition(*state); !s.ok()) {
    return AsUsageError(s);
  }
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(engine::SearchResult result, (*searcher)->Run());
  Analysis analysis;
  analysis.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  analysis.game = &game;
  analysis.moves = moves;
  analysis.state = std::move(state);
  analysis.evaluator = evaluator.Name();
  analysis.search = search;
  analysis.result = std::move(result);
  LOG(INFO) << "searched " << analysis.result.simulations << " simulations in "
            << analysis.seconds << " s with " << analysis.evaluator;
  return analysis;
}

Json AnalysisJson(const Analysis& a) {
  const Game& game = *a.game;
  const engine::SearchResult& r = a.result;
  auto [moves, visits] = MovesJson(a);
  return {
      {"game", game.Name()},
      {"position", game.FormatMoves(*game.ParseMoves(a.moves))},
      {"to_move", a.state->ToMove() == Player::kFirst ? "first" : "second"},
      {"evaluator", a.evaluator},
      {"best_move", BestMove(a)},
      {"q", r.q},
      {"v", r.v},
      {"proven", r.proven()},
      {"exact", r.proven() ? Json(static_cast<int>(r.exact->reward().value()))
                           : Json(nullptr)},
      {"exact_detail", r.proven() ? ExactJson(*r.exact) : Json(nullptr)},
      {"visits", visits},
      {"moves", moves},
      {"pv", PrincipalVariation(a)},
      {"root_visits", r.root_visits},
      {"reward_visits", r.reward_visits},
      {"value_visits", r.value_visits},
      {"reward_share", r.reward_share()},
      {"simulations", r.simulations},
      {"sims_requested", a.search.num_simulations},
      {"threads", a.search.num_threads},
      {"stopped_proven", r.stopped_proven},
      {"stopped_tree_full", r.stopped_tree_full},
      {"tree_nodes", r.tree_nodes},
      {"seconds", a.seconds},
  };
}

std::string AnalysisText(const Analysis& a) {
  const Game& game = *a.game;
  const engine::SearchResult& r = a.result;
  const int threads = a.search.num_threads;
  std::string text = a.state->ToString();
  absl::StrAppendFormat(
      &text,
      "\n%s after \"%s\" (%d plies), evaluator %s, %d simulation%s on %d "
      "thread%s%s\n",
      game.Name(), a.moves, a.state->MoveNumber(), a.evaluator, r.simulations,
      r.simulations == 1 ? "" : "s", threads, threads == 1 ? "" : "s",
      r.stopped_proven      ? " (stopped: root proven)"
      : r.stopped_tree_full ? " (stopped: tree full)"
                            : "");
  absl::StrAppendFormat(&text, "\n%-6s %8s %7s %7s %7s  %s\n", "move", "visits",
                        "policy", "prior", "Q", "proven");
  for (const engine::MoveStats& m : r.moves) {
    absl::StrAppendFormat(&text, "%-6s %8d %6.1f%% %6.1f%% %7s  %s\n",
                          game.ActionToString(m.action), m.visits,
                          100.0 * r.policy[m.action], 100.0 * m.prior,
                          m.q.has_value() ? Signed(*m.q) : "-",
                          ProofText(m.proven));
  }
  absl::StrAppend(
      &text, "\nbest move: ", BestMove(a), "\n",
      "q (search value, side to move): ", Signed(r.q), "\n",
      "v (evaluator value at the root): ", Signed(r.v), "\n", "proven: ",
      r.proven() ? absl::StrCat("yes, ", r.exact->ToString()) : "no", "\n");
  absl::StrAppendFormat(
      &text,
      "reward/value share: %.1f%% of %d root visits grounded in terminal "
      "rewards or exact values, %.1f%% in learned/heuristic values\n",
      100.0 * r.reward_share(), r.root_visits,
      r.root_visits > 0 ? 100.0 * r.value_visits / r.root_visits : 0.0);
  absl::StrAppend(&text, "principal variation: ",
                  absl::StrJoin(PrincipalVariation(a), " "), "\n");
  return text;
}

}  // namespace az
