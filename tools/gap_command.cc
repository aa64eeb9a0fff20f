// `az gap`: how far the learned value (the raw network value v, and the
// search value q at several simulation budgets) is from the terminal reward,
// on held-out, file and generated position sets, with bootstrap intervals,
// a quiet stratum, game stages, the in-minus-out-of-distribution difference
// and, with --run, every checkpoint of a training run in training order.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis/gap.h"
#include "analysis/labels.h"
#include "analysis/position_set.h"
#include "analysis/report.h"
#include "base/file.h"
#include "engine/evaluators.h"
#include "engine/search_params.h"
#include "games/registry.h"
#include "selfplay/player.h"
#include "selfplay/run_dir.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/network_flags.h"
#include "tools/players_flags.h"
#include "tools/run_flags.h"

DEFINE_string(sets, "",
              "Position sets, comma-separated: position files (one move "
              "sequence per line, optionally followed by its exact score, "
              "e.g. Pons' Connect Four benchmark files) and heldout:RUN (the "
              "held-out self-play games of a run: the in-distribution set).");
DEFINE_string(generate, "",
              "Generated sets, comma-separated: random:N (positions after "
              "uniformly random moves) or lopsided:N (one side takes wins "
              "and blocks threats, the other moves at random), each with an "
              "optional :plies=A-B; seeded from --seed.");
DEFINE_string(budgets, "50",
              "Search budgets in simulations, comma-separated (e.g. "
              "0,50,400; 0 or empty: the raw value only). A player spec's "
              ":sims=N replaces them for that player, :raw removes them; its "
              ":c_init=X and :fpu=X apply to its searches.");
DEFINE_int32(playout, 0,
             "For positions without an exact value (no solver, no score in "
             "the file): estimate it from this many games played on by "
             "--playout_player (reported as an estimate).");
DEFINE_string(playout_player, "random",
              "The player spec that plays the --playout games (both sides).");
DEFINE_bool(move_mistakes, true,
            "Label every legal move with the solver (where the game has one) "
            "to measure how often the policy's and the search's move is a "
            "mistake. Slow on shallow Connect Four positions; labels are "
            "cached.");
DEFINE_string(label_cache, "beside",
              "Where ground-truth labels are cached: beside (FILE.gap-labels "
              "beside a position file, RUN/heldout/gap-labels; generated "
              "sets are not cached), off, or a directory for all sets.");
DEFINE_int32(min_ply, -1,
             "Leave out positions of fewer plies (-1: per game; connect4 "
             "12, where shallower positions take the solver seconds each; 0 "
             "otherwise). Generated sets without plies=A-B start there.");
DEFINE_int64(max_positions, 0,
             "Measure at most this many positions per set: a seeded sample "
             "of whole games (0: all).");
DEFINE_int32(worst, 10, "How many of the worst positions to list per set.");
DEFINE_int32(resamples, 1000,
             "Bootstrap resamples (over whole games) per interval.");

namespace az {
namespace {

int Fail(absl::string_view message) {
  std::fprintf(stderr, "az gap: %s\n", std::string(message).c_str());
  return 2;
}

absl::StatusOr<std::vector<int>> ParseBudgets(const std::string& text) {
  std::vector<int> budgets;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 0) {
      return absl::InvalidArgumentError(
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

// One player to measure, made only when its turn comes (a run's checkpoints
// each hold a network; one at a time is enough).
struct PlayerSource {
  std::string name;
  int64_t step = -1;
  std::function<absl::Status(analysis::PlayerUnderTest*,
                             std::unique_ptr<selfplay::PlayerFactory>*,
                             std::unique_ptr<engine::Evaluator>*)>
      make;
};

// The budgets a spec asks for: its own sims=N or raw, else `defaults`.
std::vector<int> BudgetsOfSpec(const selfplay::PlayerFactory& factory,
                               const std::vector<int>& defaults) {
  if (!factory.spec_sets_simulations()) return defaults;
  if (factory.simulations() == 0) return {};
  return {factory.simulations()};
}

int RunGap(const std::vector<std::string>& args) {
  const auto start = std::chrono::steady_clock::now();
  if (args.size() > 1) {
    return Fail(absl::StrCat("unexpected argument \"", args[1],
                             "\" (sets are given with --sets=FILE,...)"));
  }
  if (!FLAGS_start.empty()) {
    return Fail(
        "--start is not used by az gap (positions come from --sets "
        "and --generate)");
  }
  absl::StatusOr<const Game*> game_or = FindGame(FLAGS_game);
  if (!game_or.ok()) return Fail(game_or.status().message());
  const Game& game = **game_or;
  absl::StatusOr<std::vector<int>> budgets = ParseBudgets(FLAGS_budgets);
  if (!budgets.ok()) return Fail(budgets.status().message());
  if (FLAGS_worst < 0) return Fail("--worst must be >= 0");
  if (FLAGS_resamples < 100) {
    return Fail(
        absl::StrCat("--resamples must be >= 100 for a 95% interval "
                     "(got ",
                     FLAGS_resamples, ")"));
  }
  if (FLAGS_playout < 0) return Fail("--playout must be >= 0");
  if (FLAGS_threads < 0) return Fail("--threads must be >= 0");
  const int threads = FLAGS_threads > 0 ? FLAGS_threads : 2;

  std::vector<std::string> specs =
      absl::StrSplit(FLAGS_players, ',', absl::SkipEmpty());
  if (specs.empty() && FLAGS_run.empty()) {
    return Fail(
        "nothing to measure: give --players=SPEC[,SPEC...] and/or "
        "--run=DIR (see 'az help gap')");
  }

  // A run's checkpoints, in training order; checked before anything slow.
  std::vector<selfplay::RunCheckpoint> checkpoints;
  if (!FLAGS_run.empty()) {
    absl::StatusOr<std::vector<selfplay::RunCheckpoint>> listed =
        selfplay::ListCheckpoints(FLAGS_run);
    if (!listed.ok()) {
      return Fail(
          absl::StrCat("--run=", FLAGS_run, ": ", listed.status().message()));
    }
    if (listed->empty()) {
      return Fail(absl::StrCat("--run=", FLAGS_run,
                               ": the run has no checkpoints yet"));
    }
    checkpoints = *std::move(listed);
  }

  // The sets.
  std::vector<std::string> set_names =
      absl::StrSplit(FLAGS_sets, ',', absl::SkipEmpty());
  if (!FLAGS_run.empty()) {
    const std::string heldout = absl::StrCat("heldout:", FLAGS_run);
    struct stat st;
    if (std::find(set_names.begin(), set_names.end(), heldout) ==
            set_names.end() &&
        ::stat(selfplay::RunPaths(FLAGS_run).heldout().c_str(), &st) == 0) {
      set_names.insert(set_names.begin(), heldout);
    }
  }
  const int min_ply =
      FLAGS_min_ply >= 0 ? FLAGS_min_ply : game.Name() == "connect4" ? 12 : 0;
  if (FLAGS_max_positions < 0) {
    return Fail("--max_positions must not be negative");
  }
  std::vector<analysis::PositionSet> sets;
  for (const std::string& name : set_names) {
    absl::StatusOr<analysis::PositionSet> set =
        absl::StartsWith(name, "heldout:")
            ? analysis::LoadHeldoutSet(game, name.substr(8))
            : analysis::LoadPositionFileSet(game, name);
    if (!set.ok()) return Fail(set.status().message());
    sets.push_back(*std::move(set));
  }
  std::vector<std::string> generators =
      absl::StrSplit(FLAGS_generate, ',', absl::SkipEmpty());
  for (size_t i = 0; i < generators.size(); ++i) {
    absl::StatusOr<analysis::GeneratorSpec> spec =
        analysis::ParseGeneratorSpec(generators[i], game, FLAGS_seed + i);
    if (!spec.ok()) return Fail(spec.status().message());
    if (!absl::StrContains(spec->text, "plies=")) {
      spec->min_ply = std::max(spec->min_ply, min_ply);
      if (spec->max_ply >= 0 && spec->max_ply < spec->min_ply) {
        spec->max_ply = spec->min_ply;
      }
    }
    absl::StatusOr<analysis::PositionSet> set =
        analysis::GeneratePositionSet(game, *spec);
    if (!set.ok()) return Fail(set.status().message());
    sets.push_back(*std::move(set));
  }
  for (size_t i = 0; i < sets.size(); ++i) {
    absl::Status narrowed = analysis::NarrowPositionSet(
        &sets[i], min_ply, FLAGS_max_positions, FLAGS_seed + 1000 + i);
    if (!narrowed.ok()) return Fail(narrowed.message());
  }
  if (sets.empty()) {
    return Fail(
        "no position set: give --sets=FILE|heldout:RUN[,...] and/or "
        "--generate=random:N (see 'az help gap')");
  }

  // Players: their options, the playout player, then the specs.
  engine::SearchParams search = engine::DefaultSearchParams(game);
  search.seed = FLAGS_seed;
  search.root_noise = false;
  search.temperature_moves = 0;
  search.num_threads = 1;
  selfplay::PlayerOptions player_options;
  player_options.search = search;
  absl::StatusOr<nn::InferenceServerOptions> inference =
      InferenceServerOptionsFromFlags(threads);
  if (!inference.ok()) return Fail(inference.status().message());
  player_options.inference = *inference;

  std::unique_ptr<selfplay::PlayerFactory> playout_factory;
  if (FLAGS_playout > 0) {
    absl::StatusOr<std::unique_ptr<selfplay::PlayerFactory>> factory =
        selfplay::PlayerFactory::Create(game, FLAGS_playout_player,
                                        player_options);
    if (!factory.ok()) return Fail(factory.status().message());
    if ((*factory)->is_human()) return Fail("--playout_player cannot be human");
    playout_factory = *std::move(factory);
  }

  std::vector<PlayerSource> players;
  for (const std::string& spec : specs) {
    PlayerSource source;
    source.name = spec;
    if (spec == "human" || spec == "random") {
      return Fail(absl::StrCat("player \"", spec,
                               "\" has no value to measure (measure solver, "
                               "uniform, mcts, net:PATH or run:DIR)"));
    }
    source.make =
        [&game, spec, &player_options, budgets = *budgets](
            analysis::PlayerUnderTest* p,
            std::unique_ptr<selfplay::PlayerFactory>* factory,
            std::unique_ptr<engine::Evaluator>* owned) -> absl::Status {
      p->name = spec;
      p->budgets = budgets;
      if (spec == "solver") {
        absl::StatusOr<std::unique_ptr<engine::SolverEvaluator>> solver =
            engine::SolverEvaluator::Create(game);
        if (!solver.ok()) {
          return absl::FailedPreconditionError(
              absl::StrCat("player \"solver\": ", solver.status().message()));
        }
        *owned = *std::move(solver);
        p->evaluator = owned->get();
        return absl::OkStatus();
      }
      if (spec == "uniform") {
        *owned = std::make_unique<engine::UniformEvaluator>(game);
        p->evaluator = owned->get();
        return absl::OkStatus();
      }
      absl::StatusOr<std::unique_ptr<selfplay::PlayerFactory>> made =
          selfplay::PlayerFactory::Create(game, spec, player_options);
      if (!made.ok()) return made.status();
      *factory = *std::move(made);
      p->evaluator = (*factory)->evaluator();
      p->learned =
          absl::StartsWith(spec, "net:") || absl::StartsWith(spec, "run:");
      p->budgets = BudgetsOfSpec(**factory, budgets);
      p->search = (*factory)->search_params();
      return absl::OkStatus();
    };
    players.push_back(std::move(source));
  }
  if (!FLAGS_run.empty()) {
    for (const selfplay::RunCheckpoint& c : checkpoints) {
      PlayerSource source;
      source.name = absl::StrCat("run:", FLAGS_run, "@step-", c.step);
      source.step = c.step;
      source.make = [&game, c, name = source.name, &player_options,
                     budgets = *budgets](
                        analysis::PlayerUnderTest* p,
                        std::unique_ptr<selfplay::PlayerFactory>* factory,
                        std::unique_ptr<engine::Evaluator>*) -> absl::Status {
        absl::StatusOr<std::unique_ptr<selfplay::PlayerFactory>> made =
            selfplay::PlayerFactory::Create(game, "net:" + c.path,
                                            player_options);
        if (!made.ok()) return made.status();
        *factory = *std::move(made);
        p->name = name;
        p->step = c.step;
        p->evaluator = (*factory)->evaluator();
        p->learned = true;
        p->budgets = budgets;
        return absl::OkStatus();
      };
      players.push_back(std::move(source));
    }
  }

  // Ground truth, once per set.
  if (FLAGS_label_cache != "beside" && FLAGS_label_cache != "off") {
    if (absl::Status made = base::MakeDirectories(FLAGS_label_cache);
        !made.ok()) {
      return Fail(absl::StrCat("--label_cache: ", made.message()));
    }
  }
  std::vector<std::vector<analysis::GroundTruth>> labels;
  std::vector<analysis::LabelStats> label_stats(sets.size());
  for (size_t i = 0; i < sets.size(); ++i) {
    analysis::LabelOptions options;
    options.label_moves = FLAGS_move_mistakes;
    options.playout_games = FLAGS_playout;
    options.playout_player = playout_factory.get();
    options.seed = FLAGS_seed;
    options.threads = threads;
    if (FLAGS_label_cache == "beside") {
      options.cache_path = sets[i].default_label_cache;
    } else if (FLAGS_label_cache != "off") {
      std::string stem;
      for (char c : sets[i].name)
        stem += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      options.cache_path = absl::StrCat(
          FLAGS_label_cache, "/",
          stem.substr(std::max<int>(0, stem.size() - 60)), ".gap-labels");
    }
    absl::StatusOr<std::vector<analysis::GroundTruth>> set_labels =
        analysis::LabelPositions(sets[i], options, &label_stats[i]);
    if (!set_labels.ok()) return Fail(set_labels.status().message());
    LOG(INFO) << sets[i].name << ": " << sets[i].positions.size()
              << " positions labelled (" << label_stats[i].description << ") "
              << (label_stats[i].from_cache > 0 ? "from the cache" : "now")
              << " in " << label_stats[i].seconds << " s";
    labels.push_back(*std::move(set_labels));
  }

  // Measure every player on every set.
  analysis::GapOptions options;
  options.search = search;
  options.evaluation.threads = threads;
  options.evaluation.batch = std::max(1, FLAGS_max_batch);
  options.bootstrap.resamples = FLAGS_resamples;
  options.bootstrap.seed = FLAGS_seed;
  options.worst = FLAGS_worst;
  analysis::GapReport report;
  report.game = game.Name();
  report.bootstrap = options.bootstrap;
  report.command_line = gflags::GetArgv();
  for (const PlayerSource& source : players) {
    analysis::PlayerUnderTest player;
    std::unique_ptr<selfplay::PlayerFactory> factory;
    std::unique_ptr<engine::Evaluator> owned;
    if (absl::Status s = source.make(&player, &factory, &owned); !s.ok()) {
      return Fail(s.message());
    }
    if (player.evaluator == nullptr) {
      return Fail(
          absl::StrCat("player \"", source.name, "\" has no value to measure"));
    }
    for (size_t i = 0; i < sets.size(); ++i) {
      absl::StatusOr<analysis::GapResult> result = analysis::MeasureGap(
          sets[i], labels[i], label_stats[i], player, options);
      if (!result.ok()) {
        return Fail(absl::StrCat(sets[i].name, ", player ", player.name, ": ",
                                 result.status().message()));
      }
      LOG(INFO) << sets[i].name << ", " << player.name << ": "
                << result->positions << " positions in " << result->seconds
                << " s (" << result->positions_per_s << " positions/s)";
      report.results.push_back(*std::move(result));
    }
  }
  analysis::ComputeDifferences(&report);
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  std::string note;
  if (!FLAGS_out.empty()) {
    absl::StatusOr<analysis::ReportFiles> files =
        analysis::WriteReportDirectory(report, FLAGS_out, "gnuplot");
    if (!files.ok()) return Fail(files.status().message());
    if (!files->pictures_drawn) {
      std::fprintf(stderr, "az gap: %s\n", files->note.c_str());
    }
    note = absl::StrCat("report: ", FLAGS_out, "/report.md (",
                        files->files.size(), " files)");
  }
  if (FLAGS_json) {
    std::printf("%s\n", analysis::ReportJson(report).dump().c_str());
  } else {
    std::string table = analysis::FormatTable(report);
    if (!note.empty()) absl::StrAppend(&table, "\n", note, "\n");
    std::fwrite(table.data(), 1, table.size(), stdout);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    gap, "gap",
    "how far learned values (v, q) are from the terminal reward, in and out "
    "of distribution",
    "az gap --game=G (--players=SPEC[,SPEC...] | --run=DIR) "
    "[--sets=FILE|heldout:RUN,...] [--generate=random:N,...] "
    "[--budgets=0,50,400] [--out=DIR] [--json]\n\n"
    "Measures, per position set and player, the raw value v (the network's "
    "WDL) and the search value q after each --budgets simulation count "
    "against the ground truth: the exact reward under perfect play (a score "
    "in the file, else the game's solver), or with --playout=N an estimate "
    "from N games played on. Figures: mse, accuracy (3-class: argmax of a "
    "WDL, else value > 1/3 win, < -1/3 loss), confident_wrong_rate (|value| "
    "> 0.9 and that outcome is not the truth), log_loss and brier over "
    "win/draw/loss (a search value q has no draw probability: "
    "{(1+q)/2, 0, (1-q)/2}), ece (15 value bins), move_mistake_rate (the "
    "policy's / search's move has a worse exact reward than the best), and "
    "mse_ratio_to_value for searches; each with a 95% bootstrap interval "
    "over whole games (_lo/_hi), for all positions, the quiet ones (no "
    "immediate win or loss within a move) and each game stage; with a "
    "heldout:RUN set, each other set's in-minus-out difference. Players: "
    "solver (gap zero), uniform (the constant-draw baseline), mcts[:OPTS], "
    "net:PATH[:OPTS], run:DIR[:OPTS] (OPTS as in az match). --out=DIR writes CSVs, gnuplot "
    "pictures and report.md. Exits 2 on bad input.",
    az::RunGap, "network", "players", "run");
