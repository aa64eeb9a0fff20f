#include "tools/gap.h"

#include <glog/logging.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis/decomposition.h"
#include "analysis/labels.h"
#include "base/file.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "games/registry.h"
#include "selfplay/player.h"
#include "tools/command.h"
#include "tools/game_profile.h"
#include "tools/reward_spec.h"

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
  if (!(request.agreement_band >= 0.0 && request.agreement_band < 1.0)) {
    return UsageError("--agreement_band must be in [0, 1)");
  }
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
    GapPlayer player;
    player.name = text;
    player.spec = *std::move(spec);
    out.push_back(std::move(player));
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

// The sets of `plan` as sets of `game` (the game played by a reward spec),
// loaded or generated, then narrowed. Generated sets are drawn in the rules'
// game and replayed in `game`, so that every spec measures the same
// positions of the real game.
absl::StatusOr<std::vector<analysis::PositionSet>> LoadSets(
    const GapPlan& plan, const Game& game) {
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
                     analysis::GeneratePositionSet(*plan.game, generator));
    if (&game != plan.game) {
      ASSIGN_OR_RETURN(set, analysis::ReplayedUnder(set, game));
    }
    sets.push_back(std::move(set));
  }
  for (size_t i = 0; i < sets.size(); ++i) {
    RETURN_IF_ERROR(analysis::NarrowPositionSet(
        &sets[i], plan.min_ply, plan.max_positions, plan.seed + 1000 + i));
  }
  return sets;
}

// The player of the --playout games in `game` (null without them).
absl::StatusOr<std::unique_ptr<selfplay::PlayerFactory>> PlayoutPlayer(
    const GapPlan& plan, const Game& game) {
  if (plan.playout_games == 0) return nullptr;
  selfplay::PlayerOptions options;
  options.search = plan.search;
  options.inference = plan.inference;
  ASSIGN_OR_RETURN(std::unique_ptr<selfplay::PlayerFactory> factory,
                   selfplay::PlayerFactory::Create(
                       game, plan.playout_player, options));
  if (factory->is_human()) {
    return UsageError("--playout_player cannot be human");
  }
  return factory;
}

// The label cache of `set` for labels made under reward spec `spec`.
std::string CachePathOfSpec(const analysis::PositionSet& set,
                            const std::string& label_cache,
                            const std::string& spec) {
  std::string path;
  if (label_cache == "off") return "";
  if (label_cache == "beside") {
    path = set.default_label_cache;
  } else {
    std::string stem;
    for (char c : set.name) {
      stem += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
    path = absl::StrCat(label_cache, "/",
                        stem.substr(std::max<int>(0, stem.size() - 60)),
                        ".gap-labels");
  }
  if (path.empty() || spec == kRulesSpec) return path;
  // Another spec's labels sit beside the rules', never over them.
  if (absl::EndsWith(path, ".gap-labels")) {
    return absl::StrCat(path.substr(0, path.size() - 11), ".", spec,
                        ".gap-labels");
  }
  return absl::StrCat(path, ".", spec);
}

// The ground truth of every set, and how it was found.
struct LabelledSets {
  std::vector<std::vector<analysis::GroundTruth>> truth;
  std::vector<analysis::LabelStats> stats;
};

// The labels of every set: by the reward spec the sets' game plays by, or,
// `by_rules`, by the rules (analysis::LabelPositionsByRules).
absl::StatusOr<LabelledSets> LabelSets(
    const GapPlan& plan, const std::vector<analysis::PositionSet>& sets,
    const selfplay::PlayerFactory* playout, bool by_rules) {
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
    options.cache_path = CachePathOfSpec(
        sets[i], plan.label_cache,
        by_rules ? kRulesSpec : sets[i].game->RewardSpec().name);
    const analysis::LabelStats& stats = labelled.stats[i];
    ASSIGN_OR_RETURN(
        std::vector<analysis::GroundTruth> truth,
        by_rules ? analysis::LabelPositionsByRules(sets[i], *plan.game, options,
                                                   &labelled.stats[i])
                 : analysis::LabelPositions(sets[i], options,
                                            &labelled.stats[i]));
    LOG(INFO) << sets[i].name << ": " << sets[i].positions.size()
              << " positions labelled by "
              << (by_rules ? std::string(kRulesSpec)
                           : sets[i].game->RewardSpec().name)
              << " (" << stats.description << ") "
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

// `source` as a player of `game` (the game played by its reward spec: its
// searches end games as that spec does).
absl::StatusOr<MeasuredPlayer> MakeMeasuredPlayer(const GapPlan& plan,
                                                  const Game& game,
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
      selfplay::MakeEvaluator(game, source.spec, evaluation));
  player.evaluator = measured.evaluator.get();
  return measured;
}

// The reward each player is measured against, and the one each run
// player was trained on.
absl::Status ResolveRewards(const Game& game, const GapRequest& request,
                            std::vector<GapPlayer>* players) {
  if (!request.reward.empty()) {
    RETURN_IF_ERROR(GameWithReward(game, request.reward).status());
  }
  for (GapPlayer& p : *players) {
    const std::string run = p.step >= 0 ? request.run
                            : p.spec.kind == selfplay::SpecKind::kRun
                                ? p.spec.path
                                : "";
    if (!run.empty()) {
      ASSIGN_OR_RETURN(p.trained_on, RunReward(game, run));
    }
    p.reward = !request.reward.empty()  ? request.reward
               : !p.trained_on.empty() ? p.trained_on
                                       : std::string(kRulesSpec);
  }
  return absl::OkStatus();
}

// The sets as one reward spec's game has them, with their labels: the
// spec's own and, for a spec other than the rules, the rules'.
struct SpecSets {
  const Game* game = nullptr;
  std::vector<analysis::PositionSet> sets;
  LabelledSets labels;
  LabelledSets rules_labels;  // empty for the rules
};

absl::StatusOr<SpecSets> PrepareSpecSets(const GapPlan& plan,
                                         const std::string& spec) {
  SpecSets out;
  ASSIGN_OR_RETURN(out.game, FindGameWithReward(plan.game->Name(), spec));
  ASSIGN_OR_RETURN(out.sets, LoadSets(plan, *out.game));
  ASSIGN_OR_RETURN(std::unique_ptr<selfplay::PlayerFactory> playout,
                   PlayoutPlayer(plan, *out.game));
  ASSIGN_OR_RETURN(out.labels,
                   LabelSets(plan, out.sets, playout.get(), false));
  if (spec != kRulesSpec) {
    ASSIGN_OR_RETURN(std::unique_ptr<selfplay::PlayerFactory> rules_playout,
                     PlayoutPlayer(plan, *plan.game));
    ASSIGN_OR_RETURN(out.rules_labels,
                     LabelSets(plan, out.sets, rules_playout.get(), true));
  }
  return out;
}

analysis::GapOptions GapOptionsOf(const GapPlan& plan) {
  analysis::GapOptions options;
  options.search = plan.search;
  options.evaluation.threads = plan.threads;
  options.evaluation.batch = std::max(1, plan.max_batch);
  options.bootstrap.resamples = plan.resamples;
  options.bootstrap.seed = plan.seed;
  options.worst = plan.worst;
  if (!plan.threat_spec.empty()) {
    // Checked by PlanGap (every player's spec is on the game's menu).
    options.threat_spec =
        FindGameWithReward(plan.game->Name(), plan.threat_spec).value_or(nullptr);
  }
  return options;
}

// Adds to `report` the results of `player` (of `source`) on set `i` of
// `sets`: against its reward's labels, and for a reward other than the
// rules also rescored against the rules' labels, with the decomposition.
absl::Status AddResults(const GapPlan& plan, const GapPlayer& source,
                        const analysis::PlayerUnderTest& player,
                        const SpecSets& sets, size_t i,
                        const analysis::GapOptions& options,
                        analysis::GapReport* report) {
  const analysis::PositionSet& set = sets.sets[i];
  ASSIGN_OR_RETURN(analysis::GapResult inner,
                   analysis::MeasureGap(set, sets.labels.truth[i],
                                        sets.labels.stats[i], player, options));
  inner.trained_on = source.trained_on;
  LOG(INFO) << set.name << ", " << player.name << ": " << inner.positions
            << " positions in " << inner.seconds << " s ("
            << inner.positions_per_s << " positions/s)";
  if (source.reward == kRulesSpec) {
    report->results.push_back(std::move(inner));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(analysis::GapResult total,
                   analysis::RescoreGap(inner, *plan.game,
                                        sets.rules_labels.truth[i],
                                        sets.rules_labels.stats[i], kRulesSpec,
                                        options));
  analysis::GapReport::Decomposition d;
  d.outer = analysis::MeasureOuter(inner, sets.rules_labels.truth[i],
                                   options.bootstrap);
  d.inner = report->results.size();
  d.total = d.inner + 1;
  report->results.push_back(std::move(inner));
  report->results.push_back(std::move(total));
  report->decompositions.push_back(std::move(d));
  return absl::OkStatus();
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
  RETURN_IF_ERROR(ResolveRewards(game, request, &plan.players));
  for (const GapPlayer& p : plan.players) {
    for (const std::string& spec : {p.reward, p.trained_on}) {
      if (plan.threat_spec.empty() && !spec.empty() && spec != kRulesSpec) {
        plan.threat_spec = spec;
      }
    }
  }
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
  plan.agreement_band = request.agreement_band;
  plan.resamples = request.resamples;
  plan.max_batch = request.max_batch;
  plan.command_line = request.command_line;
  return plan;
}

std::string LabelCachePath(const analysis::PositionSet& set,
                           const std::string& label_cache) {
  return CachePathOfSpec(
      set, label_cache,
      set.game == nullptr ? kRulesSpec : set.game->RewardSpec().name);
}

absl::StatusOr<std::string> RunReward(const Game& game,
                                      const std::string& run_dir) {
  absl::StatusOr<std::string> spec = selfplay::RunRewardSpec(run_dir);
  if (!spec.ok()) {
    return UsageError(
        absl::StrCat("run ", run_dir, ": ", spec.status().message()));
  }
  const std::vector<std::string> names = RewardSpecNames(game);
  if (std::find(names.begin(), names.end(), *spec) == names.end()) {
    return UsageError(absl::StrCat(
        "run ", run_dir, ": its config records --reward=", *spec, ", which ",
        game.Name(), " does not have (its specs: ", absl::StrJoin(names, ", "),
        ")"));
  }
  return spec;
}

std::vector<int> BudgetsOf(const selfplay::Spec& spec,
                           const std::vector<int>& defaults) {
  if (!spec.search.simulations.has_value()) return defaults;
  if (*spec.search.simulations == 0) return {};
  return {*spec.search.simulations};
}

absl::StatusOr<analysis::GapReport> MeasureGaps(const GapPlan& plan) {
  const auto start = std::chrono::steady_clock::now();
  const analysis::GapOptions options = GapOptionsOf(plan);
  analysis::GapReport report;
  report.game = plan.game->Name();
  report.bootstrap = options.bootstrap;
  report.agreement_sign_band = plan.agreement_band;
  report.command_line = plan.command_line;
  // The sets are loaded and labelled once per reward spec measured.
  std::map<std::string, SpecSets> by_spec;
  for (const GapPlayer& source : plan.players) {
    auto it = by_spec.find(source.reward);
    if (it == by_spec.end()) {
      ASSIGN_OR_RETURN(SpecSets sets, PrepareSpecSets(plan, source.reward));
      it = by_spec.emplace(source.reward, std::move(sets)).first;
    }
    const SpecSets& sets = it->second;
    ASSIGN_OR_RETURN(MeasuredPlayer measured,
                     MakeMeasuredPlayer(plan, *sets.game, source));
    for (size_t i = 0; i < sets.sets.size(); ++i) {
      absl::Status added = AddResults(plan, source, measured.player, sets, i,
                                      options, &report);
      if (!added.ok()) {
        return absl::Status(added.code(),
                            absl::StrCat(sets.sets[i].name, ", player ",
                                         source.name, ": ", added.message()));
      }
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
