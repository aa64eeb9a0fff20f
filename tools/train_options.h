// az train's settings: the values of its flags as plain data, their
// resolution (with the game's profile for every "0: per game") into
// selfplay::TrainingOptions, and the run's settings table that RUN/config
// is written from and that says which flags a config may set and which
// cannot change within a run. No flags are read here except the network
// flags behind the inference server; train_command.cc reads the rest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "selfplay/training_run.h"

namespace az {

// The flags of az train as given (0 or -1 where they mean "per game").
// Each field is the flag of the same name (see az help train).
struct TrainFlags {
  std::string game;
  std::string run_dir;
  int blocks = 0;
  int channels = 0;
  uint64_t seed = 1;
  int selfplay_sims = 0;
  int actor_threads = 2;
  int games_per_thread = 0;
  double dirichlet_alpha = 0;
  double dirichlet_epsilon = 0.25;
  int temperature_moves = -1;
  int random_opening_moves = -1;
  int quick_sims = -1;
  double full_search_share = 0.25;
  std::string value_target;
  bool augment = true;
  int64_t replay_positions = 0;
  int64_t min_positions = 0;
  int batch_size = 0;
  double learning_rate = 0;
  double lr_anneal = 0.25;
  double lr_final = 0.1;
  double weight_decay = 1e-4;
  int train_threads = 1;
  double samples_per_position = 0;
  int64_t max_selfplay_lead = 0;
  int publish_every = 0;
  int checkpoint_every = 0;
  double heldout_fraction = 0.02;
  double report_seconds = 0;
  int64_t eval_every = 0;
  int eval_games = 20;
  int eval_sims = 0;
  int eval_mcts_sims = 1000;
  int64_t max_steps = 0;
  double max_minutes = 0;
  // Whether --store names a store (a learner without local actors may
  // have --actor_threads=0).
  bool remote = false;
};

// A resolved run: the options and the flags as the run records them.
struct TrainSetup {
  selfplay::TrainingOptions options;
  // `flags` with every per-game value replaced by the one the run uses,
  // so that RUN/config records what the run does rather than "0: per game"
  // (a later az with other defaults still resumes the same run).
  TrainFlags resolved;
};

// Resolves `flags` for `game`; a bad value is a usage error (the message
// names the flag). Reads the network flags for the inference server.
absl::StatusOr<TrainSetup> ResolveTraining(const TrainFlags& flags,
                                           const Game& game);

// The flags RUN/config records, in its order.
const std::vector<std::string>& RunConfigFlags();
// Whether the named run setting cannot change within a run.
bool IsImmutableRunSetting(const std::string& name);
// RUN/config's text for `resolved` (numbers written shortest).
std::string RunConfigText(const TrainFlags& resolved);

// The shortest text that reads back as `number` exactly (%g style).
std::string ShortestNumber(double number);

}  // namespace az
