// The terminal reward, the intended verdict, and the menu of reward specs.
//
// Three things are kept apart here, each its own type:
//  - GameOutcome: how a game stands (under the spec the game is played by);
//  - TerminalReward: what the training code pays a player for a finished
//    game — by default the rules' +1 / -1 / 0, under another reward spec
//    possibly a real payoff in [-1, 1]. It cannot be mixed up with a learned
//    value estimate (engine/ and nn/ have their own types for those);
//  - IntendedVerdict: what the designer meant — the game judged by its real
//    rules, frozen at the first ply where the real rules end it.
// A reward spec (RewardSpecInfo) is a named choice of how a game ends and
// what it pays; each game lists its menu (Game::RewardSpecs()), whose first
// entry, "rules", is the intention itself.
#pragma once

#include <cstdint>
#include <string>

namespace az {

// The two players of a two-player, zero-sum, alternating game.
enum class Player : int8_t { kFirst = 0, kSecond = 1 };

inline Player Opponent(Player p) {
  return p == Player::kFirst ? Player::kSecond : Player::kFirst;
}
inline int PlayerIndex(Player p) { return static_cast<int>(p); }

// How a game stands: ongoing, or who won.
enum class GameOutcome : int8_t {
  kOngoing = 0,
  kFirstPlayerWins,
  kSecondPlayerWins,
  kDraw,
};

std::string OutcomeName(GameOutcome outcome);

// What one player of a finished game is paid: +1 (win), -1 (loss), 0 (draw),
// or, under a spec that grades results, any payoff in [-1, 1]. Its sign says
// whether the player won (> 0), lost (< 0) or drew (0).
class TerminalReward {
 public:
  static constexpr TerminalReward Win() { return TerminalReward(1.0f); }
  static constexpr TerminalReward Loss() { return TerminalReward(-1.0f); }
  static constexpr TerminalReward Draw() { return TerminalReward(0.0f); }
  // A graded payoff; outside [-1, 1] (or NaN) is a programmer error.
  static TerminalReward Payoff(float value);

  // The reward of the other player: every spec here is zero-sum, so this is
  // the exact negation.
  constexpr TerminalReward ForOpponent() const {
    return TerminalReward(value_ == 0.0f ? 0.0f : -value_);
  }
  constexpr float value() const { return value_; }
  constexpr bool is_win() const { return value_ > 0.0f; }
  constexpr bool is_loss() const { return value_ < 0.0f; }
  constexpr bool is_draw() const { return value_ == 0.0f; }
  // Whether the payoff is one of +1, 0, -1.
  constexpr bool is_ternary() const {
    return value_ == 1.0f || value_ == 0.0f || value_ == -1.0f;
  }

  constexpr bool operator==(TerminalReward o) const {
    return value_ == o.value_;
  }
  constexpr bool operator!=(TerminalReward o) const {
    return value_ != o.value_;
  }

  // "win", "loss" or "draw" for +1, -1, 0; the number otherwise ("0.75").
  std::string ToString() const;

 private:
  constexpr explicit TerminalReward(float v) : value_(v) {}
  float value_;
};

// The rules' reward `player` receives for a finished game: +1, -1 or 0.
// `outcome` must not be kOngoing (a programmer error: only finished games
// have a reward).
TerminalReward RewardFor(GameOutcome outcome, Player player);

// How the game's real rules judge a game: its outcome, frozen at the first
// ply where the real rules end it. A game played under another reward spec
// may go on past that ply (a `no_diagonals` Connect Four game past a
// diagonal four); the verdict stays what the rules said there. While the
// real rules have not ended the game: kOngoing and ply -1.
struct IntendedVerdict {
  GameOutcome outcome = GameOutcome::kOngoing;
  // The ply (State::MoveNumber()) at which the real rules ended the game.
  int ply = -1;

  bool decided() const { return outcome != GameOutcome::kOngoing; }
  bool operator==(const IntendedVerdict& o) const {
    return outcome == o.outcome && ply == o.ply;
  }
  bool operator!=(const IntendedVerdict& o) const { return !(*this == o); }
};

// "first player wins at ply 11", "ongoing".
std::string VerdictName(const IntendedVerdict& verdict);

// One entry of a game's menu of reward specs.
struct RewardSpecInfo {
  // The name a command line uses: "rules", "no_diagonals", "discs", ...
  std::string name;
  // One line: what the designer meant by it.
  std::string meant;
  // Whether it pays only -1, 0 and +1 (mate-style proofs in the search and
  // win/draw/loss targets apply only then).
  bool ternary = true;
};

// The name of the spec that is the intention itself: the real rules.
inline constexpr char kRulesSpec[] = "rules";

// The menu entry of the rules, shared by every game.
RewardSpecInfo RulesSpecInfo();

// Reward specs that grade a win by its length (`quick`) pay the winner this
// at the game's longest possible win, and 1 at its shortest.
inline constexpr float kQuickWinFloor = 0.25f;

// The winner's payoff under a `quick` spec for a game won at ply `ply`:
// linear from 1 at `shortest_win_ply` down to kQuickWinFloor at
// `longest_win_ply` (both as the game's rules allow). The loser is paid the
// negation.
TerminalReward QuickWinPayoff(int ply, int shortest_win_ply,
                              int longest_win_ply);

}  // namespace az
