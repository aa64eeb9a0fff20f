#include "tools/train_options.h"

#include <algorithm>
#include <charconv>
#include <type_traits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "engine/search_params.h"
#include "tools/command.h"
#include "tools/game_profile.h"
#include "tools/network_flags.h"

namespace az {
namespace {

// A setting as RUN/config writes it: doubles shortest, bools as gflags
// spells them.
template <typename T>
std::string Text(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_floating_point_v<T>) {
    return ShortestNumber(value);
  } else {
    return absl::StrCat(value);
  }
}

// One setting of a run: a flag that RUN/config records (and that a config
// may set), whether it is fixed for the run's life, and its text.
struct RunSetting {
  const char* name;
  bool immutable;
  std::string (*text)(const TrainFlags& flags);
};

// The run's settings, in RUN/config's order: the lines of AZ_TRAIN_FLAGS
// that are not session bounds. The game and the network's shape cannot
// change within a run; the others may (a resumed run takes the config's
// value unless the command line names a new one, then recorded).
#define AZ_RUN_SETTING_fixed(name) \
  {#name, true, [](const TrainFlags& f) { return Text(f.name); }},
#define AZ_RUN_SETTING_run(name) \
  {#name, false, [](const TrainFlags& f) { return Text(f.name); }},
#define AZ_RUN_SETTING_session(name)
#define AZ_RUN_SETTING(type, name, default_value, setting, defined, help) \
  AZ_RUN_SETTING_##setting(name)

const RunSetting kRunSettings[] = {AZ_TRAIN_FLAGS(AZ_RUN_SETTING)};

#undef AZ_RUN_SETTING
#undef AZ_RUN_SETTING_session
#undef AZ_RUN_SETTING_run
#undef AZ_RUN_SETTING_fixed

template <typename T>
T Or(T flag, T fallback) {
  return flag != 0 ? flag : fallback;
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

// The checks on counts and limits that need no per-game value.
absl::Status CheckLimits(const TrainFlags& f) {
  if (f.blocks < 0 || f.channels < 0 || f.selfplay_sims < 0 ||
      f.actor_threads < (f.remote ? 0 : 1) || f.games_per_thread < 0 ||
      f.eval_games < 0 || f.eval_mcts_sims < 1 || f.max_minutes < 0 ||
      f.max_steps < 0 || f.train_threads < 1) {
    return absl::InvalidArgumentError(
        "counts and limits must not be negative (and "
        "--actor_threads (0 with --store), --train_threads, "
        "--eval_mcts_sims >= 1)");
  }
  if (!(f.lr_anneal >= 0 && f.lr_anneal <= 1) ||
      !(f.lr_final > 0 && f.lr_final <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("--lr_anneal=", f.lr_anneal,
                                   " must be in [0, 1] and --lr_final=",
                                   f.lr_final, " in (0, 1]"));
  }
  return absl::OkStatus();
}

// The self-play search: the game's defaults, the flags' noise and sims.
absl::StatusOr<engine::SearchParams> SelfPlaySearch(
    const TrainFlags& f, const Game& game, const TrainingDefaults& d) {
  engine::SearchParams search = engine::DefaultSearchParams(game);
  search.num_simulations = Or(f.selfplay_sims, d.sims);
  if (f.dirichlet_alpha > 0) {
    ASSIGN_OR_RETURN(search.dirichlet_alpha,
                     engine::SearchParamToFloat("--dirichlet_alpha",
                                                f.dirichlet_alpha));
  }
  ASSIGN_OR_RETURN(search.dirichlet_epsilon,
                   engine::SearchParamToFloat("--dirichlet_epsilon",
                                              f.dirichlet_epsilon));
  if (f.temperature_moves >= 0) {
    search.temperature_moves = f.temperature_moves;
  } else if (d.temperature_moves >= 0) {
    search.temperature_moves = d.temperature_moves;
  }
  search = engine::SelfPlay(search);
  RETURN_IF_ERROR(search.Validate());
  return search;
}

// The actor farm and the inference server behind it.
absl::Status ResolveFarm(const TrainFlags& f, const TrainingDefaults& d,
                         selfplay::TrainingOptions& options) {
  selfplay::ActorFarmOptions& farm = options.farm;
  farm.actor_threads = f.actor_threads;
  farm.random_opening_moves = f.random_opening_moves >= 0
                                  ? f.random_opening_moves
                                  : d.random_opening_moves;
  farm.games_per_thread = Or(f.games_per_thread, d.games_per_thread);
  farm.quick_simulations = f.quick_sims >= 0 ? f.quick_sims : d.quick_sims;
  farm.full_search_share = f.full_search_share;
  farm.cache_entries =
      f.selfplay_cache >= 0 ? f.selfplay_cache : d.selfplay_cache;
  if (f.selfplay_cache < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--selfplay_cache=", f.selfplay_cache,
                     " must be >= 0 (or -1: per game)"));
  }
  if (f.quick_sims < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--quick_sims=", f.quick_sims, " must be >= 0 (or -1: per game)"));
  }
  if (farm.quick_simulations >= farm.search.num_simulations ||
      !(f.full_search_share > 0 && f.full_search_share <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--quick_sims=", farm.quick_simulations,
        " must be below --selfplay_sims=", farm.search.num_simulations,
        " and --full_search_share=", f.full_search_share, " in (0, 1]"));
  }
  ASSIGN_OR_RETURN(options.inference,
                   InferenceServerOptionsFromFlags(
                                       f.actor_threads, NetworkUse::kSelfPlay));
  // One actor's round is one forward pass, as in az bench --what=selfplay.
  options.inference.max_batch = farm.games_per_thread;
  return absl::OkStatus();
}

// The replay window, the trainer and the run's pace and reports.
absl::Status ResolveTrainer(const TrainFlags& f, const TrainingDefaults& d,
                            selfplay::TrainingOptions& options) {
  ASSIGN_OR_RETURN(
      options.replay.value_target,
      ParseValueTarget(f.value_target.empty() ? d.value_target
                                              : f.value_target));
  options.replay.augment_symmetries = f.augment;
  options.replay.capacity_positions =
      Or(f.replay_positions, d.replay_positions);
  options.min_positions = Or(f.min_positions, d.min_positions);
  options.batch_size = Or(f.batch_size, d.batch_size);
  options.trainer.learning_rate = Or(f.learning_rate, d.learning_rate);
  options.lr_anneal_fraction = f.lr_anneal;
  options.lr_final_fraction = f.lr_final;
  options.trainer.weight_decay = f.weight_decay;
  options.trainer.threads = f.train_threads;
  options.samples_per_position =
      Or(f.samples_per_position, d.samples_per_position);
  options.max_selfplay_lead =
      Or(f.max_selfplay_lead, 4 * options.min_positions);
  options.publish_every_steps = Or(f.publish_every, d.publish_every);
  options.checkpoint_every_steps = Or(f.checkpoint_every, d.checkpoint_every);
  options.report_seconds = Or(f.report_seconds, d.report_seconds);
  options.eval_every_steps =
      f.eval_every < 0 ? 0 : Or(f.eval_every, d.eval_every);
  options.eval_games = f.eval_games;
  options.eval_sims = Or(f.eval_sims, d.eval_sims);
  options.eval_mcts_sims = f.eval_mcts_sims;
  return absl::OkStatus();
}

// `flags` with the values `options` resolved them to.
TrainFlags Resolved(const TrainFlags& flags, const TrainingDefaults& d,
                    const selfplay::TrainingOptions& options) {
  TrainFlags r = flags;
  const engine::SearchParams& search = options.farm.search;
  r.blocks = options.network.blocks;
  r.channels = options.network.channels;
  r.selfplay_sims = search.num_simulations;
  r.games_per_thread = options.farm.games_per_thread;
  // Recorded as a float prints (6 digits), as az always has.
  absl::SimpleAtod(absl::StrCat(search.dirichlet_alpha), &r.dirichlet_alpha);
  r.temperature_moves = search.temperature_moves;
  r.random_opening_moves = options.farm.random_opening_moves;
  r.quick_sims = options.farm.quick_simulations;
  r.selfplay_cache = options.farm.cache_entries;
  if (r.value_target.empty()) r.value_target = d.value_target;
  r.replay_positions = options.replay.capacity_positions;
  r.min_positions = options.min_positions;
  r.batch_size = options.batch_size;
  r.learning_rate = options.trainer.learning_rate;
  r.samples_per_position = options.samples_per_position;
  r.max_selfplay_lead = options.max_selfplay_lead;
  r.publish_every = options.publish_every_steps;
  r.checkpoint_every = options.checkpoint_every_steps;
  r.report_seconds = options.report_seconds;
  r.eval_every = options.eval_every_steps > 0 ? options.eval_every_steps : -1;
  r.eval_sims = options.eval_sims;
  return r;
}

absl::StatusOr<TrainSetup> Resolve(const TrainFlags& f, const Game& game) {
  RETURN_IF_ERROR(CheckLimits(f));
  const GameProfile& profile = ProfileOf(game);
  const TrainingDefaults& d = profile.training;
  TrainSetup setup;
  selfplay::TrainingOptions& options = setup.options;
  options.run_dir = f.run_dir;
  options.network = NetworkOf(game, f.blocks, f.channels);
  options.seed = f.seed;
  ASSIGN_OR_RETURN(options.farm.search, SelfPlaySearch(f, game, d));
  RETURN_IF_ERROR(ResolveFarm(f, d, options));
  options.heldout_fraction = f.heldout_fraction;
  RETURN_IF_ERROR(ResolveTrainer(f, d, options));
  options.max_steps = f.max_steps;
  options.max_minutes = f.max_minutes;
  setup.resolved = Resolved(f, d, options);
  return setup;
}

}  // namespace

absl::StatusOr<TrainSetup> ResolveTraining(const TrainFlags& flags,
                                           const Game& game) {
  absl::StatusOr<TrainSetup> setup = Resolve(flags, game);
  if (!setup.ok()) return AsUsageError(setup.status());
  return setup;
}

const std::vector<std::string>& RunConfigFlags() {
  static const auto* names = [] {
    auto* names = new std::vector<std::string>;
    for (const RunSetting& setting : kRunSettings) {
      names->push_back(setting.name);
    }
    return names;
  }();
  return *names;
}

bool IsImmutableRunSetting(const std::string& name) {
  return std::any_of(std::begin(kRunSettings), std::end(kRunSettings),
                     [&](const RunSetting& setting) {
                       return setting.immutable && name == setting.name;
                     });
}

std::string RunConfigText(const TrainFlags& resolved) {
  std::string text =
      "# The flags of this training run (az train). Running az train on this "
      "directory again\n# resumes the run with these values unless the "
      "command line changes them.\n";
  for (const RunSetting& setting : kRunSettings) {
    absl::StrAppend(&text, "--", setting.name, "=", setting.text(resolved),
                    "\n");
  }
  return text;
}

std::string ShortestNumber(double number) {
  char text[32];
  const std::to_chars_result end = std::to_chars(
      text, text + sizeof(text), number, std::chars_format::general);
  return std::string(text, end.ptr);
}

}  // namespace az
