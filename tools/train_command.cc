// `az train`: a self-play training run in a run directory (the loop itself
// is selfplay/training_run.h). This file defines the flags listed in
// tools/train_flags.h, turns them into TrainingOptions with defaults chosen
// per game, keeps RUN/config (the run's flags, so that the same command
// resumes the run and a change that cannot happen mid-run is refused;
// tools/train_options.h), routes the log into RUN/log/, stops cleanly on
// Ctrl-C, and prints one progress line per report.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "games/registry.h"
#include "selfplay/run_dir.h"
#include "selfplay/training_run.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/network_flags.h"
#include "tools/run_flags.h"
#include "tools/selfplay_flags.h"
#include "tools/signals.h"
#include "tools/store_flags.h"
#include "tools/train_flags.h"
#include "tools/train_options.h"
#include "tools/train_store.h"

// The flags of az train that are its own (the others are shared with other
// subcommands); all of them are listed in tools/train_flags.h.
#define AZ_DEFINE_TRAIN_FLAG_here(type, name, default_value, help) \
  DEFINE_##type(name, default_value, help);
#define AZ_DEFINE_TRAIN_FLAG_shared(type, name, default_value, help)
#define AZ_DEFINE_TRAIN_FLAG(type, name, default_value, setting, defined, \
                             help)                                        \
  AZ_DEFINE_TRAIN_FLAG_##defined(type, name, default_value, help)
AZ_TRAIN_FLAGS(AZ_DEFINE_TRAIN_FLAG)
#undef AZ_DEFINE_TRAIN_FLAG
#undef AZ_DEFINE_TRAIN_FLAG_shared
#undef AZ_DEFINE_TRAIN_FLAG_here

namespace az {
namespace {

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

// Reads RUN/config's lines (`contents`, read from `path`) into flag names
// and values, with the line of each.
absl::Status ReadRunConfig(const std::string& path,
                           const std::string& contents,
                           std::map<std::string, std::string>& recorded,
                           std::map<std::string, int>& line_of) {
  int number = 0;
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
  return absl::OkStatus();
}

// Applies RUN/config (`contents`, read from `path`): flags the command line
// did not set take the run's values; a changed immutable flag, a malformed
// line or a flag that is not one of the run's settings is an error.
// Returns the notes on changed flags.
absl::StatusOr<std::vector<std::string>> ApplyRunConfig(
    const std::string& path, const std::string& contents) {
  std::map<std::string, std::string> recorded;
  std::map<std::string, int> line_of;
  RETURN_IF_ERROR(ReadRunConfig(path, contents, recorded, line_of));
  // Runs from before reward specs trained on the rules: a config without
  // the key is a rules run, and resuming it under another spec is refused.
  recorded.emplace("reward", kRulesSpec);
  std::vector<std::string> notes;
  const std::vector<std::string>& run_flags = RunConfigFlags();
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
    if (IsImmutableRunSetting(name)) {
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

// A missing config is a new run (no notes). One that exists but cannot be
// read stops here: going on would start a new run over the old one's files.
absl::StatusOr<std::vector<std::string>> ResumeRunConfig(
    const selfplay::RunPaths& paths) {
  absl::StatusOr<std::string> config =
      base::ReadFileBounded(paths.config(), kMaxConfigBytes);
  if (absl::IsNotFound(config.status())) return std::vector<std::string>();
  RETURN_IF_ERROR(config.status());
  absl::StatusOr<std::vector<std::string>> notes =
      ApplyRunConfig(paths.config(), *config);
  if (!notes.ok()) return AsUsageError(notes.status());
  return notes;
}

TrainFlags TrainFlagsOfCommandLine() {
  TrainFlags f;
#define AZ_COPY_TRAIN_FLAG(type, name, default_value, setting, defined, help) \
  f.name = FLAGS_##name;
  AZ_TRAIN_FLAGS(AZ_COPY_TRAIN_FLAG)
#undef AZ_COPY_TRAIN_FLAG
  f.remote = !FLAGS_store.empty();
  return f;
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
      "v-z %s q-z %s z!=verdict %s",
      Clock(r.elapsed_s), r.step, Thousands(r.games), r.games_per_s,
      Thousands(r.buffer_positions), Maybe(r.policy_loss, "%.3f"),
      Maybe(r.value_loss, "%.3f"), r.learning_rate, Maybe(r.v_z_mse, "%.3f"),
      Maybe(r.q_z_mse, "%.3f"),
      Maybe(100 * r.reward_verdict_disagreement, "%.0f%%"));
  // A learner that plays no games itself has no network speed to show.
  if (FLAGS_actor_threads > 0) {
    absl::StrAppendFormat(&line, " | %s evals/s batch %.0f",
                          Thousands(r.nn_evals_per_s), r.mean_batch);
  }
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

// From here on the log also goes to RUN/log/ (every session its own file);
// the console keeps warnings and the progress lines.
void LogToRunDirectory(const selfplay::RunPaths& paths) {
  google::SetLogDestination(google::GLOG_INFO,
                            absl::StrCat(paths.log(), "/train.").c_str());
  FLAGS_logtostderr = false;
  FLAGS_stderrthreshold = google::GLOG_WARNING;
}

// A line on the console and in the log.
void Say(const std::string& line) {
  std::printf("az train: %s\n", line.c_str());
  LOG(INFO) << line;
}

void PrintStart(const selfplay::TrainingRun& run,
                const std::vector<std::string>& notes,
                const TrainSetup& setup, const selfplay::RunPaths& paths) {
  Say(run.DescribeStart());
  for (const std::string& note : notes) Say(note);
  const selfplay::TrainingOptions& options = setup.options;
  std::string sims =
      absl::StrCat(options.farm.search.num_simulations, " sims per move");
  if (options.farm.playout_caps()) {
    absl::StrAppendFormat(
        &sims, " on %.0f%% of moves, %d on the rest (not trained on)",
        100 * options.farm.full_search_share, options.farm.quick_simulations);
  }
  if (options.farm.cache_entries > 0) {
    absl::StrAppend(&sims, ", an evaluation cache of ",
                    options.farm.cache_entries, " entries");
  }
  std::printf(
      "az train: reward %s, %s, batch %d, %.1f samples per position, value "
      "target %s; a line every %.0f s (metrics in %s); Ctrl-C stops "
      "cleanly\n",
      setup.resolved.reward.c_str(), sims.c_str(), options.batch_size,
      options.samples_per_position, setup.resolved.value_target.c_str(),
      options.report_seconds,
      paths.metrics().c_str());
  std::fflush(stdout);
}

void PrintReport(const selfplay::TrainingReport& report) {
  const std::string line = ProgressLine(report);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  LOG(INFO) << line;
}

std::string Ending(const selfplay::TrainingSummary& summary) {
  return absl::StrCat(
      "stopped at step ", summary.final_step, " (this session: ",
      summary.final_step - summary.start_step, " steps, ",
      summary.session_games, " games); ", summary.games,
      " games in the run; checkpoint ", summary.final_checkpoint,
      ". The same command resumes the run.");
}

absl::Status Train(const std::vector<std::string>& args) {
  RETURN_IF_ERROR(NoPositionalArguments(args));
  if (FLAGS_run_dir.empty()) {
    return UsageError("--run_dir is required (a new or existing run directory)");
  }
  const selfplay::RunPaths paths(FLAGS_run_dir);
  ASSIGN_OR_RETURN(const std::vector<std::string> notes,
                   ResumeRunConfig(paths));
  ASSIGN_OR_RETURN(const Game* game, GameOfCommandLine(args));
  // The run's games are played and paid under its reward spec.
  absl::StatusOr<const Game*> spec_game =
      FindGameWithReward(game->Name(), FLAGS_reward);
  if (!spec_game.ok()) return AsUsageError(spec_game.status());
  game = *spec_game;
  ASSIGN_OR_RETURN(TrainSetup setup,
                   ResolveTraining(TrainFlagsOfCommandLine(), *game));
  // A distributed run's learner: actors elsewhere, met in the store.
  ASSIGN_OR_RETURN(std::unique_ptr<store::RemoteLearner> learner,
                   LearnerFromFlags(*game, setup.options));
  setup.options.remote = learner.get();
  ASSIGN_OR_RETURN(std::unique_ptr<selfplay::TrainingRun> run,
                   selfplay::TrainingRun::Open(*game, setup.options));
  // The run's settings, for the next session.
  RETURN_IF_ERROR(base::WriteFileAtomically(paths.config(),
                                            RunConfigText(setup.resolved)));
  LogToRunDirectory(paths);
  PrintStart(*run, notes, setup, paths);
  const std::atomic<bool>& stop = StopOnInterrupt(
      "\naz train: stopping (finishing the step, saving a checkpoint); "
      "press Ctrl-C again to quit at once\n");
  ASSIGN_OR_RETURN(const selfplay::TrainingSummary summary,
                   run->Run(stop, PrintReport));
  Say(Ending(summary));
  return absl::OkStatus();
}

int RunTrain(const std::vector<std::string>& args) {
  return ExitCode("train", Train(args));
}

}  // namespace

AZ_REGISTER_COMMAND_WITH_FLAGS(
    train, "train",
    "Self-play training run: actors, replay buffer, trainer, checkpoints.",
    "az train --game=G --run_dir=DIR [--max_minutes=M] [--max_steps=N] "
    "[--blocks=B --channels=C] [flags of az help train]",
    RunTrain, "selfplay", "network", "run", "store");

}  // namespace az
