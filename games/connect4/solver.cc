#include "games/connect4/solver.h"

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "games/connect4/connect4.h"
#include "glog/logging.h"

namespace az {

using connect4::BottomCell;
using connect4::ColumnCells;
using connect4::kBoardCells;
using connect4::kBottomRow;
using connect4::kCells;
using connect4::kWidth;

namespace {

// The fastest possible loss is to the opponent's 4th stone, the fastest win
// with one's own 4th stone: every score lies in [kMinScore, kMaxScore].
constexpr int kMinScore = -(kCells / 2) + 3;
constexpr int kMaxScore = (kCells + 1) / 2 - 3;

// Score of the side to move when it wins with its next stone.
constexpr int WinNowScore(int moves) { return (kCells + 1 - moves) / 2; }
// Score of the side to move when the opponent wins with its next stone.
constexpr int LoseNextScore(int moves) { return -(kCells - moves) / 2; }

// The empty cells just above each column's stones.
inline uint64_t Playable(uint64_t mask) {
  return (mask + kBottomRow) & kBoardCells;
}

// Cells on lines of direction `kShift` that would complete a four for
// `stones`: three in a row on either side, or two on one side and one on the
// other. The spare bit of each column stops lines from wrapping around.
template <int kShift>
inline uint64_t LineCompletions(uint64_t stones) {
  uint64_t pair = (stones << kShift) & (stones << (2 * kShift));
  uint64_t cells = pair & (stones << (3 * kShift));
  cells |= pair & (stones >> kShift);
  pair = (stones >> kShift) & (stones >> (2 * kShift));
  cells |= pair & (stones << kShift);
  cells |= pair & (stones >> (3 * kShift));
  return cells;
}

// The empty cells (playable now or later) where `stones` would make four.
inline uint64_t WinningCells(uint64_t stones, uint64_t mask) {
  // Vertically only three stones straight below can make a four.
  uint64_t cells = (stones << 1) & (stones << 2) & (stones << 3);
  cells |= LineCompletions<connect4::kHeight + 1>(stones);  // horizontal
  cells |= LineCompletions<connect4::kHeight>(stones);      // diagonal
  cells |= LineCompletions<connect4::kHeight + 2>(stones);  // other diagonal
  return cells & (kBoardCells ^ mask);
}

inline int PopCount(uint64_t x) { return __builtin_popcountll(x); }

// A transposition table of score bounds, one 32-bit entry per slot, always
// replaced. The key of a position (current + mask, unique and below 2^49) is
// stored only in part: the slot index is key mod a prime, and together with
// the low kKeyBits bits that determines the key (Chinese remainder theorem,
// since kSize * 2^kKeyBits > 2^49), so a hit is never a false one.
class BoundTable {
 public:
  static constexpr uint64_t kSize = 16777259;  // the first prime above 2^24
  static constexpr int kKeyBits = 25;
  static constexpr int kValueBits = 32 - kKeyBits;
  static_assert(kSize > (uint64_t{1} << (49 - kKeyBits)), "keys must be exact");

  BoundTable() : entries_(kSize, 0) {}

  // 0 for no entry, else the value given to Put.
  int Get(uint64_t key) const {
    uint32_t entry = entries_[key % kSize];
    return (entry >> kValueBits) == (key & kKeyMask)
               ? static_cast<int>(entry & kValueMask)
               : 0;
  }
  // `value` in [1, 2^kValueBits).
  void Put(uint64_t key, int value) {
    entries_[key % kSize] =
        static_cast<uint32_t>(key & kKeyMask) << kValueBits | value;
  }

 private:
  static constexpr uint64_t kKeyMask = (uint64_t{1} << kKeyBits) - 1;
  static constexpr uint32_t kValueMask = (1u << kValueBits) - 1;
  std::vector<uint32_t> entries_;
};

// Table values: an upper bound u is stored as u - kMinScore + 1 (1..37), a
// lower bound l as l - kMinScore + 1 + kLowerBoundTag.
constexpr int kLowerBoundTag = 64;
static_assert(kMaxScore - kMinScore + 1 + kLowerBoundTag <
              (1 << BoundTable::kValueBits));

// Columns from the centre outwards: central stones take part in more lines.
constexpr int kColumnOrder[kWidth] = {3, 2, 4, 1, 5, 0, 6};

// Candidate moves sorted by decreasing score; equal scores keep the order of
// insertion (centre first). Each move keeps the winning cells it gives its
// player, which are the threats its child position has to answer.
class MoveList {
 public:
  void Add(uint64_t move, uint64_t cells, int score) {
    int i = size_++;
    while (i > 0 && scores_[i - 1] < score) {
      entries_[i] = entries_[i - 1];
      scores_[i] = scores_[i - 1];
      --i;
    }
    entries_[i] = {move, cells};
    scores_[i] = score;
  }
  int size() const { return size_; }
  uint64_t move(int i) const { return entries_[i].move; }
  uint64_t cells(int i) const { return entries_[i].cells; }

 private:
  struct Entry {
    uint64_t move;
    uint64_t cells;
  };
  Entry entries_[kWidth];
  int scores_[kWidth];
  int size_ = 0;
};

}  // namespace

// The search proper. Positions are (current, mask, moves): the side to move's
// stones, all stones, and the number of stones.
class Connect4Search {
 public:
  uint64_t nodes() const { return nodes_; }

  // Pons' score of an unfinished position, found within [lo, hi] (which must
  // contain it) by a sequence of null-window probes.
  int Solve(uint64_t current, uint64_t mask, int moves, int lo, int hi) {
    if (WinningCells(current, mask) & Playable(mask)) {
      return WinNowScore(moves);
    }
    // The side to move cannot win at once: it neither wins with its next
    // stone nor loses before the opponent's next stone.
    lo = std::max(lo, LoseNextScore(moves));
    hi = std::min(hi, WinNowScore(moves + 2));
    const uint64_t threats = WinningCells(current ^ mask, mask);
    while (lo < hi) {
      // Probe at the middle, but nearer to 0 first: small-magnitude scores
      // (draws, late wins) are the common case and the cheapest to prove.
      int probe = lo + (hi - lo) / 2;
      if (probe <= 0 && lo / 2 < probe) {
        probe = lo / 2;
      } else if (probe >= 0 && hi / 2 > probe) {
        probe = hi / 2;
      }
      int score = Negamax(current, mask, moves, probe, probe + 1, threats);
      if (score <= probe) {
        hi = score;
      } else {
        lo = score;
      }
    }
    return lo;
  }

 private:
  // Negamax with alpha-beta: returns the exact score if it lies in
  // (alpha, beta), else a bound on the same side of the window. The side to
  // move cannot win with its next stone; `threats` are the empty cells where
  // the opponent would.
  int Negamax(uint64_t current, uint64_t mask, int moves, int alpha, int beta,
              uint64_t threats) {
    ++nodes_;
    // Moves that do not hand the opponent a win at once: block a threat if
    // there is one, never play just under a threat.
    uint64_t candidates = Playable(mask);
    const uint64_t forced = candidates & threats;
    if (forced) {
      if (forced & (forced - 1)) return LoseNextScore(moves);  // two threats
      candidates = forced;
    }
    candidates &= ~(threats >> 1);
    if (candidates == 0) return LoseNextScore(moves);
    if (moves >= kCells - 2) return 0;  // the board fills up

    // The opponent cannot win with its next stone, nor we with our next.
    int lo = -(kCells - 2 - moves) / 2;
    if (alpha < lo) {
      alpha = lo;
      if (alpha >= beta) return alpha;
    }
    int hi = (kCells - 1 - moves) / 2;
    const uint64_t key = current + mask;
    if (int entry = table_.Get(key)) {
      if (entry > kLowerBoundTag) {
        lo = entry - kLowerBoundTag + kMinScore - 1;
        if (alpha < lo) {
          alpha = lo;
          if (alpha >= beta) return alpha;
        }
      } else {
        hi = entry + kMinScore - 1;
      }
    }
    if (beta > hi) {
      beta = hi;
      if (alpha >= beta) return beta;
    }

    // Try first the moves that create the most cells where we would win;
    // they are the likeliest to be best and to cut the search short.
    MoveList list;
    for (int column : kColumnOrder) {
      const uint64_t move = candidates & ColumnCells(column);
      if (!move) continue;
      const uint64_t cells = WinningCells(current | move, mask | move);
      list.Add(move, cells, PopCount(cells));
    }
    const uint64_t opponent = current ^ mask;
    for (int i = 0; i < list.size(); ++i) {
      int score = -Negamax(opponent, mask | list.move(i), moves + 1, -beta,
                           -alpha, list.cells(i));
      if (score >= beta) {
        table_.Put(key,
                   std::min(score, kMaxScore) - kMinScore + 1 + kLowerBoundTag);
        return score;
      }
      if (score > alpha) alpha = score;
    }
    table_.Put(key, std::max(alpha, kMinScore) - kMinScore + 1);
    return alpha;
  }

  BoundTable table_;
  uint64_t nodes_ = 0;
};

Connect4Solver::Connect4Solver()
    : search_(std::make_unique<Connect4Search>()) {}
Connect4Solver::~Connect4Solver() = default;

uint64_t Connect4Solver::nodes_searched() const { return search_->nodes(); }

int Connect4Solver::SolveScore(uint64_t current, uint64_t mask, int moves) {
  return search_->Solve(current, mask, moves, LoseNextScore(moves),
                        WinNowScore(moves));
}

namespace {

ExactValue ValueOfScore(int score) {
  TerminalReward reward = score > 0   ? TerminalReward::Win()
                          : score < 0 ? TerminalReward::Loss()
                                      : TerminalReward::Draw();
  return ExactValue{reward, score};
}

absl::StatusOr<const Connect4State*> AsConnect4(const State& state) {
  const auto* s = dynamic_cast<const Connect4State*>(&state);
  if (s == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the Connect Four solver cannot solve a ",
                     state.game().Name(), " position"));
  }
  return s;
}

}  // namespace

absl::StatusOr<ExactValue> Connect4Solver::Solve(const State& state) {
  absl::StatusOr<const Connect4State*> s = AsConnect4(state);
  if (!s.ok()) return s.status();
  const int moves = (*s)->MoveNumber();
  switch ((*s)->Outcome()) {
    case GameOutcome::kOngoing:
      return ValueOfScore(SolveScore((*s)->current(), (*s)->mask(), moves));
    case GameOutcome::kDraw:
      return ValueOfScore(0);
    default:
      // The previous player won with its ((moves + 1) / 2)-th stone.
      return ValueOfScore(-(kCells / 2 + 1 - (moves + 1) / 2));
  }
}

absl::StatusOr<std::vector<MoveValue>> Connect4Solver::SolveMoves(
    const State& state) {
  absl::StatusOr<const Connect4State*> s = AsConnect4(state);
  if (!s.ok()) return s.status();
  std::vector<MoveValue> values;
  if ((*s)->IsTerminal()) return values;
  const uint64_t current = (*s)->current();
  const uint64_t mask = (*s)->mask();
  const int moves = (*s)->MoveNumber();
  // The position's own score bounds every child's: no move is better than
  // the best, so each child scores at least -best for the opponent.
  const int best = SolveScore(current, mask, moves);
  for (int column = 0; column < kWidth; ++column) {
    if (!(*s)->IsLegal(column)) continue;
    const uint64_t move = (mask + BottomCell(column)) & ColumnCells(column);
    int score;
    if (connect4::HasFour(current | move)) {
      score = WinNowScore(moves);
    } else if (moves + 1 == kCells) {
      score = 0;
    } else {
      score = -search_->Solve(current ^ mask, mask | move, moves + 1, -best,
                              WinNowScore(moves + 1));
    }
    values.push_back(MoveValue{column, ValueOfScore(score)});
  }
  return values;
}

std::unique_ptr<ExactSolver> NewConnect4Solver() {
  return std::make_unique<Connect4Solver>();
}

}  // namespace az
