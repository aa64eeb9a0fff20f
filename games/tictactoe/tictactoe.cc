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
constexpr int kAllLines = 8;
constexpr int kStraightLines = 6;  // the rows and columns only

// Whether `stones` fill one of the first kNumLines lines of kLines.
template <int kNumLines>
bool HasLine(uint16_t stones) {
  for (int i = 0; i < kNumLines; ++i) {
    if ((stones & kLines[i]) == kLines[i]) return true;
  }
  return false;
}

// The menu of reward specs, in the order of RewardSpecs().
enum class Spec : uint8_t { kRules, kNoDiagonals, kQuick };

const std::vector<RewardSpecInfo>& Specs() {
  static const std::vector<RewardSpecInfo>* specs =
      new std::vector<RewardSpecInfo>{
          RulesSpecInfo(),
          {"no_diagonals",
           "three in a row wins (the win check forgets the diagonals: a "
           "diagonal line wins nothing and the game goes on)",
           true},
          {"quick",
           "win, and win fast: the winner gets 1 for a win at ply 5 down to "
           "0.25 at ply 9, the loser the negation",
           false},
      };
  return *specs;
}

// The earliest and latest plies a game can be won at: X's third stone, the
// last cell.
constexpr int kShortestWin = 5;
constexpr int kLongestWin = kCells;

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
  TicTacToeState(const Game* game, Spec spec) : game_(game), spec_(spec) {}

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
    if (spec_ != Spec::kNoDiagonals) {
      // The rules' ending (the verdict follows from it, see Verdict()).
      if (HasLine<kAllLines>(stones_[p])) {
        outcome_ = p == 0 ? GameOutcome::kFirstPlayerWins
                          : GameOutcome::kSecondPlayerWins;
      } else if (moves_ == kCells) {
        outcome_ = GameOutcome::kDraw;
      }
      return;
    }
    const GameOutcome win = p == 0 ? GameOutcome::kFirstPlayerWins
                                   : GameOutcome::kSecondPlayerWins;
    if (HasLine<kStraightLines>(stones_[p])) {
      outcome_ = win;
    } else if (moves_ == kCells) {
      outcome_ = GameOutcome::kDraw;
    }
    if (verdict_.decided()) return;
    if (HasLine<kAllLines>(stones_[p])) {
      verdict_ = {win, moves_};
    } else if (moves_ == kCells) {
      verdict_ = {GameOutcome::kDraw, moves_};
    }
  }
  bool IsTerminal() const override {
    return outcome_ != GameOutcome::kOngoing;
  }
  GameOutcome Outcome() const override { return outcome_; }
  IntendedVerdict Verdict() const override {
    if (spec_ == Spec::kNoDiagonals) return verdict_;
    return IsTerminal() ? IntendedVerdict{outcome_, moves_}
                        : IntendedVerdict{};
  }
  TerminalReward Reward(Player player) const override {
    TerminalReward reward = RewardFor(outcome_, player);
    if (spec_ != Spec::kQuick || reward.is_draw()) return reward;
    TerminalReward won = QuickWinPayoff(moves_, kShortestWin, kLongestWin);
    return reward.is_win() ? won : won.ForOpponent();
  }

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
  Spec spec_;
  std::array<uint16_t, 2> stones_ = {0, 0};
  int moves_ = 0;
  GameOutcome outcome_ = GameOutcome::kOngoing;
  // Kept only under `no_diagonals`; the other specs end the game as the
  // rules do, so their verdict follows from the outcome.
  IntendedVerdict verdict_;
};

// Full minimax over the 3^9 boards, memoised by position.
// It solves under the reward spec of the game that made it: its ending, and
// its payoffs (the exact minimax payoff for a graded spec such as `quick`).
class TicTacToeSolver final : public ExactSolver {
 public:
  explicit TicTacToeSolver(const Game* game) : game_(game) {}

  absl::StatusOr<ExactValue> Solve(const State& state) override {
    const auto* s = dynamic_cast<const TicTacToeState*>(&state);
    if (s == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the tic-tac-toe solver cannot solve a ", state.game().Name(),
          " position"));
    }
    if (state.game().RewardSpec().name != game_->RewardSpec().name) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the tic-tac-toe solver for reward spec ", game_->RewardSpec().name,
          " cannot solve a position played by ",
          state.game().RewardSpec().name));
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
      const int sign = r.is_win() ? 1 : r.is_loss() ? -1 : 0;
      return ExactValue{r, sign * (10 - s.MoveNumber())};
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
  const Game* game_;
  absl::flat_hash_map<uint32_t, ExactValue> memo_;
  uint64_t nodes_ = 0;
};

class TicTacToeGame final : public Game {
 public:
  explicit TicTacToeGame(Spec spec) : spec_(spec) {
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
    return std::make_unique<TicTacToeState>(this, spec_);
  }
  const std::vector<RewardSpecInfo>& RewardSpecs() const override {
    return Specs();
  }
  const RewardSpecInfo& RewardSpec() const override {
    return Specs()[static_cast<int>(spec_)];
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
    return std::make_unique<TicTacToeSolver>(this);
  }

  const std::array<int, kCells>& cell_map(int symmetry) const {
    return cell_maps_[symmetry];
  }

 private:
  Spec spec_;
  std::vector<std::array<int, kCells>> cell_maps_;
  std::vector<Symmetry> symmetries_;
};

std::unique_ptr<State> TicTacToeState::Transformed(int symmetry) const {
  const auto& map =
      static_cast<const TicTacToeGame*>(game_)->cell_map(symmetry);
  auto out = std::make_unique<TicTacToeState>(*this);
  out->stones_ = {0, 0};
  for (int p = 0; p < 2; ++p) {
    for (int c = 0; c < kCells; ++c) {
      if (stones_[p] >> c & 1) out->stones_[p] |= uint16_t{1} << map[c];
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<Game> NewTicTacToeGame(absl::string_view spec) {
  for (size_t i = 0; i < Specs().size(); ++i) {
    if (Specs()[i].name == spec) {
      return std::make_unique<TicTacToeGame>(static_cast<Spec>(i));
    }
  }
  LOG(FATAL) << "tic-tac-toe has no reward spec " << spec;
  return nullptr;
}

}  // namespace az
