#include "games/connect4/solver.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
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

// The empty cells (playable now or later) where `stones` would make four:
// in any direction, or with kDiagonals false only horizontally or
// vertically (the `no_diagonals` spec).
template <bool kDiagonals>
inline uint64_t WinningCells(uint64_t stones, uint64_t mask) {
  // Vertically only three stones straight below can make a four.
  uint64_t cells = (stones << 1) & (stones << 2) & (stones << 3);
  cells |= LineCompletions<connect4::kHeight + 1>(stones);  // horizontal
  if constexpr (kDiagonals) {
    cells |= LineCompletions<connect4::kHeight>(stones);      // diagonal
    cells |= LineCompletions<connect4::kHeight + 2>(stones);  // other diagonal
  }
  return cells & (kBoardCells ^ mask);
}

// The column of a move (a bitboard with one cell).
inline int ColumnOf(uint64_t move) {
  return __builtin_ctzll(move) / (connect4::kHeight + 1);
}

// Counts set bits without a library call or branches (the default x86-64
// target has no popcount instruction).
inline int PopCount(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<int>((x * 0x0101010101010101ULL) >> 56);
}

// A transposition table of score bounds in buckets of four 64-bit entries
// (one half cache line). The key of a position (current + mask, unique and
// below 2^49) is stored only in part: the bucket is key mod a prime, and
// together with the key's low 32 bits that determines the key (Chinese
// remainder theorem, since kBuckets * 2^32 > 2^49), so a hit is never false.
// Each entry holds both bounds, so probes with different windows share it.
// When a bucket is full, the entry that cost the least work to compute goes,
// preferring entries left from earlier Solve calls (older generations): the
// entries near the root of a long search stay.
class BoundTable {
 public:
  static constexpr uint64_t kBuckets = 4194319;  // the first prime above 2^22
  static constexpr int kWays = 4;
  static_assert(kBuckets > (uint64_t{1} << 17), "keys must be exact");

  BoundTable() {
    constexpr size_t kBytes = kBuckets * kWays * sizeof(uint64_t);
    // Aligned so that a bucket never straddles cache lines; huge pages
    // spare most of the TLB misses of random probes.
    constexpr size_t kAlign = size_t{1} << 21;
    void* memory =
        std::aligned_alloc(kAlign, (kBytes + kAlign - 1) & ~(kAlign - 1));
    CHECK(memory != nullptr) << "out of memory for the solver's table";
#ifdef MADV_HUGEPAGE
    madvise(memory, kBytes, MADV_HUGEPAGE);
#endif
    std::memset(memory, 0, kBytes);
    entries_.reset(static_cast<uint64_t*>(memory));
  }

  // Starts loading the bucket of `key` into the cache.
  void Prefetch(uint64_t key) const { __builtin_prefetch(Bucket(key)); }

  // Starts a new generation: what is stored from now on is kept in
  // preference to older entries.
  void NewGeneration() { generation_ = (generation_ + 1) & kFieldMask; }

  // Narrows [*lo, *hi] with the bounds stored for `key`, if any, and sets
  // *column to the best move found before (or leaves it).
  void Narrow(uint64_t key, int* lo, int* hi, int* column) const {
    const uint64_t* bucket = Bucket(key);
    const uint64_t tag = Tag(key);
    for (int i = 0; i < kWays; ++i) {
      const uint64_t e = bucket[i];
      if ((e & kTagMask) == tag) {
        *lo = std::max(*lo, Field(e, kLowShift) + kMinScore);
        *hi = std::min(*hi, Field(e, kHighShift) + kMinScore);
        if (e & kMoveMask) {
          *column = static_cast<int>((e & kMoveMask) >> kMoveShift) - 1;
        }
        return;
      }
    }
  }

  // Stores lo <= score <= hi for `key`, learnt with about 2^work nodes, and
  // the best move (a column, or -1 if none stood out).
  void Put(uint64_t key, int lo, int hi, int work, int column) {
    uint64_t* bucket = Bucket(key);
    const uint64_t tag = Tag(key);
    lo = std::max(lo, kMinScore);
    hi = std::min(hi, kMaxScore);
    DCHECK_LE(lo, hi);
    int victim = 0;
    int victim_priority = 1 << 30;
    for (int i = 0; i < kWays; ++i) {
      const uint64_t e = bucket[i];
      if ((e & kTagMask) == tag) {
        // Both the old and the new bounds hold: keep the tighter ones.
        lo = std::max(lo, Field(e, kLowShift) + kMinScore);
        hi = std::min(hi, Field(e, kHighShift) + kMinScore);
        work = std::max(work, Field(e, kWorkShift));
        if (column < 0) {
          column = static_cast<int>((e & kMoveMask) >> kMoveShift) - 1;
        }
        victim = i;
        break;
      }
      int priority = e == 0 ? -1
                     : Field(e, kGenerationShift) == generation_
                         ? Field(e, kWorkShift) + kFieldMask + 1
                         : Field(e, kWorkShift);
      if (priority < victim_priority) {
        victim = i;
        victim_priority = priority;
      }
    }
    bucket[victim] = tag | static_cast<uint64_t>(lo - kMinScore) << kLowShift |
                     static_cast<uint64_t>(hi - kMinScore) << kHighShift |
                     static_cast<uint64_t>(std::min(work, kFieldMask))
                         << kWorkShift |
                     static_cast<uint64_t>(generation_) << kGenerationShift |
                     static_cast<uint64_t>(column + 1) << kMoveShift;
  }

 private:
  struct Free {
    void operator()(uint64_t* p) const { std::free(p); }
  };
  // Entry layout: low 32 bits of the key in bits 32-63, bit 31 set in every
  // used entry (so that no entry is all zero), then 6-bit fields.
  static constexpr int kLowShift = 0;
  static constexpr int kHighShift = 6;
  static constexpr int kWorkShift = 12;
  static constexpr int kGenerationShift = 18;
  static constexpr int kMoveShift = 24;  // column + 1, or 0
  static constexpr uint64_t kMoveMask = uint64_t{7} << kMoveShift;
  static constexpr int kFieldMask = 63;
  static constexpr uint64_t kTagMask = 0xffffffff80000000ULL;
  static_assert(kMaxScore - kMinScore <= kFieldMask, "scores fit a field");

  static uint64_t Tag(uint64_t key) { return key << 32 | uint64_t{1} << 31; }
  static int Field(uint64_t e, int shift) {
    return static_cast<int>(e >> shift) & kFieldMask;
  }
  uint64_t* Bucket(uint64_t key) const {
    return entries_.get() + (key % kBuckets) * kWays;
  }

  std::unique_ptr<uint64_t[], Free> entries_;
  int generation_ = 0;
};

// Mirror images have the same score, so early in the game they share the
// entry of the smaller key. A search meets both images mostly when its root
// is (nearly) symmetric: 37% fewer nodes for "4444", while the work of
// mirroring later keys costs more than it saves elsewhere.
constexpr int kMirroredPlies = 20;

// The key of the position read backwards, column 7 first. A key is a sum per
// column without carries (mask + stones), so it mirrors like a board.
inline uint64_t MirrorKey(uint64_t key) {
  constexpr uint64_t kColumn = 0x7f;
  return (key & kColumn) << 42 | (key & kColumn << 7) << 28 |
         (key & kColumn << 14) << 14 | (key & kColumn << 21) |
         (key & kColumn << 28) >> 14 | (key & kColumn << 35) >> 28 |
         (key & kColumn << 42) >> 42;
}

// The table key of a position with key `key` after `moves` moves; sets
// *mirrored if it is the key of the mirror image.
inline uint64_t TableKey(uint64_t key, int moves, bool* mirrored) {
  *mirrored = false;
  if (moves >= kMirroredPlies) return key;
  const uint64_t mirror = MirrorKey(key);
  if (mirror >= key) return key;
  *mirrored = true;
  return mirror;
}
inline uint64_t TableKey(uint64_t key, int moves) {
  bool mirrored;
  return TableKey(key, moves, &mirrored);
}

// Probing the children's table entries before searching them pays off
// except near the end of the game, where a search is cheaper than a probe.
constexpr int kLastCutoffProbePly = 36;

// Rows 1, 3, 5 and rows 2, 4, 6, counting from 1 at the bottom.
constexpr uint64_t kOddRows = kBottomRow * 0b010101;
constexpr uint64_t kEvenRows = kBottomRow * 0b101010;

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
// stones, all stones, and the number of stones. One interface, and one
// search per win check (LineSearch<kDiagonals>), so that the line checks of
// the rules' search are compiled as they always were.
class Connect4Search {
 public:
  virtual ~Connect4Search() = default;
  virtual uint64_t nodes() const = 0;
  // Called once per question asked of the solver (see BoundTable).
  virtual void NewGeneration() = 0;
  // Pons' score of an unfinished position, found within [lo, hi] (which must
  // contain it).
  virtual int Solve(uint64_t current, uint64_t mask, int moves, int lo,
                    int hi) = 0;
};

namespace {

// The search whose fours run in every direction (kDiagonals, the rules) or
// only horizontally and vertically (`no_diagonals`).
template <bool kDiagonals>
class LineSearch final : public Connect4Search {
 public:
  uint64_t nodes() const override { return nodes_; }
  void NewGeneration() override { table_.NewGeneration(); }

  // Found by a sequence of null-window probes.
  int Solve(uint64_t current, uint64_t mask, int moves, int lo,
            int hi) override {
    if (WinningCells<kDiagonals>(current, mask) & Playable(mask)) {
      return WinNowScore(moves);
    }
    // The side to move cannot win at once: it neither wins with its next
    // stone nor loses before the opponent's next stone.
    lo = std::max(lo, LoseNextScore(moves));
    hi = std::min(hi, WinNowScore(moves + 2));
    const uint64_t threats = WinningCells<kDiagonals>(current ^ mask, mask);
    while (lo < hi) {
      // Ask first whether the side to move wins, draws or loses (the
      // question whose answer is needed anyway), then bisect.
      const int probe = lo < 0 && hi > 0 ? 0 : lo + (hi - lo) / 2;
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
    // Follow-up (Allis' "claimeven"): with the first player to move and an
    // even number of empty cells in every column, the second player can
    // answer every stone on top of it and so take all empty cells of rows
    // 2, 4 and 6. If the first player has no four left in the other cells,
    // it cannot win; if the second has one in its cells, it wins.
    if (moves % 2 == 0 && !(Playable(mask) & kEvenRows)) {
      const uint64_t empty = kBoardCells & ~mask;
      if (!connect4::HasFourOf<kDiagonals>(current | (empty & kOddRows))) {
        hi = std::min(hi, 0);
        if (connect4::HasFourOf<kDiagonals>((current ^ mask) |
                                            (empty & kEvenRows))) {
          hi = std::min(hi, -1);
        }
      }
    }
    bool mirrored;
    const uint64_t key = TableKey(current + mask, moves, &mirrored);
    // Columns as stored in the table, which may hold the mirror image.
    auto table_column = [mirrored](int column) {
      return mirrored && column >= 0 ? kWidth - 1 - column : column;
    };
    int hash_column = -1;
    table_.Narrow(key, &lo, &hi, &hash_column);
    hash_column = table_column(hash_column);
    if (alpha < lo) {
      alpha = lo;
      if (alpha >= beta) return alpha;
    }
    if (beta > hi) {
      beta = hi;
      if (alpha >= beta) return beta;
    }
    const int alpha_before = alpha;
    const uint64_t nodes_before = nodes_;

    // Try first the best move of an earlier search of this position, then
    // the moves that create the most cells where we would win: they are the
    // likeliest to be best and to cut the search short.
    MoveList list;
    const uint64_t opponent = current ^ mask;
    for (int column : kColumnOrder) {
      const uint64_t move = candidates & ColumnCells(column);
      if (!move) continue;
      // The children's entries are read soon (cutoff probes, then their own
      // searches): loading them together overlaps the cache misses.
      table_.Prefetch(TableKey(opponent + (mask | move), moves + 1));
      const uint64_t cells =
          WinningCells<kDiagonals>(current | move, mask | move);
      list.Add(move, cells,
               PopCount(cells) + (column == hash_column ? kWidth * 8 : 0));
    }
    if (moves < kLastCutoffProbePly) {
      // Enhanced transposition cutoff: a child whose stored bounds already
      // make it bad enough for the opponent settles this node unsearched.
      for (int i = 0; i < list.size(); ++i) {
        int child_lo = kMinScore, child_hi = kMaxScore, child_column;
        table_.Narrow(TableKey(opponent + (mask | list.move(i)), moves + 1),
                      &child_lo, &child_hi, &child_column);
        if (-child_hi >= beta) return -child_hi;
      }
    }
    int best_column = -1;
    for (int i = 0; i < list.size(); ++i) {
      int score = -Negamax(opponent, mask | list.move(i), moves + 1, -beta,
                           -alpha, list.cells(i));
      if (score >= beta) {
        table_.Put(key, score, hi, Work(nodes_before),
                   table_column(ColumnOf(list.move(i))));
        return score;
      }
      if (score > alpha) {
        alpha = score;
        best_column = ColumnOf(list.move(i));
      }
    }
    // Above the window's floor the score is exact; at it, an upper bound.
    table_.Put(key, alpha > alpha_before ? alpha : lo, alpha,
               Work(nodes_before), table_column(best_column));
    return alpha;
  }

  // About log2 of the nodes searched since `nodes_before`.
  int Work(uint64_t nodes_before) const {
    uint64_t n = nodes_ - nodes_before;
    return n == 0 ? 0 : 64 - __builtin_clzll(n);
  }

  BoundTable table_;
  uint64_t nodes_ = 0;
};

}  // namespace

Connect4Solver::Connect4Solver(const Game* game, connect4::Spec spec)
    : game_(game), spec_(spec) {
  if (connect4::DiagonalsWin(spec)) {
    search_ = std::make_unique<LineSearch<true>>();
  } else {
    search_ = std::make_unique<LineSearch<false>>();
  }
}
Connect4Solver::~Connect4Solver() = default;

uint64_t Connect4Solver::nodes_searched() const { return search_->nodes(); }

int Connect4Solver::SolveScore(uint64_t current, uint64_t mask, int moves) {
  search_->NewGeneration();
  return search_->Solve(current, mask, moves, LoseNextScore(moves),
                        WinNowScore(moves));
}

// The exact value under the solver's spec for the side to move after `moves`
// stones, whose Pons score is `score`. Under `quick` the minimax payoff is
// the payoff of the game's end that the score names: the payoff falls with
// the length of a win as the score does, so both orders agree.
ExactValue Connect4Solver::ValueOfScore(int score, int moves) const {
  if (score == 0) return ExactValue{TerminalReward::Draw(), 0};
  if (spec_ != connect4::Spec::kQuick) {
    return ExactValue{
        score > 0 ? TerminalReward::Win() : TerminalReward::Loss(), score};
  }
  // The winner wins with its k-th stone; the side to move is the first
  // player when an even number of stones is down.
  const int k = kCells / 2 + 1 - std::abs(score);
  const bool first_wins = (score > 0) == (moves % 2 == 0);
  const TerminalReward won =
      QuickWinPayoff(first_wins ? 2 * k - 1 : 2 * k, connect4::kShortestWin,
                     connect4::kLongestWin);
  return ExactValue{score > 0 ? won : won.ForOpponent(), score};
}

absl::StatusOr<const Connect4State*> Connect4Solver::AsOwnState(
    const State& state) const {
  const auto* s = dynamic_cast<const Connect4State*>(&state);
  if (s == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the Connect Four solver cannot solve a ",
                     state.game().Name(), " position"));
  }
  if (s->spec() != spec_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the Connect Four solver for reward spec ", game_->RewardSpec().name,
        " cannot solve a position played by ",
        state.game().RewardSpec().name));
  }
  return s;
}

absl::StatusOr<ExactValue> Connect4Solver::Solve(const State& state) {
  absl::StatusOr<const Connect4State*> s = AsOwnState(state);
  if (!s.ok()) return s.status();
  const int moves = (*s)->MoveNumber();
  switch ((*s)->Outcome()) {
    case GameOutcome::kOngoing:
      return ValueOfScore(SolveScore((*s)->current(), (*s)->mask(), moves),
                          moves);
    case GameOutcome::kDraw:
      return ValueOfScore(0, moves);
    default:
      // The previous player won with its ((moves + 1) / 2)-th stone.
      return ValueOfScore(-(kCells / 2 + 1 - (moves + 1) / 2), moves);
  }
}

absl::StatusOr<std::vector<MoveValue>> Connect4Solver::SolveMoves(
    const State& state) {
  absl::StatusOr<const Connect4State*> s = AsOwnState(state);
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
    const bool four = connect4::DiagonalsWin(spec_)
                          ? connect4::HasFour(current | move)
                          : connect4::HasFourOf<false>(current | move);
    if (four) {
      score = WinNowScore(moves);
    } else if (moves + 1 == kCells) {
      score = 0;
    } else {
      score = -search_->Solve(current ^ mask, mask | move, moves + 1, -best,
                              WinNowScore(moves + 1));
    }
    values.push_back(MoveValue{column, ValueOfScore(score, moves)});
  }
  return values;
}

}  // namespace az
