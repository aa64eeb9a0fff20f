// `az analyze`: searches one position and prints what the search found:
// the best move, every move's visits, prior, Q and proof, the root values
// q and v, the proven value if any, how much of the search was grounded in
// rewards, and the principal variation.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/search.h"
#include "games/registry.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/search_flags.h"

DEFINE_string(position, "",
              "The position to analyse, as the moves from the start in the "
              "game's notation (e.g. 4453 in Connect Four); empty for the "
              "initial position.");

namespace az {
namespace {

using Json = nlohmann::json;

int Fail(int code, absl::string_view message) {
  std::fprintf(stderr, "az analyze: %s\n", std::string(message).c_str());
  return code;
}

std::string Signed(float x) { return absl::StrFormat("%+.3f", x); }

std::string ProofText(const std::optional<engine::ProvenValue>& proven) {
  return proven.has_value() ? proven->ToString() : "";
}

Json ExactJson(const engine::ProvenValue& value) {
  Json j = {{"result", value.reward().ToString()},
            {"value", value.reward().value()}};
  if (std::optional<int> plies = value.plies_to_end()) {
    j["plies_to_end"] = *plies;
  }
  if (std::optional<int> score = value.score()) j["score"] = *score;
  return j;
}

int RunAnalyze(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    return Fail(2, absl::StrCat("unexpected argument '", args[1],
                                "' (the position goes in --position)"));
  }
  absl::StatusOr<const Game*> game_or = FindGame(FLAGS_game);
  if (!game_or.ok()) return Fail(2, game_or.status().message());
  const Game& game = **game_or;
  absl::StatusOr<std::unique_ptr<State>> state =
      game.NewStateFromMoves(FLAGS_position);
  if (!state.ok()) {
    return Fail(2, absl::StrCat("--position: ", state.status().message()));
  }
  if ((*state)->IsTerminal()) {
    return Fail(2, absl::StrCat("--position: the game is already over (",
                                OutcomeName((*state)->Outcome()),
                                "): there is nothing to analyse"));
  }
  absl::StatusOr<engine::SearchParams> params = SearchParamsFromFlags(game);
  if (!params.ok()) return Fail(2, params.status().message());
  absl::StatusOr<EvaluatorStack> evaluator = EvaluatorFromFlags(game);
  if (!evaluator.ok()) return Fail(2, evaluator.status().message());
  absl::StatusOr<std::unique_ptr<engine::Search>> search =
      engine::Search::Create(game, evaluator->get(), *params);
  if (!search.ok()) return Fail(2, search.status().message());
  if (absl::Status s = (*search)->SetPosition(**state); !s.ok()) {
    return Fail(2, s.message());
  }

  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<engine::SearchResult> result = (*search)->Run();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!result.ok()) return Fail(1, result.status().message());
  const engine::SearchResult& r = *result;
  LOG(INFO) << "searched " << r.simulations << " simulations in " << seconds
            << " s with " << evaluator->get()->Name();

  std::vector<std::string> pv;
  for (Action a : r.principal_variation) pv.push_back(game.ActionToString(a));
  const std::string best =
      r.best_action == kNoAction ? "" : game.ActionToString(r.best_action);

  if (FLAGS_json) {
    Json visits = Json::object();
    Json moves = Json::array();
    for (const engine::MoveStats& m : r.moves) {
      std::string move = game.ActionToString(m.action);
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
    Json out = {
        {"game", game.Name()},
        {"position", game.FormatMoves(*game.ParseMoves(FLAGS_position))},
        {"to_move", (*state)->ToMove() == Player::kFirst ? "first" : "second"},
        {"evaluator", evaluator->get()->Name()},
        {"best_move", best},
        {"q", r.q},
        {"v", r.v},
        {"proven", r.proven()},
        {"exact", r.proven() ? Json(r.exact->reward().value()) : Json(nullptr)},
        {"exact_detail", r.proven() ? ExactJson(*r.exact) : Json(nullptr)},
        {"visits", visits},
        {"moves", moves},
        {"pv", pv},
        {"root_visits", r.root_visits},
        {"reward_visits", r.reward_visits},
        {"value_visits", r.value_visits},
        {"reward_share", r.reward_share()},
        {"simulations", r.simulations},
        {"sims_requested", params->num_simulations},
        {"threads", params->num_threads},
        {"stopped_proven", r.stopped_proven},
        {"stopped_tree_full", r.stopped_tree_full},
        {"tree_nodes", r.tree_nodes},
        {"seconds", seconds},
    };
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }

  std::printf("%s", (*state)->ToString().c_str());
  std::printf(
      "\n%s after \"%s\" (%d plies), evaluator %s, %d simulation%s "
      "on %d thread%s%s\n",
      game.Name().c_str(), FLAGS_position.c_str(), (*state)->MoveNumber(),
      evaluator->get()->Name().c_str(), r.simulations,
      r.simulations == 1 ? "" : "s", params->num_threads,
      params->num_threads == 1 ? "" : "s",
      r.stopped_proven      ? " (stopped: root proven)"
      : r.stopped_tree_full ? " (stopped: tree full)"
                            : "");
  std::printf("\n%-6s %8s %7s %7s %7s  %s\n", "move", "visits", "policy",
              "prior", "Q", "proven");
  for (const engine::MoveStats& m : r.moves) {
    std::printf("%-6s %8d %6.1f%% %6.1f%% %7s  %s\n",
                game.ActionToString(m.action).c_str(), m.visits,
                100.0 * r.policy[m.action], 100.0 * m.prior,
                m.q.has_value() ? Signed(*m.q).c_str() : "-",
                ProofText(m.proven).c_str());
  }
  std::printf("\nbest move: %s\n", best.c_str());
  std::printf("q (search value, side to move): %s\n", Signed(r.q).c_str());
  std::printf("v (evaluator value at the root): %s\n", Signed(r.v).c_str());
  std::printf(
      "proven: %s\n",
      r.proven() ? absl::StrCat("yes, ", r.exact->ToString()).c_str() : "no");
  std::printf(
      "reward/value share: %.1f%% of %d root visits grounded in terminal "
      "rewards or exact values, %.1f%% in learned/heuristic values\n",
      100.0 * r.reward_share(), r.root_visits,
      r.root_visits > 0 ? 100.0 * r.value_visits / r.root_visits : 0.0);
  std::printf("principal variation: %s\n", absl::StrJoin(pv, " ").c_str());
  return 0;
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(analyze, "analyze", "search one position and explain it",
                    "az analyze --game=G --position=MOVES "
                    "--evaluator=uniform|rollout|solver|net:PATH --sims=N "
                    "[--threads=T] [--json]",
                    az::RunAnalyze, "search", "network");
