// az train --store: the learner of a distributed run. What a training run
// needs to meet actors elsewhere, built from the flags and the run's
// resolved options; without --store, nothing (the run plays its own games).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "selfplay/training_run.h"
#include "store/remote_learner.h"

namespace az {

// The run's settings as actors read them: its search and farm, the pace.
store::RunSettings ActorSettingsOf(const Game& game,
                                   const selfplay::TrainingOptions& options,
                                   int64_t max_backlog);

// The learner's link for `options` (connected, the settings published) when
// --store is given, else null.
absl::StatusOr<std::unique_ptr<store::RemoteLearner>> LearnerFromFlags(
    const Game& game, const selfplay::TrainingOptions& options);

}  // namespace az
