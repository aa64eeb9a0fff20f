#include "games/tictactoe/tictactoe.h"

#include <array>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/hash.h"
#include "games/solver.h"
#include "glog/logging.h"

namespace az {
namespace {

constexpr int kCells = 9;
constexpr std::array<uint16_t, 8> kLines = {
    0007, 0070, 0700,  // rows
    0111, 0222, 0444,  // columns
    0421, 0124,        // diagonals
};

bool HasLine(uint16_t stones) {
  for (uint16_t line : kLines) {
    if ((stones & line) == line) return true;
  }
  return false;
}

// The 8 symmetries of the square as cell maps: cell c goes to map[c].
std::vector<std::array<int, kCells>> CellMaps() {
  std::vector<std::array<int, kCells>> maps;
  for (int flip = 0; flip < 2; ++flip) {
    for (int rot = 0; rot < 4; ++rot) {
      std::array<int, kCells> map;
      for (int c = 0; c < kCells; ++c) {
        int r = c / 3, col = c % 3;
        if (flip) col = 2 - col;
        for (int k = 0; k < rot; ++k) {  // rotate 90 degrees clockwise
          int nr = col, nc = 2 - r;
          r = nr;
          col = nc;
        }
        map[c] = r * 3 + col;
      }
      maps.push_back(map);
    }
  }
  return maps;
}

class TicTacToeGame;

class TicTacToeState final : public State {
 public:
  explicit TicTacToeState(const Game* game) : game_(game) {}

  const Game& game() const override { return *game_; }
  Player ToMove() const override {
    return moves_ % 2 == 0 ? Player::kFirst : Player::kSecond;
  }
  int MoveNumber() const override { return moves_; }

  int FillLegalActions(Action* out) const override {
    if (outcome_ != GameOutcome::kOngoing) return 0;
    int n = 0;
    uint16_t occupied = stones_[0] | stones_[1];
    for (int c = 0; c < kCells; ++c) {
      if (!(occupied >> c & 1)) out[n++] = c;
    }
    return n;
  }
  bool IsLegal(Action a) const override {
    return outcome_ == GameOutcome::kOngoing && a >= 0 && a < kCells &&
           !((stones_[0] | stones_[1]) >> a & 1);
  }
  void Apply(Action a) override {
    DCHECK(IsLegal(a)) << a;
    int p = moves_ % 2;
    stones_[p] |= uint16_t{1} << a;
    ++moves_;
    if (HasLine(stones_[p])) {
      outcome_ = p == 0 ? GameOutcome::kFirstPlayerWins
                        : GameOutcome::kSecondPlayerWins;
    } else if (moves_ == kCells) {
      outcome_ = GameOutcome::kDraw;
    }
  }
  bool IsTerminal() const override {
    return outcome_ != GameOutcome::kOngoing;
  }
  GameOutcome Outcome() const override { return outcome_; }

  uint64_t Hash() const override {
    return base::HashPair(stones_[0] | uint64_t{stones_[1]} << 16,
                    0x7474 + moves_ % 2);
  }

  // Planes: stones of the side to move, stones of the opponent, all ones
  // (lets a convolution see the board edge through zero padding).
  void EncodeObservation(float* out) const override {
    int me = moves_ % 2;
    for (int c = 0; c < kCells; ++c) {
      out[c] = stones_[me] >> c & 1;
      out[kCells + c] = stones_[1 - me] >> c & 1;
      out[2 * kCells + c] = 1.0f;
    }
  }

  std::string ToString() const override {
    std::string s;
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) {
        int cell = r * 3 + c;
        char ch = stones_[0] >> cell & 1   ? 'X'
                  : stones_[1] >> cell & 1 ? 'O'
                                           : static_cast<char>('1' + cell);
        s += ' ';
        s += ch;
      }
      s += '\n';
    }
    absl::StrAppend(&s, IsTerminal() ? OutcomeName(outcome_)
                                     : ToMove() == Player::kFirst ? "X to move"
                                                                  : "O to move",
                    "\n");
    return s;
  }

  std::unique_ptr<State> Clone() const override {
    return std::make_unique<TicTacToeState>(*this);
  }
  void CopyFrom(const State& other) override {
    *this = static_cast<const TicTacToeState&>(other);
  }
  std::unique_ptr<State> Transformed(int symmetry) const override;

  uint16_t stones(int p) const { return stones_[p]; }

 private:
  friend class TicTacToeGame;
  const Game* game_;
  std::array<uint16_t, 2> stones_ = {0, 0};
  int moves_ = 0;
  GameOutcome outcome_ = GameOutcome::kOngoing;
};

// Full minimax over the 3^9 boards, memoised by position.
class TicTacToeSolver final : public ExactSolver {
 public:
  absl::StatusOr<ExactValue> Solve(const State& state) override {
    const auto* s = dynamic_cast<const TicTacToeState*>(&state);
    if (s == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the tic-tac-toe solver cannot solve a ", state.game().Name(),
          " position"));
    }
    return Search(*s);
  }
  uint64_t nodes_searched() const override { return nodes_; }

 private:
  static uint32_t Key(const TicTacToeState& s) {
    return s.stones(0) | uint32_t{s.stones(1)} << 9;
  }
  ExactValue Search(const TicTacToeState& s) {
    ++nodes_;
    if (s.IsTerminal()) {
      TerminalReward r = s.Reward(s.ToMove());
      // A win with k stones on the board scores 10 - k, as in Pons' scale.
      int score = r.is_draw() ? 0 : r.value() * (10 - s.MoveNumber());
      return ExactValue{r, score};
    }
    auto it = memo_.find(Key(s));
    if (it != memo_.end()) return it->second;
    ExactValue best{TerminalReward::Loss(), -100};
    Action actions[kCells];
    int n = s.FillLegalActions(actions);
    for (int i = 0; i < n; ++i) {
      TicTacToeState child = s;
      child.Apply(actions[i]);
      ExactValue v = NegateExactValue(Search(child));
      if (IsBetterExactValue(v, best)) best = v;
    }
    memo_.emplace(Key(s), best);
    return best;
  }
  absl::flat_hash_map<uint32_t, ExactValue> memo_;
  uint64_t nodes_ = 0;
};

class TicTacToeGame final : public Game {
 public:
  TicTacToeGame() {
    const char* names[] = {"identity", "rot90",  "rot180",   "rot270",
                           "mirror",   "mirror+rot90", "mirror+rot180",
                           "mirror+rot270"};
    cell_maps_ = CellMaps();
    for (size_t i = 0; i < cell_maps_.size(); ++i) {
      Symmetry sym;
      sym.name = names[i];
      sym.action_map.assign(cell_maps_[i].begin(), cell_maps_[i].end());
      sym.observation_source.resize(3 * kCells);
      for (int p = 0; p < 3; ++p) {
        for (int c = 0; c < kCells; ++c) {
          sym.observation_source[p * kCells + cell_maps_[i][c]] =
              p * kCells + c;
        }
      }
      symmetries_.push_back(std::move(sym));
    }
  }

  std::string Name() const override { return "tictactoe"; }
  int NumActions() const override { return kCells; }
  int MaxGameLength() const override { return kCells; }
  ObservationShape GetObservationShape() const override { return {3, 3, 3}; }
  std::unique_ptr<State> NewInitialState() const override {
    return std::make_unique<TicTacToeState>(this);
  }
  const std::vector<Symmetry>& Symmetries() const override {
    return symmetries_;
  }
  std::string ActionToString(Action a) const override {
    if (a < 0 || a >= kCells) return absl::StrCat("<action ", a, ">");
    return std::string(1, static_cast<char>('1' + a));
  }
  absl::StatusOr<Action> ParseAction(absl::string_view text) const override {
    if (text.size() == 1 && text[0] >= '1' && text[0] <= '9') {
      return text[0] - '1';
    }
    return absl::InvalidArgumentError(
        "not a tic-tac-toe move (cells are 1-9, row by row from the top left)");
  }
  size_t MoveTokenLength(absl::string_view text) const override { return 1; }
  std::unique_ptr<ExactSolver> NewExactSolver() const override {
    return std::make_unique<TicTacToeSolver>();
  }

  const std::array<int, kCells>& cell_map(int symmetry) const {
    return cell_maps_[symmetry];
  }

 private:
  std::vector<std::array<int, kCells>> cell_maps_;
  std::vector<Symmetry> symmetries_;
};

std::unique_ptr<State> TicTacToeState::Transformed(int symmetry) const {
  const auto& map =
      static_cast<const TicTacToeGame*>(game_)->cell_map(symmetry);
  auto out = std::make_unique<TicTacToeState>(game_);
  for (int p = 0; p < 2; ++p) {
    for (int c = 0; c < kCells; ++c) {
      if (stones_[p] >> c & 1) out->stones_[p] |= uint16_t{1} << map[c];
    }
  }
  out->moves_ = moves_;
  out->outcome_ = outcome_;
  return out;
}

}  // namespace

std::unique_ptr<Game> NewTicTacToeGame() {
  return std::make_unique<TicTacToeGame>();
}

}  // namespace az
