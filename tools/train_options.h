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
#include "tools/train_flags.h"

namespace az {

// The flags of az train as given (0 or -1 where they mean "per game"), one
// field per line of AZ_TRAIN_FLAGS (tools/train_flags.h), with its default.
struct TrainFlags {
#define AZ_TRAIN_FLAG_FIELD(type, name, default_value, setting, defined, help) \
  AzTrainFlagType_##type name = default_value;
  AZ_TRAIN_FLAGS(AZ_TRAIN_FLAG_FIELD)
#undef AZ_TRAIN_FLAG_FIELD
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
