// Players: anything that chooses moves in a game — a person at the
// terminal, a random mover, MCTS with random rollouts, the exact solver, or a
// network checkpoint with or without search — named by one spec string that
// `az play`, `az match` and training's evaluation all read:
//
//   human | random | mcts[:OPTS] | solver | net:PATH[:OPTS] | run:DIR[:OPTS]
//
// The grammar, with what OPTS may set, is written once in selfplay/spec.h.
// A PlayerFactory parses a spec once (loading the checkpoint once) and
// makes as many independent players as there are games running at the
// same time.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/evaluator.h"
#include "engine/search.h"
#include "engine/search_params.h"
#include "games/game.h"
#include "games/solver.h"
#include "nn/inference_server.h"
#include "selfplay/run_dir.h"
#include "selfplay/spec.h"

namespace az::selfplay {

// What a player knows of the move it chose, for `az play --analysis`.
struct MoveInfo {
  // The search behind the move; for a network without search, its single
  // evaluation (moves with priors, no visits, v = q = the network's value).
  // Empty for players that evaluate nothing (human, random, solver).
  std::optional<engine::SearchResult> search;
  // Whether search->v came from a network (a learned value) rather than
  // from rollouts.
  bool value_is_learned = false;
  // The solver player's exact value of the position for the side to move.
  std::optional<ExactValue> exact;
};

class Player {
 public:
  virtual ~Player() = default;

  // The spec the player was made from ("mcts:sims=200").
  virtual std::string Name() const = 0;
  virtual bool IsHuman() const { return false; }

  // A new game (or a position reached by other means, e.g. an undo) begins;
  // `seed` makes the player's random choices in it repeatable.
  virtual void Reset(uint64_t seed) {}
  // Chooses a move in `state` (not over). `info` may be null.
  virtual absl::StatusOr<Action> ChooseMove(const State& state,
                                            MoveInfo* info) = 0;
  // `action` was played in the position last passed to ChooseMove or
  // reached by the moves observed since (lets a search keep its tree).
  virtual void Observe(Action action) {}
};

// A person typing moves. Besides moves it understands "undo", "help" and
// "quit"; a malformed or illegal move is explained and asked for again.
class HumanPlayer final : public Player {
 public:
  // `messages` receives explanations of bad input and the help text;
  // `prompts`, where non-null, receives the prompt before each line read
  // (leave it null when the input is not a terminal).
  HumanPlayer(const Game& game, std::istream* input, std::ostream* messages,
              std::ostream* prompts);

  struct Command {
    enum class Kind { kMove, kUndo, kQuit };
    Kind kind = Kind::kQuit;
    Action action = kNoAction;
  };
  // Reads lines until a legal move in `state`, "undo" or "quit"; the end of
  // the input counts as "quit".
  Command ReadCommand(const State& state);

  std::string Name() const override { return "human"; }
  bool IsHuman() const override { return true; }
  // "undo" is not available here (only `az play` can take moves back): it
  // is explained and the move asked for again. "quit" gives Cancelled.
  absl::StatusOr<Action> ChooseMove(const State& state,
                                    MoveInfo* info) override;

 private:
  void PrintHelp(const State& state);

  const Game& game_;
  std::istream* input_;
  std::ostream* messages_;
  std::ostream* prompts_;
};

struct PlayerOptions {
  // Base parameters of the searching players (mcts, net); the spec's
  // options replace num_simulations, c_init and the fpu. Keep root noise and
  // temperature off for strongest play.
  engine::SearchParams search;
  // How networks are served (one server per factory, shared by its
  // players).
  nn::InferenceServerOptions inference;
  // Random playouts per leaf of the mcts player.
  int rollouts = 1;
  // The human player's streams (see HumanPlayer); input null: no human.
  std::istream* input = nullptr;
  std::ostream* messages = nullptr;
  std::ostream* prompts = nullptr;
};

// Parses a spec and makes players from it. Thread-safe: NewPlayer() may be
// called from several threads, and the players it makes run independently
// (networks share one inference server).
class PlayerFactory {
 public:
  // InvalidArgument for a malformed spec, a number that does not fit the
  // float the search keeps (c_init=1e39), search settings that
  // SearchParams::Validate refuses, a game without a solver or a
  // checkpoint of another game; NotFound for a missing checkpoint or run.
  // The message names the spec. What Create accepts, NewPlayer can make.
  static absl::StatusOr<std::unique_ptr<PlayerFactory>> Create(
      const Game& game, absl::string_view spec, const PlayerOptions& options);

  const std::string& spec() const { return spec_.text; }
  bool is_human() const { return spec_.kind == SpecKind::kHuman; }
  std::unique_ptr<Player> NewPlayer() const;
  // Simulations per move of mcts, net and run players (0: policy alone).
  int simulations() const { return options_.search.num_simulations; }
  // Whether the spec itself set them (sims=N or raw) rather than
  // PlayerOptions::search.
  bool spec_sets_simulations() const {
    return spec_.search.simulations.has_value();
  }
  // The search settings of this player: PlayerOptions::search with the
  // spec's options applied (num_simulations is simulations()).
  const engine::SearchParams& search_params() const { return options_.search; }

 private:
  PlayerFactory(const Game& game, Spec spec, const PlayerOptions& options);
  // Checks what Create accepts beyond the grammar (a terminal for a human,
  // a solver for the game, settings the search takes) and makes the
  // evaluator the searching players share.
  absl::Status Prepare();
  std::unique_ptr<Player> NewSearchingPlayer() const;

  const Game& game_;
  Spec spec_;
  // options.search holds the spec's options once Prepare() has run.
  PlayerOptions options_;
  // The evaluator behind the searching players (mcts: rollouts, for a
  // policy-alone player; net, run: the inference server), shared by them;
  // null for human, random and solver.
  std::shared_ptr<engine::Evaluator> evaluator_;
};

// One player from a spec (a factory used once).
absl::StatusOr<std::unique_ptr<Player>> ParsePlayerSpec(
    const Game& game, absl::string_view spec, const PlayerOptions& options);

}  // namespace az::selfplay
