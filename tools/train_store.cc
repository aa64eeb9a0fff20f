#include "tools/train_store.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"

#include "base/status_macros.h"
#include "nn/checkpoint.h"
#include "selfplay/record_io.h"
#include "tools/store_flags.h"

namespace az {

store::RunSettings ActorSettingsOf(const Game& game,
                                   const selfplay::TrainingOptions& options,
                                   int64_t max_backlog) {
  store::RunSettings s;
  s.game = game.Name();
  s.reward = game.RewardSpec().name;
  s.farm = options.farm;
  s.farm.weights_version = nullptr;
  // Actors refuse a larger cache than this from the store.
  s.farm.cache_entries =
      std::min(s.farm.cache_entries, store::kMaxSelfplayCache);
  if (max_backlog <= 0) {
    // The farm's pace, in games: positions over a typical game's length.
    const int64_t per_game = std::max(1, game.MaxGameLength() / 2);
    max_backlog = std::max<int64_t>(64, options.max_selfplay_lead / per_game);
  }
  s.max_backlog = max_backlog;
  s.record_format = selfplay::kRecordFormatVersion;
  s.checkpoint_format = nn::kCheckpointFormatVersion;
  return s;
}

absl::StatusOr<std::unique_ptr<store::RemoteLearner>> LearnerFromFlags(
    const Game& game, const selfplay::TrainingOptions& options) {
  if (FLAGS_store.empty()) return std::unique_ptr<store::RemoteLearner>();
  store::RemoteLearnerOptions learner;
  ASSIGN_OR_RETURN(learner.redis, RedisOptionsFromFlags());
  ASSIGN_OR_RETURN(learner.run, RunNameFromFlags(options.run_dir));
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  std::error_code error;
  const std::filesystem::path dir =
      std::filesystem::absolute(options.run_dir, error);
  learner.owner = absl::StrCat(host, ":", error ? options.run_dir : dir.string());
  return store::RemoteLearner::Connect(
      game, learner, ActorSettingsOf(game, options, FLAGS_max_backlog));
}

}  // namespace az
