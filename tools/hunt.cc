#include "tools/hunt.h"

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "analysis/report.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "engine/search_params.h"
#include "tools/command.h"
#include "tools/game_profile.h"

namespace az {
namespace {

absl::StatusOr<selfplay::Spec> PlayerOf(const std::string& players) {
  std::vector<std::string> specs =
      absl::StrSplit(players, ',', absl::SkipEmpty());
  if (specs.size() != 1) {
    return UsageError(
        "give one player to hunt: --players=SPEC (run:DIR, net:PATH, mcts, "
        "uniform or solver)");
  }
  absl::StatusOr<selfplay::Spec> spec =
      selfplay::ParseSpec(specs[0], selfplay::SpecRole::kMeasured);
  if (!spec.ok()) return AsUsageError(spec.status());
  if (spec->kind == selfplay::SpecKind::kHuman ||
      spec->kind == selfplay::SpecKind::kRandom) {
    return UsageError(absl::StrCat("player \"", specs[0],
                                   "\" has no value to hunt (hunt run:DIR, "
                                   "net:PATH, mcts, uniform or solver)"));
  }
  return spec;
}

absl::Status CheckRequest(const HuntRequest& r) {
  if (!r.start.empty()) {
    return UsageError("--start is not used by az hunt (the hunter chooses "
                      "its lines from the initial position)");
  }
  if (r.budget < 10) {
    return UsageError(absl::StrCat("--budget must be >= 10 exact labels (got ",
                                   r.budget, ")"));
  }
  if (r.beam < 1) return UsageError("--beam must be >= 1");
  if (r.threads < 0) return UsageError("--threads must be >= 0");
  for (double t : {r.confident, r.draw_confident}) {
    if (!(t >= 0.0 && t < 1.0)) {
      return UsageError(
          "--confident and --draw_confident must be in [0, 1)");
    }
  }
  if (r.player_moves != "sample" && r.player_moves != "best") {
    return UsageError(absl::StrCat("--player_moves=", r.player_moves,
                                   ": expected sample or best"));
  }
  return absl::OkStatus();
}

std::string Num(double x, int digits = 3) {
  return absl::StrFormat("%.*f", digits, x);
}

nlohmann::json StrategyJson(const analysis::StrategyResult& s) {
  nlohmann::json j;
  j["labels"] = s.labels;
  j["confident_wrong"] = s.confident_wrong;
  j["confident_wrong_per_1000"] = s.per_1000;
  j["confident_wrong_per_1000_lo"] = s.per_1000_interval.lo;
  j["confident_wrong_per_1000_hi"] = s.per_1000_interval.hi;
  j["confident_labelled"] = s.confident_labelled;
  j["evaluations"] = s.evaluations;
  j["seconds"] = s.seconds;
  return j;
}

nlohmann::json PositionJson(const Game& game,
                            const analysis::FoundPosition& f) {
  nlohmann::json j;
  j["moves"] = game.FormatMoves(f.actions);
  j["ply"] = f.ply;
  j["v"] = f.v;
  if (f.q.has_value()) j["q"] = *f.q;
  j["exact_reward"] = f.exact.reward.value();
  j["exact_score"] = f.exact.score;
  if (f.hunter.has_value()) {
    j["hunter"] = *f.hunter == Player::kFirst ? "first" : "second";
  }
  j["player_line_probability"] = f.player_line_probability;
  return j;
}

// "win", "draw" or "loss" for the side to move.
std::string OutcomeName(TerminalReward r) {
  return r.is_win() ? "win" : r.is_loss() ? "loss" : "draw";
}

}  // namespace

absl::StatusOr<HuntPlan> PlanHunt(const Game& game,
                                  const HuntRequest& request) {
  RETURN_IF_ERROR(CheckRequest(request));
  if (game.NewExactSolver() == nullptr) {
    return UsageError(absl::StrCat(
        game.Name(),
        " has no exact solver, so no value can be proved wrong (hunt "
        "tictactoe or connect4)"));
  }
  HuntPlan plan;
  plan.game = &game;
  ASSIGN_OR_RETURN(plan.player, PlayerOf(request.players));
  analysis::HuntOptions& o = plan.options;
  o.labels = request.budget;
  o.seed = request.seed;
  o.confident = request.confident;
  o.draw_confident = request.draw_confident;
  o.player_moves = request.player_moves == "best"
                       ? analysis::PlayerMoves::kBest
                       : analysis::PlayerMoves::kSample;
  o.min_ply =
      request.min_ply >= 0 ? request.min_ply : ProfileOf(game).gap_min_ply;
  o.beam = request.beam;
  o.baselines = request.baselines;
  o.evaluation.threads = request.threads > 0 ? request.threads : 2;
  o.evaluation.batch = std::max(1, request.max_batch);
  o.search = engine::FullStrength(engine::DefaultSearchParams(game));
  o.search.seed = request.seed;
  if (plan.player.searches()) {
    absl::StatusOr<engine::SearchParams> params =
        selfplay::SearchParamsOfSpec(plan.player, o.search);
    if (!params.ok()) return AsUsageError(params.status());
    o.search = *params;
    o.search_budget = plan.player.search.simulations.value_or(0);
  }
  plan.inference = request.inference;
  plan.inference.clients = o.evaluation.threads;
  plan.command_line = request.command_line;
  return plan;
}

absl::StatusOr<analysis::HuntResult> RunHunt(const HuntPlan& plan) {
  selfplay::EvaluatorOptions evaluation;
  evaluation.seed = plan.options.seed;
  evaluation.inference = plan.inference;
  ASSIGN_OR_RETURN(std::unique_ptr<engine::Evaluator> evaluator,
                   selfplay::MakeEvaluator(*plan.game, plan.player,
                                           evaluation));
  return analysis::Hunt(*plan.game, evaluator.get(), plan.options);
}

nlohmann::json HuntJson(const HuntPlan& plan,
                        const analysis::HuntResult& result) {
  nlohmann::json j = StrategyJson(result.hunter);
  j["game"] = plan.game->Name();
  j["player"] = plan.player.text;
  j["seconds"] = result.hunter.seconds;
  j["total_seconds"] = result.seconds;
  j["min_ply"] = plan.options.min_ply;
  j["confident"] = plan.options.confident;
  j["draw_confident"] = plan.options.draw_confident;
  j["search_budget"] = plan.options.search_budget;
  j["seed"] = plan.options.seed;
  nlohmann::json baselines = nlohmann::json::object();
  if (result.random.has_value()) {
    baselines["random"] = StrategyJson(*result.random);
  }
  if (result.self.has_value()) baselines["self"] = StrategyJson(*result.self);
  j["baselines"] = baselines;
  if (result.random.has_value() && result.random->per_1000 > 0) {
    j["ratio_to_random"] = result.hunter.per_1000 / result.random->per_1000;
  }
  nlohmann::json positions = nlohmann::json::array();
  for (const analysis::FoundPosition& f : result.hunter.found) {
    positions.push_back(PositionJson(*plan.game, f));
  }
  j["positions"] = positions;
  return j;
}

std::string HuntTable(const HuntPlan& plan,
                      const analysis::HuntResult& result) {
  std::string out = absl::StrCat(
      plan.game->Name(), ", player ", plan.player.text, ": confident-wrong ",
      "values (|v| > ", Num(plan.options.confident, 2), " with the wrong sign, ",
      "or > ", Num(plan.options.draw_confident, 2),
      " on a draw), positions of at least ", plan.options.min_ply,
      " plies\n");
  absl::StrAppend(&out,
                  "strategy     labels  found  per 1000 labels  95% interval"
                  "        seconds\n");
  auto row = [&](const std::string& name,
                 const analysis::StrategyResult& s) {
    absl::StrAppend(
        &out, absl::StrFormat("%-10s %8d %6d  %15.1f  [%.1f, %.1f]%*s%.1f\n",
                              name, s.labels, s.confident_wrong, s.per_1000,
                              s.per_1000_interval.lo, s.per_1000_interval.hi,
                              4, "", s.seconds));
  };
  row("hunter", result.hunter);
  if (result.random.has_value()) row("random", *result.random);
  if (result.self.has_value()) row("self", *result.self);
  const size_t shown = std::min<size_t>(10, result.hunter.found.size());
  if (shown > 0) {
    absl::StrAppend(&out, "first finds (replay: az play --start=MOVES):\n");
  }
  for (size_t i = 0; i < shown; ++i) {
    const analysis::FoundPosition& f = result.hunter.found[i];
    absl::StrAppend(&out, "  ", plan.game->FormatMoves(f.actions), "  v ",
                    Num(f.v),
                    f.q.has_value() ? absl::StrCat("  q ", Num(*f.q)) : "",
                    "  exact ", OutcomeName(f.exact.reward), " (score ",
                    f.exact.score, ")  line probability ",
                    absl::StrFormat("%.2g", f.player_line_probability), "\n");
  }
  return out;
}

std::string HuntPositionFile(const Game& game,
                             const analysis::StrategyResult& found) {
  std::string out = absl::StrCat(
      "# ", found.confident_wrong, " confident-wrong positions found by ",
      analysis::HuntStrategyName(found.strategy), " with ", found.labels,
      " exact labels; each line: moves, exact score for the side to move\n");
  for (const analysis::FoundPosition& f : found.found) {
    absl::StrAppend(
        &out, "# v ", Num(f.v),
        f.q.has_value() ? absl::StrCat(" q ", Num(*f.q)) : "", ", exact ",
        OutcomeName(f.exact.reward),
        f.hunter.has_value()
            ? absl::StrCat(", hunter played ",
                           *f.hunter == Player::kFirst ? "first" : "second")
            : "",
        ", player line probability ",
        absl::StrFormat("%.3g", f.player_line_probability), "\n",
        game.FormatMoves(f.actions), " ", f.exact.score, "\n");
  }
  return out;
}

namespace {

// error-by-ply.dat: one block per strategy, a point per found position.
std::string ErrorByPlyData(const analysis::HuntResult& result,
                           std::vector<std::string>* titles) {
  std::string data;
  auto block = [&](const analysis::StrategyResult& s) {
    titles->push_back(analysis::HuntStrategyName(s.strategy));
    absl::StrAppend(&data, "# ", titles->back(), "\n# ply error v exact\n");
    for (const analysis::FoundPosition& f : s.found) {
      absl::StrAppend(&data, f.ply, " ", Num(f.error(), 4), " ", Num(f.v, 4),
                      " ", f.exact.reward.value(), "\n");
    }
    absl::StrAppend(&data, s.found.empty() ? "NaN NaN NaN NaN\n" : "",
                    "\n\n");
  };
  block(result.hunter);
  if (result.random.has_value()) block(*result.random);
  if (result.self.has_value()) block(*result.self);
  return data;
}

std::string ErrorByPlyScript(const HuntPlan& plan,
                             const std::vector<std::string>& titles) {
  std::string script = absl::StrCat(
      "set terminal pngcairo size 800,560 noenhanced\n",
      "set output 'error-by-ply.png'\n", "set title 'confident-wrong values: ",
      plan.game->Name(), ", ", plan.player.text, "'\n",
      "set xlabel 'ply'\nset ylabel '|v - exact reward|'\n",
      "set yrange [0:2.05]\nset grid\nset key below\nplot ");
  for (size_t i = 0; i < titles.size(); ++i) {
    absl::StrAppend(&script, i > 0 ? ", " : "",
                    "'error-by-ply.dat' index ", i, " using ($1+", 0.2 * i,
                    "):2 title '", titles[i], "' with points pt ", 7 - i);
  }
  absl::StrAppend(&script, "\n");
  return script;
}

std::string ReportMarkdown(const HuntPlan& plan,
                           const analysis::HuntResult& result,
                           const std::string& note) {
  std::string md = absl::StrCat(
      "# az hunt: ", plan.game->Name(), ", ", plan.player.text, "\n\n",
      "Command: `", plan.command_line, "`\n\n",
      "A value is confidently wrong when |v| > ", Num(plan.options.confident, 2),
      " and the exact outcome has the other sign, or |v| > ",
      Num(plan.options.draw_confident, 2),
      " on an exact draw. Every strategy spends the same budget of exact "
      "labels on positions of at least ",
      plan.options.min_ply,
      " plies; the interval is Wilson's (95%).\n\n",
      "| strategy | labels | found | per 1000 labels | 95% interval | seconds "
      "|\n|---|---|---|---|---|---|\n");
  auto row = [&](const analysis::StrategyResult& s) {
    absl::StrAppend(&md, "| ", analysis::HuntStrategyName(s.strategy), " | ",
                    s.labels, " | ", s.confident_wrong, " | ",
                    Num(s.per_1000, 1), " | [", Num(s.per_1000_interval.lo, 1),
                    ", ", Num(s.per_1000_interval.hi, 1), "] | ",
                    Num(s.seconds, 1), " |\n");
  };
  row(result.hunter);
  if (result.random.has_value()) row(*result.random);
  if (result.self.has_value()) row(*result.self);
  absl::StrAppend(&md,
                  "\nThe hunter's finds are in `positions.txt` (a position "
                  "file for `az gap --sets=` ; each line's moves replay "
                  "with `az play --start=MOVES`), the baselines' in "
                  "`baselines.txt`.\n\n![error by ply](error-by-ply.png)\n");
  if (!note.empty()) absl::StrAppend(&md, "\n_", note, "._\n");
  return md;
}

}  // namespace

absl::StatusOr<std::string> WriteHuntDirectory(
    const HuntPlan& plan, const analysis::HuntResult& result,
    const std::string& dir, const std::string& gnuplot) {
  RETURN_IF_ERROR(base::MakeDirectories(dir));
  const Game& game = *plan.game;
  auto write = [&](const std::string& name, const std::string& text) {
    return base::WriteFileAtomically(absl::StrCat(dir, "/", name), text);
  };
  RETURN_IF_ERROR(write("positions.txt", HuntPositionFile(game, result.hunter)));
  std::string baselines;
  if (result.random.has_value()) {
    absl::StrAppend(&baselines, HuntPositionFile(game, *result.random));
  }
  if (result.self.has_value()) {
    absl::StrAppend(&baselines, HuntPositionFile(game, *result.self));
  }
  RETURN_IF_ERROR(write("baselines.txt", baselines));
  RETURN_IF_ERROR(write("hunt.json", HuntJson(plan, result).dump(2) + "\n"));
  std::vector<std::string> titles;
  RETURN_IF_ERROR(write("error-by-ply.dat", ErrorByPlyData(result, &titles)));
  RETURN_IF_ERROR(write("error-by-ply.gp", ErrorByPlyScript(plan, titles)));
  analysis::ReportFiles files;
  analysis::DrawPlots(dir, gnuplot, {"error-by-ply.gp"}, &files);
  const std::string note = files.pictures_drawn ? "" : files.note;
  RETURN_IF_ERROR(write("report.md", ReportMarkdown(plan, result, note)));
  return note;
}

}  // namespace az
