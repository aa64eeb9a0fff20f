#include "games/connect4/connect4.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "games/connect4/solver.h"
#include "base/hash.h"
#include "glog/logging.h"

namespace az {

using connect4::BottomCell;
using connect4::CellIndex;
using connect4::ColumnCells;
using connect4::kCells;
using connect4::kHeight;
using connect4::kWidth;
using connect4::TopCell;

int Connect4State::FillLegalActions(Action* out) const {
  if (outcome_ != GameOutcome::kOngoing) return 0;
  int n = 0;
  for (int c = 0; c < kWidth; ++c) {
    if (!(mask_ & TopCell(c))) out[n++] = c;
  }
  return n;
}

std::string Connect4State::IllegalMoveReason(Action action) const {
  if (action >= 0 && action < kWidth && (mask_ & TopCell(action))) {
    return absl::StrCat("column ", action + 1, " is full");
  }
  return "";
}

void Connect4State::Apply(Action action) {
  DCHECK(IsLegal(action)) << action;
  // Adding the column's bottom bit carries up to the lowest empty cell.
  uint64_t stone = (mask_ + BottomCell(action)) & ColumnCells(action);
  uint64_t mover = current_ | stone;
  mask_ |= stone;
  // The side to move changes: its stones are everyone's but the mover's.
  current_ = mover ^ mask_;
  ++moves_;
  if (connect4::DiagonalsWin(spec_)) {
    // The rules' ending (the verdict follows from it, see Verdict()).
    if (connect4::HasFour(mover)) {
      outcome_ = moves_ % 2 == 1 ? GameOutcome::kFirstPlayerWins
                                 : GameOutcome::kSecondPlayerWins;
    } else if (moves_ == kCells) {
      outcome_ = GameOutcome::kDraw;
    }
    return;
  }
  ApplyWithoutDiagonals(mover);
}

void Connect4State::ApplyWithoutDiagonals(uint64_t mover) {
  const GameOutcome win = moves_ % 2 == 1 ? GameOutcome::kFirstPlayerWins
                                          : GameOutcome::kSecondPlayerWins;
  if (connect4::HasFourOf<false>(mover)) {
    outcome_ = win;
  } else if (moves_ == kCells) {
    outcome_ = GameOutcome::kDraw;
  }
  if (!verdict_.decided()) {
    if (connect4::HasFour(mover)) {
      verdict_ = {win, moves_};
    } else if (moves_ == kCells) {
      verdict_ = {GameOutcome::kDraw, moves_};
    }
  }
}

IntendedVerdict Connect4State::Verdict() const {
  if (!connect4::DiagonalsWin(spec_)) return verdict_;
  return IsTerminal() ? IntendedVerdict{outcome_, moves_} : IntendedVerdict{};
}

TerminalReward Connect4State::Reward(Player player) const {
  TerminalReward reward = RewardFor(outcome_, player);
  if (spec_ != connect4::Spec::kQuick || reward.is_draw()) return reward;
  TerminalReward won =
      QuickWinPayoff(moves_, connect4::kShortestWin, connect4::kLongestWin);
  return reward.is_win() ? won : won.ForOpponent();
}

uint64_t Connect4State::Hash() const {
  return base::HashPair(base::HashPair(stones(Player::kFirst), stones(Player::kSecond)),
                  0xc4c4 + moves_ % 2);
}

// Planes: stones of the side to move, stones of the opponent, all ones (lets
// a convolution see the board edge through zero padding). Row 0 is the top.
void Connect4State::EncodeObservation(float* out) const {
  const uint64_t opponent = current_ ^ mask_;
  constexpr int kPlane = kHeight * kWidth;
  for (int r = 0; r < kHeight; ++r) {
    for (int c = 0; c < kWidth; ++c) {
      int bit = CellIndex(c, kHeight - 1 - r);
      int i = r * kWidth + c;
      out[i] = current_ >> bit & 1;
      out[kPlane + i] = opponent >> bit & 1;
      out[2 * kPlane + i] = 1.0f;
    }
  }
}

std::string Connect4State::ToString() const {
  const uint64_t first = stones(Player::kFirst);
  std::string s;
  for (int r = kHeight - 1; r >= 0; --r) {
    for (int c = 0; c < kWidth; ++c) {
      uint64_t bit = uint64_t{1} << CellIndex(c, r);
      s += ' ';
      s += !(mask_ & bit) ? '.' : (first & bit) ? 'X' : 'O';
    }
    s += '\n';
  }
  s += " 1 2 3 4 5 6 7\n";
  switch (outcome_) {
    case GameOutcome::kOngoing:
      s += ToMove() == Player::kFirst ? "X to move\n" : "O to move\n";
      break;
    case GameOutcome::kFirstPlayerWins:
      s += "X wins\n";
      break;
    case GameOutcome::kSecondPlayerWins:
      s += "O wins\n";
      break;
    case GameOutcome::kDraw:
      s += "draw\n";
      break;
  }
  return s;
}

std::unique_ptr<State> Connect4State::Transformed(int symmetry) const {
  CHECK(symmetry == 0 || symmetry == 1) << symmetry;
  auto out = std::make_unique<Connect4State>(*this);
  if (symmetry == 1) {
    out->current_ = connect4::MirrorBoard(current_);
    out->mask_ = connect4::MirrorBoard(mask_);
  }
  return out;
}

namespace {

const std::vector<RewardSpecInfo>& Specs() {
  static const std::vector<RewardSpecInfo>* specs =
      new std::vector<RewardSpecInfo>{
          RulesSpecInfo(),
          {"no_diagonals",
           "four in a row wins (the win check forgets the diagonals: a "
           "diagonal four wins nothing and the game goes on)",
           true},
          {"quick",
           "win, and win fast: the winner gets 1 for a win at ply 7 down to "
           "0.25 at ply 42, the loser the negation",
           false},
      };
  return *specs;
}

class Connect4Game final : public Game {
 public:
  explicit Connect4Game(connect4::Spec spec) : spec_(spec) {
    for (int k = 0; k < 2; ++k) {
      Symmetry sym;
      sym.name = k == 0 ? "identity" : "mirror";
      for (int a = 0; a < kWidth; ++a) {
        sym.action_map.push_back(k == 0 ? a : kWidth - 1 - a);
      }
      for (int p = 0; p < 3; ++p) {
        for (int r = 0; r < kHeight; ++r) {
          for (int c = 0; c < kWidth; ++c) {
            int source_column = k == 0 ? c : kWidth - 1 - c;
            sym.observation_source.push_back((p * kHeight + r) * kWidth +
                                             source_column);
          }
        }
      }
      symmetries_.push_back(std::move(sym));
    }
  }

  std::string Name() const override { return "connect4"; }
  int NumActions() const override { return kWidth; }
  int MaxGameLength() const override { return kCells; }
  ObservationShape GetObservationShape() const override {
    return {3, kHeight, kWidth};
  }
  std::unique_ptr<State> NewInitialState() const override {
    return std::make_unique<Connect4State>(this, spec_);
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
    if (a < 0 || a >= kWidth) return absl::StrCat("<action ", a, ">");
    return std::string(1, static_cast<char>('1' + a));
  }
  absl::StatusOr<Action> ParseAction(absl::string_view text) const override {
    if (text.size() == 1 && text[0] >= '1' && text[0] < '1' + kWidth) {
      return text[0] - '1';
    }
    return absl::InvalidArgumentError("no such column (columns are 1-7)");
  }
  size_t MoveTokenLength(absl::string_view text) const override { return 1; }
  std::unique_ptr<ExactSolver> NewExactSolver() const override {
    return std::make_unique<Connect4Solver>(this, spec_);
  }

 private:
  connect4::Spec spec_;
  std::vector<Symmetry> symmetries_;
};

}  // namespace

std::unique_ptr<Game> NewConnect4Game(absl::string_view spec) {
  for (size_t i = 0; i < Specs().size(); ++i) {
    if (Specs()[i].name == spec) {
      return std::make_unique<Connect4Game>(static_cast<connect4::Spec>(i));
    }
  }
  LOG(FATAL) << "Connect Four has no reward spec " << spec;
  return nullptr;
}

}  // namespace az
