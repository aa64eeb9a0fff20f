// What an actor needs to know of a run to play its games, as the learner
// publishes it (az:{NAME}:settings): the game and its reward spec, the format versions of what
// the two sides exchange, the self-play search and farm settings, and the
// pace. Written as field -> text pairs so that a newer learner can add
// fields an older actor ignores; a change of meaning bumps kSettingsVersion.
//
// An actor trusts these settings only as far as it must (they come from the
// learner, which owns the run): each is parsed strictly and the search
// settings go through SearchParams::Validate, so a damaged or hostile entry
// is one clear error, never a crash or an absurd allocation.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "selfplay/actor_farm.h"

namespace az::store {

// Version of the settings' meaning; an actor refuses another.
constexpr int kSettingsVersion = 1;
// The largest self-play cache the settings may ask an actor for (entries).
constexpr int64_t kMaxSelfplayCache = int64_t{1} << 22;

struct RunSettings {
  std::string game;                       // registry name
  // The reward spec the run's games are played and paid under (an entry of
  // the game's menu; kRulesSpec for the real rules).
  std::string reward = "rules";
  selfplay::ActorFarmOptions farm;        // search and farm; seed unused
  // Actors pause while the games stream holds more entries than this (the
  // learner's backlog): the explicit pace of a distributed run.
  int64_t max_backlog = 0;
  // What the weights and records in the store are written in.
  uint32_t record_format = 0;
  uint32_t checkpoint_format = 0;
};

std::map<std::string, std::string> SettingsToFields(const RunSettings& s);

// The settings from the published fields. FailedPrecondition, in one line,
// for another settings, record or checkpoint format than this az's
// (naming both); InvalidArgument naming the field for a missing or
// malformed one; the search settings are validated.
absl::StatusOr<RunSettings> SettingsFromFields(
    const std::map<std::string, std::string>& fields);

}  // namespace az::store
