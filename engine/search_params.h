// The settings of one search, in one plain struct with one commented field
// per setting (the KataGo habit), its validation, and defaults per game.
//
// Library code never reads flags: tools/ fills this struct from the command
// line and Validate() turns values out of range into a clear error.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "games/game.h"

namespace az::engine {

// How the value of a child that has no visit yet is guessed.
enum class FpuMode {
  // The parent's current Q (for the side to move there) minus fpu_value:
  // unexplored moves are assumed a little worse than the known ones.
  kReduction,
  // fpu_value itself, in [-1, 1], for every unvisited child.
  kAbsolute,
};

struct SearchParams {
  // Simulations (leaf visits) added to the tree by each call to
  // Search::Run(); visits kept from earlier moves (tree reuse) come on top.
  int num_simulations = 800;

  // PUCT exploration rate, AlphaZero's schedule:
  // c(N) = c_init + log((1 + N + c_base) / c_base), N = the parent's visits.
  float c_init = 1.25f;
  static constexpr float kMaxCInit = 1e6f;
  float c_base = 19652.0f;

  // First-play urgency: how an unvisited child's Q is guessed (see FpuMode).
  FpuMode fpu_mode = FpuMode::kReduction;
  // The reduction (kReduction, >= 0) or the absolute value (kAbsolute, in
  // [-1, 1]).
  float fpu_value = 0.25f;

  // Whether Dirichlet noise is mixed into the root prior at the start of
  // each search (self-play turns it on; analysis and play leave it off).
  bool root_noise = false;
  // Concentration of the Dirichlet noise (> 0); about 10 / (typical number
  // of legal moves).
  float dirichlet_alpha = 1.0f;
  // Weight of the noise in the root prior, in [0, 1].
  float dirichlet_epsilon = 0.25f;

  // Moves are sampled in proportion to visits^(1 / temperature) while fewer
  // than temperature_moves plies have been played in the game; after that,
  // and whenever temperature is 0, the most visited move is played.
  float temperature = 1.0f;
  int temperature_moves = 0;

  // Whether the subtree of the move played is kept as the next root.
  bool reuse_tree = true;

  // Threads that search one tree together (single-game mode). Each one
  // marks its path with virtual loss so that the others spread out.
  int num_threads = 1;
  // The number of losses an in-flight simulation counts as on its path
  // (single-game mode with several threads), >= 1.
  int virtual_loss = 1;

  // Whether each new leaf's moves are tried for an immediate game end, so
  // that a position with a winning move is proven at once (decisive moves)
  // rather than after visits find that move. Costs one Apply per move.
  bool detect_terminal_children = true;

  // Whether a search stops as soon as its root is proven (MCTS-solver): the
  // best move is then known and more visits change nothing.
  bool stop_when_proven = true;

  // Bound on the nodes a tree may hold (about 36 bytes each); a search that
  // would grow past it stops early and says so in its result.
  int64_t max_tree_nodes = 20'000'000;

  // Seed of every random choice of the search (noise, move sampling).
  uint64_t seed = 1;

  // OK, or InvalidArgument naming the first setting out of range and why.
  absl::Status Validate() const;
};

// `value`, read as a double from a flag or a player spec, as the float a
// field above stores. InvalidArgument naming `name` when it is not finite,
// overflows a float (it would become inf) or is non-zero but too small for a
// normal float (it would become 0 or a denormal): Validate() alone would see
// only the converted value, and the error would not say what was typed.
absl::StatusOr<float> SearchParamToFloat(absl::string_view name, double value);

// Defaults suited to `game`: Dirichlet alpha from its number of actions and
// a temperature phase that scales with its length.
SearchParams DefaultSearchParams(const Game& game);

// The two ways the rest of az sets a search up, written once.
//
// Playing to win (matches, az play, az gap, the trainer's evaluation games):
// no root noise and the most visited move from the first ply on, with
// `threads` threads on the one tree (matches play many games side by side,
// one thread each).
SearchParams FullStrength(SearchParams params, int threads = 1);
// Self-play: root noise wherever its weight is above 0, sampled openings as
// `params` says, one thread a game (the actor farm plays many at once).
SearchParams SelfPlay(SearchParams params);

}  // namespace az::engine
