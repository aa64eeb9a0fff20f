#include "tools/match_options.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tools/command.h"

namespace az {

int MatchThreads(int requested, unsigned hardware_threads) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::min(8u, hardware_threads)));
}

absl::StatusOr<MatchCommandOptions> ResolveMatchOptions(
    const MatchFlagValues& flags, unsigned hardware_threads) {
  MatchCommandOptions options;
  options.specs = absl::StrSplit(flags.players, ',', absl::SkipEmpty());
  if (options.specs.size() < 2) {
    return UsageError(absl::StrCat(
        "--players needs two or more players, SPEC,SPEC[,...] (got \"",
        flags.players, "\")"));
  }
  if (flags.games < 1) {
    return UsageError(
        absl::StrCat("--games must be >= 1 (got ", flags.games, ")"));
  }
  if (!flags.anchor.empty()) {
    auto it =
        std::find(options.specs.begin(), options.specs.end(), flags.anchor);
    if (it == options.specs.end()) {
      return UsageError(absl::StrCat("--anchor=", flags.anchor,
                                     " is not one of the players"));
    }
    options.anchor = static_cast<int>(it - options.specs.begin());
  }
  options.match.games_per_pair = flags.games;
  options.match.opening_plies = flags.opening_plies;
  options.match.start = flags.start;
  options.match.threads = MatchThreads(flags.threads, hardware_threads);
  options.match.seed = flags.seed;
  return options;
}

}  // namespace az
