// The terminal reward: the only ground truth the system ever receives.
//
// A finished game has a GameOutcome; RewardFor() is the one place in the code
// base that turns an outcome into +1 / -1 / 0 for a player. TerminalReward is
// deliberately its own type so that it cannot be mixed up with a learned value
// estimate (engine/ and nn/ have their own types for those).
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

// How a game stands according to its rules.
enum class GameOutcome : int8_t {
  kOngoing = 0,
  kFirstPlayerWins,
  kSecondPlayerWins,
  kDraw,
};

std::string OutcomeName(GameOutcome outcome);

// +1 (win), -1 (loss) or 0 (draw) for one player of a finished game.
class TerminalReward {
 public:
  static constexpr TerminalReward Win() { return TerminalReward(1); }
  static constexpr TerminalReward Loss() { return TerminalReward(-1); }
  static constexpr TerminalReward Draw() { return TerminalReward(0); }

  // The reward of the other player: games here are zero-sum.
  constexpr TerminalReward ForOpponent() const {
    return TerminalReward(-value_);
  }
  constexpr int value() const { return value_; }
  constexpr bool is_win() const { return value_ > 0; }
  constexpr bool is_loss() const { return value_ < 0; }
  constexpr bool is_draw() const { return value_ == 0; }

  constexpr bool operator==(TerminalReward o) const {
    return value_ == o.value_;
  }
  constexpr bool operator!=(TerminalReward o) const {
    return value_ != o.value_;
  }

  std::string ToString() const;  // "win", "loss" or "draw"

 private:
  constexpr explicit TerminalReward(int8_t v) : value_(v) {}
  int8_t value_;
};

// The reward `player` receives for a finished game. `outcome` must not be
// kOngoing (a programmer error: only finished games have a reward).
TerminalReward RewardFor(GameOutcome outcome, Player player);

}  // namespace az
