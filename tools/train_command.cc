// `az train`: a self-play training run in a run directory (the loop itself
// is selfplay/training_run.h). This file turns flags into TrainingOptions,
// with defaults chosen per game, keeps RUN/config (the run's flags, so that
// the same command resumes the run and a change that cannot happen mid-run
// is refused), routes the log into RUN/log/, stops cleanly on Ctrl-C, and
// prints one progress line per report.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "engine/search_params.h"
#include "games/registry.h"
#include "base/file.h"
#include "selfplay/run_dir.h"
#include "selfplay/training_run.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/network_flags.h"
#include "tools/run_flags.h"
#include "tools/selfplay_flags.h"
#include "tools/store_flags.h"
#include "tools/train_store.h"

DEFINE_string(run_dir, "", "The run directory (created if new, else resumed).");
DEFINE_int64(max_steps, 0,
             "Stop cleanly once the run has taken this many training steps in "
             "all, earlier sessions included (0: no limit).");
DEFINE_int32(selfplay_sims, 0,
             "Simulations per self-play move (0: per game; tictactoe 48, "
             "connect4 100).");
DEFINE_double(dirichlet_alpha, 0,
              "Root noise concentration (0: the game's default, about 10 / "
              "legal moves).");
DEFINE_double(dirichlet_epsilon, 0.25, "Weight of the root noise (0: none).");
DEFINE_int32(temperature_moves, -1,
             "Moves of a self-play game sampled in proportion to visits "
             "before play turns greedy (-1: per game).");
DEFINE_int32(random_opening_moves, -1,
             "Each self-play game plays its first k moves at random, k drawn "
             "from 0 to this (-1: per game; tictactoe 6, connect4 0): "
             "positions off the strong line, for the value head to learn.");
DEFINE_int32(quick_sims, -1,
             "Playout-cap randomization: simulations of the quick search "
             "that most self-play moves get instead of the full one; those "
             "moves are played but not trained on (-1: per game, off for "
             "both; 0: off).");
DEFINE_double(full_search_share, 0.25,
              "With --quick_sims: the share of self-play moves that get the "
              "full search (--selfplay_sims, root noise) and become training "
              "positions.");
DEFINE_string(value_target, "",
              "What the value head learns: z (the terminal reward), q (the "
              "root search value) or mix:A (weight A of q, 1-A of z) (empty: "
              "per game; tictactoe z, connect4 mix:0.5).");
DEFINE_bool(augment, true,
            "Apply a random symmetry of the game to every training sample.");
DEFINE_int64(replay_positions, 0,
             "Positions in the replay window (0: per game; tictactoe 20000, "
             "connect4 150000).");
DEFINE_int64(min_positions, 0,
             "Positions in the window before training starts (0: per game; "
             "tictactoe 1000, connect4 4000).");
DEFINE_int32(batch_size, 0,
             "Positions per training step (0: per game; tictactoe 128, "
             "connect4 256).");
DEFINE_double(learning_rate, 0,
              "AdamW learning rate (0: per game; 2e-3 for both).");
DEFINE_double(lr_anneal, 0.25,
              "With --max_minutes or --max_steps: the share of that budget, "
              "at its end, over which the learning rate falls along a half "
              "cosine to --lr_final of itself (0: constant). Without a limit "
              "the rate stays constant.");
DEFINE_double(lr_final, 0.1,
              "The learning rate at the end of the budget, as a share of "
              "--learning_rate (see --lr_anneal).");
DEFINE_double(weight_decay, 1e-4, "AdamW decoupled weight decay.");
DEFINE_int32(train_threads, 1, "LibTorch threads of a training step.");
DEFINE_double(samples_per_position, 0,
              "Mean number of times each new position is trained on; the "
              "trainer waits for self-play when ahead (0: per game; tictactoe 8, "
              "connect4 4).");
DEFINE_int64(max_selfplay_lead, 0,
             "Positions self-play may run ahead of the trainer's pace before "
             "it pauses (0: 4 x --min_positions).");
DEFINE_int32(publish_every, 0,
             "Steps between weight updates of the self-play network (0: per "
             "game; tictactoe 10, connect4 25).");
DEFINE_int32(checkpoint_every, 0,
             "Steps between checkpoints (0: per game; tictactoe 100, "
             "connect4 250).");
DEFINE_double(heldout_fraction, 0.02,
              "Share of self-play games kept in RUN/heldout/, never trained "
              "on (the in-distribution set of az gap).");
DEFINE_double(report_seconds, 0,
              "Seconds between progress lines and metrics rows (0: per game; "
              "tictactoe 10, connect4 30).");
DEFINE_int64(eval_every, 0,
             "Steps between evaluation matches (0: per game; tictactoe 200, "
             "connect4 1000; -1: never).");
DEFINE_int32(eval_games, 20,
             "Games of each evaluation match (against random and against "
             "pure MCTS), colours alternating.");
DEFINE_int32(eval_sims, 0,
             "Simulations per move of the network in evaluation matches (0: "
             "per game; tictactoe 48, connect4 200).");
DEFINE_int32(eval_mcts_sims, 1000,
             "Simulations per move of the pure MCTS (random rollouts) "
             "baseline in evaluation matches.");

namespace az {
namespace {

int Fail(int code, absl::string_view message) {
  std::fprintf(stderr, "az train: %s\n", std::string(message).c_str());
  return code;
}

// Defaults that depend on the game: small games want small batches, short
// windows and frequent weight updates; these reach their targets on a
// 2-core CPU (see the README).
struct GameDefaults {
  int sims = 64;
  int games_per_thread = 64;
  int temperature_moves = -1;  // -1: the search's default for the game
  int random_opening_moves = 0;
  int quick_sims = 0;  // 0: no playout-cap randomization
  std::string value_target = "z";
  int64_t replay_positions = 100000;
  int64_t min_positions = 4000;
  int batch_size = 256;
  double learning_rate = 2e-3;
  double samples_per_position = 4;
  int publish_every = 25;
  int checkpoint_every = 250;
  double report_seconds = 30;
  int64_t eval_every = 1000;
  int eval_sims = 200;
};

GameDefaults DefaultsFor(const std::string& game) {
  GameDefaults d;
  if (game == "tictactoe") {
    d.sims = 48;
    d.games_per_thread = 32;
    d.temperature_moves = 3;
    d.random_opening_moves = 6;
    // Tic-tac-toe has 4520 positions: reusing each sample more cannot
    // overfit, and it fits the value of rare positions sooner.
    d.samples_per_position = 8;
    d.replay_positions = 20000;
    d.min_positions = 1000;
    d.batch_size = 128;
    d.publish_every = 10;
    d.checkpoint_every = 100;
    d.report_seconds = 10;
    d.eval_every = 200;
    d.eval_sims = 48;
  } else if (game == "connect4") {
    d.sims = 100;
    d.games_per_thread = 64;
    d.replay_positions = 150000;
    d.min_positions = 4000;
    // Half the search value in the value target: after one hour on 2
    // cores the net won 990 and 971 of 1200 games against mcts:sims=1000
    // with it, 878 and 929 with z alone (README).
    d.value_target = "mix:0.5";
  }
  return d;
}

template <typename T>
T Or(T flag, T fallback) {
  return flag != 0 ? flag : fallback;
}

// Flags recorded in RUN/config. The first three cannot change within a run;
// the others may (a resumed run takes the config's value unless the command
// line names a new one, which is then recorded).
const std::set<std::string>& ImmutableFlags() {
  static const auto* flags =
      new std::set<std::string>{"game", "blocks", "channels"};
  return *flags;
}
const std::vector<std::string>& ConfigFlags() {
  static const auto* flags = new std::vector<std::string>{
      "game", "blocks", "channels", "seed", "selfplay_sims", "actor_threads",
      "games_per_thread", "dirichlet_alpha", "dirichlet_epsilon",
      "temperature_moves", "random_opening_moves", "quick_sims",
      "full_search_share", "value_target", "augment", "replay_positions",
      "min_positions", "batch_size", "learning_rate", "lr_anneal", "lr_final",
      "weight_decay",
      "train_threads", "samples_per_position", "max_selfplay_lead",
      "publish_every", "checkpoint_every", "heldout_fraction",
      "report_seconds", "eval_every", "eval_games", "eval_sims",
      "eval_mcts_sims"};
  return *flags;
}

// The shortest text that reads back as `number` exactly (%g style).
std::string ShortestNumber(double number) {
  char text[32];
  const std::to_chars_result end = std::to_chars(
      text, text + sizeof(text), number, std::chars_format::general);
  return std::string(text, end.ptr);
}

// A flag's value as RUN/config records it. gflags prints doubles with 17
// digits (2e-4 as 0.00020000000000000001); they are written shortest here.
std::string FlagValue(const std::string& name) {
  gflags::CommandLineFlagInfo info;
  if (!gflags::GetCommandLineFlagInfo(name.c_str(), &info)) return "";
  double number;
  if (info.type == "double" && absl::SimpleAtod(info.current_value, &number)) {
    return ShortestNumber(number);
  }
  return info.current_value;
}

// RUN/config lists about 35 short lines; anything much larger is not one.
constexpr size_t kMaxConfigBytes = 64 << 10;

// Applies RUN/config (`contents`, read from `path`): flags the command line
// did not set take the run's values; a changed immutable flag, a malformed
// line or a flag that is not one of the run's settings is an error.
// Returns the notes on changed flags.
absl::StatusOr<std::vector<std::string>> ApplyRunConfig(
    const std::string& path, const std::string& contents) {
  std::vector<std::string> notes;
  int number = 0;
  std::map<std::string, std::string> recorded;
  std::map<std::string, int> line_of;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || absl::StartsWith(text, "#")) continue;
    std::vector<std::string> parts =
        absl::StrSplit(text, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || !absl::StartsWith(parts[0], "--")) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", number, ": expected --name=value, got '", text, "'"));
    }
    recorded[parts[0].substr(2)] = parts[1];
    line_of[parts[0].substr(2)] = number;
  }
  const std::vector<std::string>& run_flags = ConfigFlags();
  for (const auto& [name, value] : recorded) {
    gflags::CommandLineFlagInfo info;
    if (!gflags::GetCommandLineFlagInfo(name.c_str(), &info)) {
      LOG(WARNING) << path << " names --" << name
                   << ", which this az does not know; ignored";
      continue;
    }
    // Only the run's own settings: a config that could set --flagfile,
    // --run_dir or a logging flag would do more than resume the run.
    if (std::find(run_flags.begin(), run_flags.end(), name) ==
        run_flags.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_of[name], ": --", name,
          " is not one of the run's settings that a config may set"));
    }
    if (info.is_default) {
      if (gflags::SetCommandLineOption(name.c_str(), value.c_str()).empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": bad value for --", name, ": '", value, "'"));
      }
      continue;
    }
    // Compared as RUN/config writes it; a number also as a number (the
    // file may spell 2e-4 where the command line says 0.0002).
    const std::string current = FlagValue(name);
    double recorded_number, current_number;
    if (current == value ||
        (absl::SimpleAtod(value, &recorded_number) &&
         absl::SimpleAtod(current, &current_number) &&
         recorded_number == current_number)) {
      continue;
    }
    if (ImmutableFlags().count(name) > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--", name, "=", current, " does not match the run's --",
          name, "=", value, " (", path,
          "); it cannot change within a run: use another --run_dir"));
    }
    notes.push_back(
        absl::StrCat("--", name, " changes from ", value, " to ", current));
  }
  return notes;
}

std::string RunConfigText() {
  std::string text =
      "# The flags of this training run (az train). Running az train on this "
      "directory again\n# resumes the run with these values unless the "
      "command line changes them.\n";
  for (const std::string& name : ConfigFlags()) {
    absl::StrAppend(&text, "--", name, "=", FlagValue(name), "\n");
  }
  return text;
}

absl::StatusOr<selfplay::ValueTarget> ParseValueTarget(
    const std::string& text) {
  if (text == "z") return selfplay::ValueTarget::Reward();
  if (text == "q") return selfplay::ValueTarget::Search();
  float alpha = 0;
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "mix:") && absl::SimpleAtof(rest, &alpha) &&
      alpha >= 0 && alpha <= 1) {
    return selfplay::ValueTarget::Mix(alpha);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--value_target must be z, q or mix:A with A in [0, 1] (got '", text,
      "')"));
}

std::atomic<bool> g_stop{false};

void OnSignal(int) {
  g_stop = true;
  static const char kMessage[] =
      "\naz train: stopping (finishing the step, saving a checkpoint); "
      "press Ctrl-C again to quit at once\n";
  // write() is async-signal-safe; its result cannot be acted on here.
  if (::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1) < 0) return;
}

std::string Thousands(double x) {
  if (x >= 1e6) return absl::StrFormat("%.2fM", x / 1e6);
  if (x >= 1e4) return absl::StrFormat("%.1fk", x / 1e3);
  return absl::StrFormat("%.0f", x);
}

std::string Clock(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds);
  return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
}

std::string Maybe(double x, const char* format) {
  return std::isfinite(x) ? absl::StrFormat(format, x) : std::string("-");
}

std::string ProgressLine(const selfplay::TrainingReport& r) {
  std::string line = absl::StrFormat(
      "%s step %6d | games %s (%.1f/s) window %s | loss p %s v %s lr %.1e | "
      "v-z %s q-z %s | %s evals/s batch %.0f",
      Clock(r.elapsed_s), r.step, Thousands(r.games), r.games_per_s,
      Thousands(r.buffer_positions), Maybe(r.policy_loss, "%.3f"),
      Maybe(r.value_loss, "%.3f"), r.learning_rate, Maybe(r.v_z_mse, "%.3f"),
      Maybe(r.q_z_mse, "%.3f"), Thousands(r.nn_evals_per_s), r.mean_batch);
  if (FLAGS_store.size() > 0) {
    absl::StrAppendFormat(&line, " | remote: %d rejected, version lag %s",
                          r.rejected_games, Maybe(r.version_lag, "%.1f"));
  }
  if (const auto& e = r.evaluation) {
    absl::StrAppendFormat(&line,
                          " | eval@%d: vs random %.0f%%, vs mcts %.0f%% "
                          "(wins; score %.2f)",
                          e->step, 100 * e->win_vs_random,
                          100 * e->win_vs_mcts, e->score_vs_mcts);
  }
  return line;
}

int RunTrain(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    return Fail(2, absl::StrCat("unexpected argument '", args[1], "'"));
  }
  if (FLAGS_run_dir.empty()) {
    return Fail(2, "--run_dir is required (a new or existing run directory)");
  }
  const selfplay::RunPaths paths(FLAGS_run_dir);
  // A missing config is a new run. One that exists but cannot be read
  // stops here: going on would start a new run over the old one's files.
  absl::StatusOr<std::string> config =
      base::ReadFileBounded(paths.config(), kMaxConfigBytes);
  if (!config.ok() && !absl::IsNotFound(config.status())) {
    return Fail(1, config.status().message());
  }
  absl::StatusOr<std::vector<std::string>> notes =
      config.ok() ? ApplyRunConfig(paths.config(), *config)
                  : std::vector<std::string>();
  if (!notes.ok()) return Fail(2, notes.status().message());

  absl::StatusOr<const Game*> game_or = FindGame(FLAGS_game);
  if (!game_or.ok()) return Fail(2, game_or.status().message());
  const Game& game = **game_or;
  if (FLAGS_blocks < 0 || FLAGS_channels < 0 || FLAGS_selfplay_sims < 0 ||
      FLAGS_actor_threads < (FLAGS_store.empty() ? 1 : 0) ||
      FLAGS_games_per_thread < 0 ||
      FLAGS_eval_games < 0 || FLAGS_eval_mcts_sims < 1 ||
      FLAGS_max_minutes < 0 || FLAGS_max_steps < 0 || FLAGS_train_threads < 1) {
    return Fail(2,
                "counts and limits must not be negative (and "
                "--actor_threads (0 with --store), --train_threads, "
                "--eval_mcts_sims >= 1)");
  }
  if (!(FLAGS_lr_anneal >= 0 && FLAGS_lr_anneal <= 1) ||
      !(FLAGS_lr_final > 0 && FLAGS_lr_final <= 1)) {
    return Fail(2, absl::StrCat("--lr_anneal=", FLAGS_lr_anneal,
                                " must be in [0, 1] and --lr_final=",
                                FLAGS_lr_final, " in (0, 1]"));
  }
  const GameDefaults d = DefaultsFor(game.Name());
  selfplay::TrainingOptions options;
  options.run_dir = FLAGS_run_dir;
  options.network =
      nn::NetworkConfig::ForGame(game, FLAGS_blocks, FLAGS_channels);
  options.seed = FLAGS_seed;

  engine::SearchParams search = engine::DefaultSearchParams(game);
  search.num_simulations = Or(FLAGS_selfplay_sims, d.sims);
  search.num_threads = 1;
  search.root_noise = FLAGS_dirichlet_epsilon > 0;
  if (FLAGS_dirichlet_alpha > 0) {
    absl::StatusOr<float> alpha =
        engine::SearchParamToFloat("--dirichlet_alpha", FLAGS_dirichlet_alpha);
    if (!alpha.ok()) return Fail(2, alpha.status().message());
    search.dirichlet_alpha = *alpha;
  }
  absl::StatusOr<float> epsilon = engine::SearchParamToFloat(
      "--dirichlet_epsilon", FLAGS_dirichlet_epsilon);
  if (!epsilon.ok()) return Fail(2, epsilon.status().message());
  search.dirichlet_epsilon = *epsilon;
  if (FLAGS_temperature_moves >= 0) {
    search.temperature_moves = FLAGS_temperature_moves;
  } else if (d.temperature_moves >= 0) {
    search.temperature_moves = d.temperature_moves;
  }
  if (absl::Status valid = search.Validate(); !valid.ok()) {
    return Fail(2, valid.message());
  }
  options.farm.search = search;
  options.farm.actor_threads = FLAGS_actor_threads;
  options.farm.random_opening_moves = FLAGS_random_opening_moves >= 0
                                          ? FLAGS_random_opening_moves
                                          : d.random_opening_moves;
  options.farm.games_per_thread = Or(FLAGS_games_per_thread,
                                     d.games_per_thread);
  options.farm.quick_simulations =
      FLAGS_quick_sims >= 0 ? FLAGS_quick_sims : d.quick_sims;
  options.farm.full_search_share = FLAGS_full_search_share;
  if (FLAGS_quick_sims < -1) {
    return Fail(2, absl::StrCat("--quick_sims=", FLAGS_quick_sims,
                                " must be >= 0 (or -1: per game)"));
  }
  if (options.farm.quick_simulations >= search.num_simulations ||
      !(FLAGS_full_search_share > 0 && FLAGS_full_search_share <= 1)) {
    return Fail(2, absl::StrCat("--quick_sims=", options.farm.quick_simulations,
                                " must be below --selfplay_sims=",
                                search.num_simulations,
                                " and --full_search_share=",
                                FLAGS_full_search_share, " in (0, 1]"));
  }
  absl::StatusOr<nn::InferenceServerOptions> inference =
      InferenceServerOptionsFromFlags(FLAGS_actor_threads);
  if (!inference.ok()) return Fail(2, inference.status().message());
  options.inference = *inference;
  // One actor's round is one forward pass, as in az bench --what=selfplay.
  options.inference.max_batch = options.farm.games_per_thread;
  options.heldout_fraction = FLAGS_heldout_fraction;

  const std::string value_target =
      FLAGS_value_target.empty() ? d.value_target : FLAGS_value_target;
  absl::StatusOr<selfplay::ValueTarget> target =
      ParseValueTarget(value_target);
  if (!target.ok()) return Fail(2, target.status().message());
  options.replay.value_target = *target;
  options.replay.augment_symmetries = FLAGS_augment;
  options.replay.capacity_positions =
      Or(FLAGS_replay_positions, d.replay_positions);
  options.min_positions = Or(FLAGS_min_positions, d.min_positions);
  options.batch_size = Or(FLAGS_batch_size, d.batch_size);
  options.trainer.learning_rate = Or(FLAGS_learning_rate, d.learning_rate);
  options.lr_anneal_fraction = FLAGS_lr_anneal;
  options.lr_final_fraction = FLAGS_lr_final;
  options.trainer.weight_decay = FLAGS_weight_decay;
  options.trainer.threads = FLAGS_train_threads;
  options.samples_per_position =
      Or(FLAGS_samples_per_position, d.samples_per_position);
  options.max_selfplay_lead =
      Or(FLAGS_max_selfplay_lead, 4 * options.min_positions);
  options.publish_every_steps = Or(FLAGS_publish_every, d.publish_every);
  options.checkpoint_every_steps =
      Or(FLAGS_checkpoint_every, d.checkpoint_every);
  options.report_seconds = Or(FLAGS_report_seconds, d.report_seconds);
  options.eval_every_steps =
      FLAGS_eval_every < 0 ? 0 : Or(FLAGS_eval_every, d.eval_every);
  options.eval_games = FLAGS_eval_games;
  options.eval_sims = Or(FLAGS_eval_sims, d.eval_sims);
  options.eval_mcts_sims = FLAGS_eval_mcts_sims;
  options.max_steps = FLAGS_max_steps;
  options.max_minutes = FLAGS_max_minutes;

  // The flags take their resolved values, so that RUN/config records what
  // the run does rather than "0: per game" (a later az with other defaults
  // still resumes the same run).
  const std::map<std::string, std::string> resolved = {
      {"blocks", absl::StrCat(options.network.blocks)},
      {"channels", absl::StrCat(options.network.channels)},
      {"selfplay_sims", absl::StrCat(search.num_simulations)},
      {"games_per_thread", absl::StrCat(options.farm.games_per_thread)},
      {"dirichlet_alpha", absl::StrCat(search.dirichlet_alpha)},
      {"temperature_moves", absl::StrCat(search.temperature_moves)},
      {"random_opening_moves", absl::StrCat(options.farm.random_opening_moves)},
      {"quick_sims", absl::StrCat(options.farm.quick_simulations)},
      {"value_target", value_target},
      {"replay_positions", absl::StrCat(options.replay.capacity_positions)},
      {"min_positions", absl::StrCat(options.min_positions)},
      {"batch_size", absl::StrCat(options.batch_size)},
      {"learning_rate", ShortestNumber(options.trainer.learning_rate)},
      {"samples_per_position", ShortestNumber(options.samples_per_position)},
      {"max_selfplay_lead", absl::StrCat(options.max_selfplay_lead)},
      {"publish_every", absl::StrCat(options.publish_every_steps)},
      {"checkpoint_every", absl::StrCat(options.checkpoint_every_steps)},
      {"report_seconds", ShortestNumber(options.report_seconds)},
      {"eval_every",
       absl::StrCat(options.eval_every_steps > 0 ? options.eval_every_steps
                                                 : -1)},
      {"eval_sims", absl::StrCat(options.eval_sims)}};
  for (const auto& [name, value] : resolved) {
    gflags::SetCommandLineOption(name.c_str(), value.c_str());
  }

  // A distributed run's learner: actors elsewhere, met in the store.
  absl::StatusOr<std::unique_ptr<store::RemoteLearner>> learner =
      LearnerFromFlags(game, options);
  if (!learner.ok()) return ExitCode("train", learner.status());
  options.remote = learner->get();
  absl::StatusOr<std::unique_ptr<selfplay::TrainingRun>> run =
      selfplay::TrainingRun::Open(game, options);
  if (!run.ok()) return Fail(1, run.status().message());
  // The run's flags, for the next session.
  if (absl::Status saved =
          base::WriteFileAtomically(paths.config(), RunConfigText());
      !saved.ok()) {
    return Fail(1, saved.message());
  }
  // From here on the log also goes to RUN/log/ (every session its own file);
  // the console keeps warnings and the progress lines.
  google::SetLogDestination(google::GLOG_INFO,
                            absl::StrCat(paths.log(), "/train.").c_str());
  FLAGS_logtostderr = false;
  FLAGS_stderrthreshold = google::GLOG_WARNING;

  const std::string start = (*run)->DescribeStart();
  std::printf("az train: %s\n", start.c_str());
  LOG(INFO) << start;
  for (const std::string& note : *notes) {
    std::printf("az train: %s\n", note.c_str());
    LOG(INFO) << note;
  }
  std::string sims =
      absl::StrCat(options.farm.search.num_simulations, " sims per move");
  if (options.farm.playout_caps()) {
    absl::StrAppendFormat(
        &sims, " on %.0f%% of moves, %d on the rest (not trained on)",
        100 * options.farm.full_search_share, options.farm.quick_simulations);
  }
  std::printf(
      "az train: %s, batch %d, %.1f samples per position, value target %s; a "
      "line every %.0f s (metrics in %s); Ctrl-C stops cleanly\n",
      sims.c_str(), options.batch_size, options.samples_per_position,
      FLAGS_value_target.c_str(), options.report_seconds,
      paths.metrics().c_str());
  std::fflush(stdout);

  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  // A second Ctrl-C gets the default action: quit at once (files stay
  // consistent; at most the games in flight are lost).
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  absl::StatusOr<selfplay::TrainingSummary> summary =
      (*run)->Run(g_stop, [](const selfplay::TrainingReport& report) {
        const std::string line = ProgressLine(report);
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
        LOG(INFO) << line;
      });
  if (!summary.ok()) return Fail(1, summary.status().message());
  const std::string end = absl::StrCat(
      "stopped at step ", summary->final_step, " (this session: ",
      summary->final_step - summary->start_step, " steps, ",
      summary->session_games, " games); ", summary->games,
      " games in the run; checkpoint ", summary->final_checkpoint,
      ". The same command resumes the run.");
  std::printf("az train: %s\n", end.c_str());
  LOG(INFO) << end;
  return 0;
}

}  // namespace

AZ_REGISTER_COMMAND_WITH_FLAGS(
    train, "train",
    "Self-play training run: actors, replay buffer, trainer, checkpoints.",
    "az train --game=G --run_dir=DIR [--max_minutes=M] [--max_steps=N] "
    "[--blocks=B --channels=C] [flags of az help train]",
    RunTrain, "selfplay", "network", "run", "store");

}  // namespace az
