#include "tools/players_flags.h"

#include "engine/search_params.h"
#include "tools/command.h"
#include "tools/network_flags.h"
#include "tools/search_flags.h"

DEFINE_string(players, "",
              "The players, comma-separated, first to move first: human, "
              "random, mcts[:OPTS] (random rollouts), solver (perfect "
              "play), net:PATH[:OPTS] (a checkpoint), run:DIR[:OPTS] (the "
              "latest checkpoint of a run). OPTS, each after a ':': sims=N "
              "(simulations a move), c_init=X and fpu=X (this player's "
              "--c_init and --fpu_reduction), and for networks raw (or "
              "sims=0: the policy head alone). play: two players (default "
              "human,mcts); match: two or more.");
DEFINE_string(start, "",
              "Moves played before the game starts, in the game's notation.");

namespace az {

absl::StatusOr<selfplay::PlayerOptions> PlayerOptionsFromFlags(
    const Game& game, int games_at_once) {
  absl::StatusOr<engine::SearchParams> params = SearchParamsFromFlags(game);
  if (!params.ok()) return AsUsageError(params.status());
  const int search_threads = games_at_once > 1 ? 1 : params->num_threads;
  selfplay::PlayerOptions options;
  options.search = engine::FullStrength(*params, search_threads);
  absl::StatusOr<nn::InferenceServerOptions> inference =
      InferenceServerOptionsFromFlags(games_at_once * search_threads);
  if (!inference.ok()) return AsUsageError(inference.status());
  options.inference = *inference;
  options.rollouts = FLAGS_rollouts;
  return options;
}

}  // namespace az
