#include "tools/gap.h"

#include <glog/logging.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis/labels.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "selfplay/player.h"
#include "tools/command.h"
#include "tools/game_profile.h"

namespace az {
namespace {

std::vector<std::string> CommaList(const std::string& text) {
  return absl::StrSplit(text, ',', absl::SkipEmpty());
}

absl::StatusOr<std::vector<int>> ParseBudgets(const std::string& text) {
  std::vector<int> budgets;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 0) {
      return UsageError(
          absl::StrCat("--budgets=", text,
                       ": expected simulation counts >= 0, comma-separated"));
    }
    if (n > 0 &&
        std::find(budgets.begin(), budgets.end(), n) == budgets.end()) {
      budgets.push_back(n);
    }
  }
  std::sort(budgets.begin(), budgets.end());
  return budgets;
}

// The counts of the request that must not be negative (or too small).
absl::Status CheckCounts(const GapRequest& request) {
  if (request.worst < 0) return UsageError("--worst must be >= 0");
  if (request.resamples < 100) {
    return UsageError(
        absl::StrCat("--resamples must be >= 100 for a 95% interval (got ",
                     request.resamples, ")"));
  }
  if (request.playout < 0) return UsageError("--playout must be >= 0");
  if (request.threads < 0) return UsageError("--threads must be >= 0");
  return absl::OkStatus();
}

// A run's checkpoints in training order (none without --run).
absl::StatusOr<std::vector<selfplay::RunCheckpoint>> RunCheckpoints(
    const std::string& run) {
  if (run.empty()) return std::vector<selfplay::RunCheckpoint>();
  absl::StatusOr<std::vector<selfplay::RunCheckpoint>> listed =
      selfplay::ListCheckpoints(run);
  if (!listed.ok()) {
    return UsageError(
        absl::StrCat("--run=", run, ": ", listed.status().message()));
  }
  if (listed->empty()) {
    return UsageError(
        absl::StrCat("--run=", run, ": the run has no checkpoints yet"));
  }
  return listed;
}

// --sets, with the run's held-out games first where it has them.
std::vector<std::string> SetNames(const GapRequest& request) {
  std::vector<std::string> names = CommaList(request.sets);
  if (request.run.empty()) return names;
  const std::string heldout = absl::StrCat("heldout:", request.run);
  struct stat st;
  if (std::find(names.begin(), names.end(), heldout) == names.end() &&
      ::stat(selfplay::RunPaths(request.run).heldout().c_str(), &st) == 0) {
    names.insert(names.begin(), heldout);
  }
  return names;
}

// --generate; a generator without plies=A-B starts at `min_ply`.
absl::StatusOr<std::vector<analysis::GeneratorSpec>> ParseGenerators(
    const Game& game, const std::string& text, uint64_t seed, int min_ply) {
  std::vector<analysis::GeneratorSpec> generators;
  std::vector<std::string> texts = CommaList(text);
  for (size_t i = 0; i < texts.size(); ++i) {
    absl::StatusOr<analysis::GeneratorSpec> spec =
        analysis::ParseGeneratorSpec(texts[i], game, seed + i);
    if (!spec.ok()) return AsUsageError(spec.status());
    if (!absl::StrContains(spec->text, "plies=")) {
      spec->min_ply = std::max(spec->min_ply, min_ply);
      if (spec->max_ply >= 0 && spec->max_ply < spec->min_ply) {
        spec->max_ply = spec->min_ply;
      }
    }
    generators.push_back(*std::move(spec));
  }
  return generators;
}

// The spec players of --players, then every checkpoint of the run.
absl::StatusOr<std::vector<GapPlayer>> Players(
    const std::string& players, const std::string& run,
    const std::vector<selfplay::RunCheckpoint>& checkpoints) {
  std::vector<GapPlayer> out;
  for (const std::string& text : CommaList(players)) {
    absl::StatusOr<selfplay::Spec> spec =
        selfplay::ParseSpec(text, selfplay::SpecRole::kMeasured);
    if (!spec.ok()) return AsUsageError(spec.status());
    if (spec->kind == selfplay::SpecKind::kHuman ||
        spec->kind == selfplay::SpecKind::kRandom) {
      return UsageError(absl::StrCat(
          "player \"", text,
          "\" has no value to measure (measure solver, uniform, mcts, "
          "net:PATH or run:DIR)"));
    }
    out.push_back({text, *std::move(spec)});
  }
  for (const selfplay::RunCheckpoint& c : checkpoints) {
    GapPlayer player;
    player.name = absl::StrCat("run:", run, "@step-", c.step);
    player.step = c.step;
    // Made, not parsed: a checkpoint's path is a path, ':' and all.
    player.spec.text = "net:" + c.path;
    player.spec.role = selfplay::SpecRole::kMeasured;
    player.spec.kind = selfplay::SpecKind::kNet;
    player.spec.path = c.path;
    out.push_back(std::move(player));
  }
  return out;
}

// The sets of `plan`, loaded or generated, then narrowed.
absl::StatusOr<std::vector<analysis::PositionSet>> LoadSets(
    const GapPlan& plan) {
  const Game& game = *plan.game;
  std::vector<analysis::PositionSet> sets;
  for (const std::string& name : plan.set_names) {
    ASSIGN_OR_RETURN(analysis::PositionSet set,
                     absl::StartsWith(name, "heldout:")
                         ? analysis::LoadHeldoutSet(game, name.substr(8))
                         : analysis::LoadPositionFileSet(game, name));
    sets.push_back(std::move(set));
  }
  for (const analysis::GeneratorSpec& generator : plan.generators) {
    ASSIGN_OR_RETURN(analysis::PositionSet set,
                     analysis::GeneratePositionSet(game, generator));
    sets.push_back(std::move(set));
  }
  for (size_t i = 0; i < sets.size(); ++i) {
    RETURN_IF_ERROR(analysis::NarrowPositionSet(
        &sets[i], plan.min_ply, plan.max_positions, plan.seed + 1000 + i));
  }
  return sets;
}

// The player of the --playout games (null without them).
absl::StatusOr<std::unique_ptr<selfplay::PlayerFactory>> PlayoutPlayer(
    const GapPlan& plan) {
  if (plan.playout_games == 0) return nullptr;
  selfplay::PlayerOptions options;
  options.search = plan.search;
  options.inference = plan.inference;
  ASSIGN_OR_RETURN(std::unique_ptr<selfplay::PlayerFactory> factory,
                   selfplay::PlayerFactory::Create(
                       *plan.game, plan.playout_player, options));
  if (factory->is_human()) {
    return UsageError("--playout_player cannot be human");
  }
  return factory;
}

// The ground truth of every set, and how it was found.
struct LabelledSets {
  std::vector<std::vector<analysis::GroundTruth>> truth;
  std::vector<analysis::LabelStats> stats;
};

absl::StatusOr<LabelledSets> LabelSets(
    const GapPlan& plan, const std::vector<analysis::PositionSet>& sets,
    const selfplay::PlayerFactory* playout) {
  if (plan.label_cache != "beside" && plan.label_cache != "off") {
    if (absl::Status made = base::MakeDirectories(plan.label_cache);
        !made.ok()) {
      return absl::Status(made.code(),
                          absl::StrCat("--label_cache: ", made.message()));
    }
  }
  LabelledSets labelled;
  labelled.stats.resize(sets.size());
  for (size_t i = 0; i < sets.size(); ++i) {
    analysis::LabelOptions options;
    options.label_moves = plan.label_moves;
    options.playout_games = plan.playout_games;
    options.playout_player = playout;
    options.seed = plan.seed;
    options.threads = plan.threads;
    options.cache_path = LabelCachePath(sets[i], plan.label_cache);
    const analysis::LabelStats& stats = labelled.stats[i];
    ASSIGN_OR_RETURN(
        std::vector<analysis::GroundTruth> truth,
        analysis::LabelPositions(sets[i], options, &labelled.stats[i]));
    LOG(INFO) << sets[i].name << ": " << sets[i].positions.size()
              << " positions labelled (" << stats.description << ") "
              << (stats.from_cache > 0 ? "from the cache" : "now") << " in "
              << stats.seconds << " s";
    labelled.truth.push_back(std::move(truth));
  }
  return labelled;
}

// A player under test with the evaluator it owns.
struct MeasuredPlayer {
  analysis::PlayerUnderTest player;  // player.evaluator is evaluator.get()
  std::unique_ptr<engine::Evaluator> evaluator;
};

absl::StatusOr<MeasuredPlayer> MakeMeasuredPlayer(const GapPlan& plan,
                                                  const GapPlayer& source) {
  MeasuredPlayer measured;
  analysis::PlayerUnderTest& player = measured.player;
  player.name = source.name;
  player.step = source.step;
  player.learned = source.spec.learned();
  player.budgets = BudgetsOf(source.spec, plan.budgets);
  if (source.spec.searches()) {
    ASSIGN_OR_RETURN(player.search,
                     selfplay::SearchParamsOfSpec(source.spec, plan.search));
  }
  selfplay::EvaluatorOptions evaluation;
  evaluation.seed = plan.search.seed;
  evaluation.inference = plan.inference;
  ASSIGN_OR_RETURN(
      measured.evaluator,
      selfplay::MakeEvaluator(*plan.game, source.spec, evaluation));
  player.evaluator = measured.evaluator.get();
  return measured;
}

}  // namespace

absl::StatusOr<GapPlan> PlanGap(const Game& game, const GapRequest& request) {
  if (!request.start.empty()) {
    return UsageError(
        "--start is not used by az gap (positions come from --sets and "
        "--generate)");
  }
  GapPlan plan;
  plan.game = &game;
  ASSIGN_OR_RETURN(plan.budgets, ParseBudgets(request.budgets));
  RETURN_IF_ERROR(CheckCounts(request));
  plan.threads = request.threads > 0 ? request.threads : 2;
  if (CommaList(request.players).empty() && request.run.empty()) {
    return UsageError(
        "nothing to measure: give --players=SPEC[,SPEC...] and/or "
        "--run=DIR (see 'az help gap')");
  }
  // Checked before anything slow.
  ASSIGN_OR_RETURN(std::vector<selfplay::RunCheckpoint> checkpoints,
                   RunCheckpoints(request.run));
  plan.set_names = SetNames(request);
  plan.min_ply =
      request.min_ply >= 0 ? request.min_ply : ProfileOf(game).gap_min_ply;
  if (request.max_positions < 0) {
    return UsageError("--max_positions must not be negative");
  }
  ASSIGN_OR_RETURN(
      plan.generators,
      ParseGenerators(game, request.generate, request.seed, plan.min_ply));
  if (plan.set_names.empty() && plan.generators.empty()) {
    return UsageError(
        "no position set: give --sets=FILE|heldout:RUN[,...] and/or "
        "--generate=random:N (see 'az help gap')");
  }
  ASSIGN_OR_RETURN(plan.players,
                   Players(request.players, request.run, checkpoints));
  plan.search = engine::FullStrength(engine::DefaultSearchParams(game));
  plan.search.seed = request.seed;
  plan.inference = request.inference;
  plan.inference.clients = plan.threads;
  plan.max_positions = request.max_positions;
  plan.seed = request.seed;
  plan.playout_games = request.playout;
  plan.playout_player = request.playout_player;
  plan.label_moves = request.move_mistakes;
  plan.label_cache = request.label_cache;
  plan.worst = request.worst;
  plan.resamples = request.resamples;
  plan.max_batch = request.max_batch;
  plan.command_line = request.command_line;
  return plan;
}

std::string LabelCachePath(const analysis::PositionSet& set,
                           const std::string& label_cache) {
  if (label_cache == "beside") return set.default_label_cache;
  if (label_cache == "off") return "";
  std::string stem;
  for (char c : set.name) {
    stem += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return absl::StrCat(label_cache, "/",
                      stem.substr(std::max<int>(0, stem.size() - 60)),
                      ".gap-labels");
}

std::vector<int> BudgetsOf(const selfplay::Spec& spec,
                           const std::vector<int>& defaults) {
  if (!spec.search.simulations.has_value()) return defaults;
  if (*spec.search.simulations == 0) return {};
  return {*spec.search.simulations};
}

absl::StatusOr<analysis::GapReport> MeasureGaps(const GapPlan& plan) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::vector<analysis::PositionSet> sets, LoadSets(plan));
  ASSIGN_OR_RETURN(std::unique_ptr<selfplay::PlayerFactory> playout,
                   PlayoutPlayer(plan));
  ASSIGN_OR_RETURN(LabelledSets labels, LabelSets(plan, sets, playout.get()));
  analysis::GapOptions options;
  options.search = plan.search;
  options.evaluation.threads = plan.threads;
  options.evaluation.batch = std::max(1, plan.max_batch);
  options.bootstrap.resamples = plan.resamples;
  options.bootstrap.seed = plan.seed;
  options.worst = plan.worst;
  analysis::GapReport report;
  report.game = plan.game->Name();
  report.bootstrap = options.bootstrap;
  report.command_line = plan.command_line;
  for (const GapPlayer& source : plan.players) {
    ASSIGN_OR_RETURN(MeasuredPlayer measured, MakeMeasuredPlayer(plan, source));
    const analysis::PlayerUnderTest& player = measured.player;
    for (size_t i = 0; i < sets.size(); ++i) {
      absl::StatusOr<analysis::GapResult> result = analysis::MeasureGap(
          sets[i], labels.truth[i], labels.stats[i], player, options);
      if (!result.ok()) {
        return absl::Status(result.status().code(),
                            absl::StrCat(sets[i].name, ", player ", player.name,
                                         ": ", result.status().message()));
      }
      LOG(INFO) << sets[i].name << ", " << player.name << ": "
                << result->positions << " positions in " << result->seconds
                << " s (" << result->positions_per_s << " positions/s)";
      report.results.push_back(*std::move(result));
    }
  }
  analysis::ComputeDifferences(&report);
  RETURN_IF_ERROR(analysis::ComputeAgreements(&report));
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return report;
}

absl::StatusOr<GapOutput> RenderGapReport(const analysis::GapReport& report,
                                          const std::string& out_dir,
                                          bool json) {
  GapOutput output;
  std::string written;
  if (!out_dir.empty()) {
    ASSIGN_OR_RETURN(
        analysis::ReportFiles files,
        analysis::WriteReportDirectory(report, out_dir, "gnuplot"));
    if (!files.pictures_drawn) output.note = files.note;
    written = absl::StrCat("report: ", out_dir, "/report.md (",
                           files.files.size(), " files)");
  }
  if (json) {
    output.text = analysis::ReportJson(report).dump() + "\n";
  } else {
    output.text = analysis::FormatTable(report);
    if (!written.empty()) absl::StrAppend(&output.text, "\n", written, "\n");
  }
  return output;
}

}  // namespace az
