// The Game/State interface that every game of az implements.
//
// A Game is an immutable description (name, action space, observation shape,
// symmetries, notation, reward spec); a State is one position of it. The
// interface knows nothing of search or networks: it offers the rules, the
// terminal outcome and its reward (games/reward.h), an observation as a flat
// float buffer, and the text forms a person reads and types. The hot-path
// calls (Apply, legal actions, terminal test, CopyFrom) never allocate.
//
// Reward specs: a Game instance plays by one reward spec of its game's menu
// (RewardSpecs(); FindGameWithReward() in games/registry.h gives the
// instance of a spec). The spec decides when a game ends (IsTerminal(),
// Outcome(), the legal actions) and what it pays (State::Reward()); moves,
// positions, observations, symmetries and hashes are the game's whatever the
// spec. State::Verdict() always says what the real rules make of the game.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "games/reward.h"

namespace az {

// An action is an index in [0, Game::NumActions()).
using Action = int;
constexpr Action kNoAction = -1;

// Shape of an observation: `planes` planes of `height` x `width`, stored
// plane-major then row-major (index = (p * height + r) * width + c).
struct ObservationShape {
  int planes = 0;
  int height = 0;
  int width = 0;
  int size() const { return planes * height * width; }
  bool operator==(const ObservationShape& o) const {
    return planes == o.planes && height == o.height && width == o.width;
  }
};

// One symmetry of the rules, as permutations of the observation and of the
// actions. Index 0 of Game::Symmetries() is always the identity.
struct Symmetry {
  std::string name;
  // transformed_observation[i] = observation[observation_source[i]].
  std::vector<int> observation_source;
  // The action `a` in the original position is action_map[a] in the
  // transformed one.
  std::vector<Action> action_map;
};

class State;
class ExactSolver;

class Game {
 public:
  virtual ~Game() = default;

  virtual std::string Name() const = 0;
  // Number of distinct actions (the size of a policy vector).
  virtual int NumActions() const = 0;
  // Upper bound on the number of plies of a game.
  virtual int MaxGameLength() const = 0;
  virtual ObservationShape GetObservationShape() const = 0;
  virtual std::unique_ptr<State> NewInitialState() const = 0;
  virtual const std::vector<Symmetry>& Symmetries() const = 0;

  // Notation of one action, e.g. "4" in Connect Four or "d3" in Othello.
  virtual std::string ActionToString(Action action) const = 0;
  // Parses the notation of one action without regard to any position; the
  // error says why the text is not a move of this game.
  virtual absl::StatusOr<Action> ParseAction(absl::string_view text) const = 0;
  // How many characters of `text` (which starts at a non-separator) the next
  // move token takes. Moves in a sequence may be written back to back
  // ("4453") or separated by spaces or commas ("d3 c5").
  virtual size_t MoveTokenLength(absl::string_view text) const = 0;

  // The game's menu of reward specs; the first entry is always the rules
  // (kRulesSpec). The default menu is the rules alone.
  virtual const std::vector<RewardSpecInfo>& RewardSpecs() const;
  // The spec this instance plays by (an entry of RewardSpecs()); the rules
  // for the games FindGame() returns.
  virtual const RewardSpecInfo& RewardSpec() const;
  // Whether this instance plays by the rules themselves.
  bool PlaysByRules() const { return RewardSpec().name == kRulesSpec; }

  // A solver that gives the exact value of positions of this game under its
  // reward spec, or null where the game (or the spec) has none. Each call
  // returns a fresh, independent solver (solvers keep tables and are not
  // shared between threads).
  virtual std::unique_ptr<ExactSolver> NewExactSolver() const;

  // Plays `moves` (the game's notation) from the initial position. A
  // malformed or illegal move gives InvalidArgument naming the move number,
  // the character offset and the reason. Never crashes on any input.
  absl::StatusOr<std::unique_ptr<State>> NewStateFromMoves(
      absl::string_view moves) const;
  // Parses `moves` into actions, checking legality as it plays them.
  absl::StatusOr<std::vector<Action>> ParseMoves(
      absl::string_view moves) const;
  // The notation of a whole sequence, in the form ParseMoves() reads back.
  std::string FormatMoves(const std::vector<Action>& actions) const;
};

class State {
 public:
  virtual ~State() = default;

  virtual const Game& game() const = 0;

  // The player whose turn it is (also defined, but meaningless, at the end).
  virtual Player ToMove() const = 0;
  // Number of plies played from the initial position.
  virtual int MoveNumber() const = 0;

  // Writes the legal actions in increasing order into `out` (room for
  // game().NumActions()) and returns how many. None once the game is over.
  virtual int FillLegalActions(Action* out) const = 0;
  virtual bool IsLegal(Action action) const = 0;
  // Why an action that IsLegal() rejects in an unfinished game is illegal,
  // in a person's words ("column 4 is full"); "" keeps the generic message.
  virtual std::string IllegalMoveReason(Action action) const { return ""; }
  // Plays a legal action (illegal actions are a programmer error).
  virtual void Apply(Action action) = 0;

  // Whether the game is over, and how it stands, under the game's reward
  // spec (a `no_diagonals` Connect Four game goes on past a diagonal four).
  // The sign of Reward() agrees with Outcome().
  virtual bool IsTerminal() const = 0;
  virtual GameOutcome Outcome() const = 0;
  // How the real rules judge the game so far: their outcome, frozen at the
  // first ply where they end it (games/reward.h). For a game played by the
  // rules it is {Outcome(), MoveNumber()} once the game is over. The default
  // is right only for games whose sole spec is the rules.
  virtual IntendedVerdict Verdict() const {
    return IsTerminal() ? IntendedVerdict{Outcome(), MoveNumber()}
                        : IntendedVerdict{};
  }

  // A stable 64-bit hash of the position (board and side to move): the same
  // on every run and platform, equal for equal positions.
  virtual uint64_t Hash() const = 0;

  // Writes game().GetObservationShape().size() floats: the position from the
  // side to move's point of view.
  virtual void EncodeObservation(float* out) const = 0;

  // A board drawing with coordinates in the game's notation.
  virtual std::string ToString() const = 0;

  virtual std::unique_ptr<State> Clone() const = 0;
  // Becomes a copy of `other` (a state of the same game) without allocating.
  virtual void CopyFrom(const State& other) = 0;
  // The position mapped by game().Symmetries()[symmetry].
  virtual std::unique_ptr<State> Transformed(int symmetry) const = 0;

  // Convenience forms of the calls above.
  std::vector<Action> LegalActions() const;
  // What the game's reward spec pays `player`; only for finished games (a
  // programmer error otherwise). Zero-sum: Reward(p) is
  // Reward(Opponent(p)).ForOpponent(). The default is the rules' reward of
  // Outcome().
  virtual TerminalReward Reward(Player player) const {
    return RewardFor(Outcome(), player);
  }
  // The error a person sees when typing `action` here, or OK if legal.
  absl::Status CheckLegal(Action action) const;
};

}  // namespace az
