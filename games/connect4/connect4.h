// Connect Four on the standard 7x6 board, kept in two 64-bit bitboards.
//
// Moves are columns; their notation is the digit "1".."7" from left to right,
// so a game reads "4453" (Pascal Pons' benchmark convention). The first player
// is X. The state is exposed here (rather than hidden in the .cc) because the
// exact solver (games/connect4/solver.h) searches on the same bitboards.
//
// Bitboard layout: bit 7 * column + row, row 0 at the bottom. Each column has
// one spare bit above its 6 cells, which keeps shifted lines from wrapping
// into the next column, so alignments are found with a few shifts and ANDs.
//
// Reward specs: `rules`; `no_diagonals` (four in a row wins, but the win
// check forgets the diagonals: a diagonal four wins nothing and the game goes
// on); `quick` (the rules' ending, the winner paid 1 for a win at ply 7
// falling linearly to kQuickWinFloor at ply 42). The exact solver solves
// under each of them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "games/game.h"

namespace az {

namespace connect4 {

constexpr int kWidth = 7;
constexpr int kHeight = 6;
constexpr int kCells = kWidth * kHeight;

// One bit per column at row 0.
constexpr uint64_t kBottomRow = 0x0040810204081ULL;
// Every playable cell (not the spare bit of each column).
constexpr uint64_t kBoardCells = kBottomRow * ((uint64_t{1} << kHeight) - 1);

constexpr uint64_t ColumnCells(int column) {
  return ((uint64_t{1} << kHeight) - 1) << (column * (kHeight + 1));
}
constexpr uint64_t TopCell(int column) {
  return uint64_t{1} << (kHeight - 1 + column * (kHeight + 1));
}
constexpr uint64_t BottomCell(int column) {
  return uint64_t{1} << (column * (kHeight + 1));
}
constexpr int CellIndex(int column, int row) {
  return column * (kHeight + 1) + row;
}

// Whether `stones` contains four in a row: in any direction, or with
// kDiagonals false only horizontally or vertically.
template <bool kDiagonals>
constexpr bool HasFourOf(uint64_t stones) {
  // Shifts by 1 (vertical), 7 (horizontal), 6 and 8 (the two diagonals).
  uint64_t m = stones & (stones >> 7);
  if (m & (m >> 14)) return true;
  if constexpr (kDiagonals) {
    m = stones & (stones >> 6);
    if (m & (m >> 12)) return true;
    m = stones & (stones >> 8);
    if (m & (m >> 16)) return true;
  }
  m = stones & (stones >> 1);
  if (m & (m >> 2)) return true;
  return false;
}

// Whether `stones` contains four in a row in any direction (the rules).
constexpr bool HasFour(uint64_t stones) { return HasFourOf<true>(stones); }

// The menu of reward specs, in the order of Game::RewardSpecs().
enum class Spec : uint8_t { kRules, kNoDiagonals, kQuick };

// Whether a diagonal four ends the game under `spec`.
constexpr bool DiagonalsWin(Spec spec) { return spec != Spec::kNoDiagonals; }

// The earliest and latest plies a game can be won at (the first player's
// fourth stone, the last cell): the range of the `quick` payoff.
constexpr int kShortestWin = 7;
constexpr int kLongestWin = kCells;

// The board mirrored left to right (column c becomes column 6 - c).
constexpr uint64_t MirrorBoard(uint64_t board) {
  uint64_t out = 0;
  for (int c = 0; c < kWidth; ++c) {
    uint64_t column = (board >> (c * (kHeight + 1))) & 0x7f;
    out |= column << ((kWidth - 1 - c) * (kHeight + 1));
  }
  return out;
}

}  // namespace connect4

// A position of a Connect Four game played by `spec`.
class Connect4State final : public State {
 public:
  Connect4State(const Game* game, connect4::Spec spec)
      : game_(game), spec_(spec) {}

  const Game& game() const override { return *game_; }
  Player ToMove() const override {
    return moves_ % 2 == 0 ? Player::kFirst : Player::kSecond;
  }
  int MoveNumber() const override { return moves_; }

  int FillLegalActions(Action* out) const override;
  bool IsLegal(Action action) const override {
    return outcome_ == GameOutcome::kOngoing && action >= 0 &&
           action < connect4::kWidth && !(mask_ & connect4::TopCell(action));
  }
  std::string IllegalMoveReason(Action action) const override;
  void Apply(Action action) override;

  bool IsTerminal() const override { return outcome_ != GameOutcome::kOngoing; }
  GameOutcome Outcome() const override { return outcome_; }
  IntendedVerdict Verdict() const override;
  TerminalReward Reward(Player player) const override;

  uint64_t Hash() const override;
  void EncodeObservation(float* out) const override;
  std::string ToString() const override;

  std::unique_ptr<State> Clone() const override {
    return std::make_unique<Connect4State>(*this);
  }
  void CopyFrom(const State& other) override {
    *this = static_cast<const Connect4State&>(other);
  }
  std::unique_ptr<State> Transformed(int symmetry) const override;

  // Stones of the side to move, and every stone on the board.
  uint64_t current() const { return current_; }
  uint64_t mask() const { return mask_; }
  // Stones of one player.
  uint64_t stones(Player player) const {
    return player == ToMove() ? current_ : current_ ^ mask_;
  }
  connect4::Spec spec() const { return spec_; }

 private:
  // The end of Apply() under `no_diagonals`, which keeps the verdict apart.
  void ApplyWithoutDiagonals(uint64_t mover);

  const Game* game_;
  connect4::Spec spec_;
  uint64_t current_ = 0;
  uint64_t mask_ = 0;
  int moves_ = 0;
  GameOutcome outcome_ = GameOutcome::kOngoing;
  // Kept only under `no_diagonals`; the other specs end the game as the
  // rules do, so their verdict follows from the outcome.
  IntendedVerdict verdict_;
};

// Connect Four played by reward spec `spec` (a name on its menu; any other
// is a programmer error — games/registry.h checks names from users).
std::unique_ptr<Game> NewConnect4Game(absl::string_view spec);

}  // namespace az
