#include "games/othello/othello.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/bits.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/hash.h"
#include "glog/logging.h"

namespace az {
namespace {

constexpr int kSize = 8;
constexpr int kSquares = kSize * kSize;
constexpr Action kPass = kSquares;
constexpr int kNumActions = kSquares + 1;
constexpr int kPlanes = 4;

// Every square but those of columns a and h. Opponent discs are masked with
// it before a fill in any direction with a sideways step, so that a run can
// never wrap from one row's edge to the next row's other edge.
constexpr uint64_t kInnerColumns = 0x7e7e7e7e7e7e7e7eULL;

constexpr uint64_t kStartBlack = (uint64_t{1} << 35) | (uint64_t{1} << 28);
constexpr uint64_t kStartWhite = (uint64_t{1} << 27) | (uint64_t{1} << 36);

// One step in a direction: positive kDelta shifts towards h8, negative towards
// a1 (+1 east, +8 north, +9 north-east, +7 north-west).
template <int kDelta>
constexpr uint64_t Step(uint64_t b) {
  if constexpr (kDelta > 0) {
    return b << kDelta;
  } else {
    return b >> -kDelta;
  }
}

// The opponent discs a run in direction kDelta may pass through.
template <int kDelta>
constexpr uint64_t RunMask(uint64_t opp) {
  if constexpr (kDelta == 8 || kDelta == -8) {
    return opp;
  } else {
    return opp & kInnerColumns;
  }
}

// The empty squares that a run of opponent discs leads to from one of `own`'s
// discs in direction kDelta: placing there closes the run, so they are moves.
// A run is at most 6 discs long, hence 5 steps after the first.
template <int kDelta>
uint64_t DirectionMoves(uint64_t own, uint64_t opp, uint64_t empty) {
  const uint64_t run = RunMask<kDelta>(opp);
  uint64_t x = Step<kDelta>(own) & run;
  x |= Step<kDelta>(x) & run;
  x |= Step<kDelta>(x) & run;
  x |= Step<kDelta>(x) & run;
  x |= Step<kDelta>(x) & run;
  x |= Step<kDelta>(x) & run;
  return Step<kDelta>(x) & empty;
}

// The squares where the owner of `own` can place a disc.
uint64_t PlacingMoves(uint64_t own, uint64_t opp) {
  const uint64_t empty = ~(own | opp);
  return DirectionMoves<1>(own, opp, empty) |
         DirectionMoves<-1>(own, opp, empty) |
         DirectionMoves<8>(own, opp, empty) |
         DirectionMoves<-8>(own, opp, empty) |
         DirectionMoves<7>(own, opp, empty) |
         DirectionMoves<-7>(own, opp, empty) |
         DirectionMoves<9>(own, opp, empty) |
         DirectionMoves<-9>(own, opp, empty);
}

// The opponent discs that a disc placed on `move` turns in direction kDelta.
template <int kDelta>
uint64_t DirectionFlips(uint64_t move, uint64_t own, uint64_t opp) {
  const uint64_t run = RunMask<kDelta>(opp);
  uint64_t x = Step<kDelta>(move) & run;
  x |= Step<kDelta>(x) & run;
  x |= Step<kDelta>(x) & run;
  x |= Step<kDelta>(x) & run;
  x |= Step<kDelta>(x) & run;
  x |= Step<kDelta>(x) & run;
  // The run counts only if an own disc closes it; select without a branch.
  const uint64_t closed = (Step<kDelta>(x) & own) != 0;
  return x & (0 - closed);
}

uint64_t Flips(uint64_t move, uint64_t own, uint64_t opp) {
  return DirectionFlips<1>(move, own, opp) |
         DirectionFlips<-1>(move, own, opp) |
         DirectionFlips<8>(move, own, opp) |
         DirectionFlips<-8>(move, own, opp) |
         DirectionFlips<7>(move, own, opp) |
         DirectionFlips<-7>(move, own, opp) |
         DirectionFlips<9>(move, own, opp) | DirectionFlips<-9>(move, own, opp);
}

using SquareMap = std::array<int, kSquares>;

// The 8 symmetries of the square as square maps: square s goes to map[s].
// Same order and names as tic-tac-toe: a mirror of the columns, then k
// quarter turns clockwise as ToString() draws the board.
std::vector<SquareMap> SquareMaps() {
  std::vector<SquareMap> maps;
  for (int flip = 0; flip < 2; ++flip) {
    for (int rot = 0; rot < 4; ++rot) {
      SquareMap map;
      for (int s = 0; s < kSquares; ++s) {
        int r = s / kSize, c = s % kSize;
        if (flip) c = kSize - 1 - c;
        for (int k = 0; k < rot; ++k) {
          int nr = c, nc = kSize - 1 - r;
          r = nr;
          c = nc;
        }
        map[s] = r * kSize + c;
      }
      maps.push_back(map);
    }
  }
  return maps;
}

uint64_t MapBits(uint64_t bits, const SquareMap& map) {
  uint64_t out = 0;
  for (; bits != 0; bits &= bits - 1) {
    out |= uint64_t{1} << map[absl::countr_zero(bits)];
  }
  return out;
}

std::string SquareName(int square) {
  return {static_cast<char>('a' + square % kSize),
          static_cast<char>('1' + square / kSize)};
}

// The menu of reward specs, in the order of RewardSpecs(). Every spec ends
// the game where the rules do; they differ in how they judge the end.
enum class Spec : uint8_t { kRules, kDiscs, kCorners };

const std::vector<RewardSpecInfo>& Specs() {
  static const std::vector<RewardSpecInfo>* specs =
      new std::vector<RewardSpecInfo>{
          RulesSpecInfo(),
          {"discs",
           "the more discs the better: the final disc difference / 64, in "
           "[-1, 1] (the usual score proxy, not what the rules reward)",
           false},
          {"corners",
           "corners win Othello: whoever holds more of the four corners at "
           "the end wins, discs breaking a tie",
           true},
      };
  return *specs;
}

constexpr uint64_t kCorners = 0x8100000000000081ULL;  // a1 h1 a8 h8

// The winner by the count `first` vs `second`, or a draw when equal.
GameOutcome OutcomeOfCounts(int first, int second) {
  return first > second   ? GameOutcome::kFirstPlayerWins
         : first < second ? GameOutcome::kSecondPlayerWins
                          : GameOutcome::kDraw;
}

class OthelloGame;

class OthelloState final : public State {
 public:
  OthelloState(const Game* game, Spec spec) : game_(game), spec_(spec) {
    Update();
  }

  const Game& game() const override { return *game_; }
  Player ToMove() const override { return to_move_; }
  int MoveNumber() const override { return plies_; }

  int FillLegalActions(Action* out) const override {
    if (outcome_ != GameOutcome::kOngoing) return 0;
    if (moves_ == 0) {
      out[0] = kPass;
      return 1;
    }
    int n = 0;
    for (uint64_t b = moves_; b != 0; b &= b - 1) {
      out[n++] = absl::countr_zero(b);
    }
    return n;
  }
  bool IsLegal(Action a) const override {
    if (outcome_ != GameOutcome::kOngoing) return false;
    if (a == kPass) return moves_ == 0;
    return a >= 0 && a < kSquares && (moves_ >> a & 1);
  }
  void Apply(Action a) override {
    DCHECK(IsLegal(a)) << a;
    const int me = PlayerIndex(to_move_);
    if (a != kPass) {
      const uint64_t move = uint64_t{1} << a;
      const uint64_t flips = Flips(move, discs_[me], discs_[1 - me]);
      discs_[me] |= move | flips;
      discs_[1 - me] &= ~flips;
    }
    to_move_ = Opponent(to_move_);
    ++plies_;
    Update();
  }
  bool IsTerminal() const override { return outcome_ != GameOutcome::kOngoing; }
  GameOutcome Outcome() const override { return outcome_; }
  IntendedVerdict Verdict() const override { return verdict_; }
  TerminalReward Reward(Player player) const override {
    if (spec_ != Spec::kDiscs) return RewardFor(outcome_, player);
    CHECK(IsTerminal()) << "Reward() of a game that has not ended";
    const int me = PlayerIndex(player);
    const int margin =
        absl::popcount(discs_[me]) - absl::popcount(discs_[1 - me]);
    return TerminalReward::Payoff(static_cast<float>(margin) / kSquares);
  }

  uint64_t Hash() const override {
    return base::HashPair(base::HashPair(discs_[0], discs_[1]),
                    0x07e770 + PlayerIndex(to_move_));
  }

  void EncodeObservation(float* out) const override {
    const int me = PlayerIndex(to_move_);
    for (int s = 0; s < kSquares; ++s) {
      out[s] = discs_[me] >> s & 1;
      out[kSquares + s] = discs_[1 - me] >> s & 1;
      out[2 * kSquares + s] = moves_ >> s & 1;
      out[3 * kSquares + s] = 1.0f;
    }
  }

  std::string ToString() const override {
    std::string s = "  a b c d e f g h\n";
    for (int r = 0; r < kSize; ++r) {
      s += static_cast<char>('1' + r);
      for (int c = 0; c < kSize; ++c) {
        const int sq = r * kSize + c;
        s += ' ';
        s += discs_[0] >> sq & 1 ? 'X' : discs_[1] >> sq & 1 ? 'O' : '.';
      }
      s += '\n';
    }
    absl::StrAppend(&s, "X ", absl::popcount(discs_[0]), ", O ",
                    absl::popcount(discs_[1]), ": ");
    switch (outcome_) {
      case GameOutcome::kOngoing:
        absl::StrAppend(&s, to_move_ == Player::kFirst ? "X" : "O",
                        moves_ == 0 ? " to move (must pass)" : " to move");
        break;
      case GameOutcome::kFirstPlayerWins:
        s += "X (black) wins";
        break;
      case GameOutcome::kSecondPlayerWins:
        s += "O (white) wins";
        break;
      case GameOutcome::kDraw:
        s += "draw";
        break;
    }
    return s + "\n";
  }

  std::unique_ptr<State> Clone() const override {
    return std::make_unique<OthelloState>(*this);
  }
  void CopyFrom(const State& other) override {
    *this = static_cast<const OthelloState&>(other);
  }
  std::unique_ptr<State> Transformed(int symmetry) const override;

 private:
  // Recomputes what follows from the discs and the side to move: the placing
  // moves and whether the game is over. Done once per Apply so that the
  // legality and terminal queries the search makes are a few instructions.
  // The outcome is the spec's judgment of the end, the verdict the rules'.
  void Update() {
    const int me = PlayerIndex(to_move_);
    moves_ = PlacingMoves(discs_[me], discs_[1 - me]);
    outcome_ = GameOutcome::kOngoing;
    verdict_ = IntendedVerdict{};
    if (moves_ != 0 || PlacingMoves(discs_[1 - me], discs_[me]) != 0) return;
    const GameOutcome by_discs = OutcomeOfCounts(absl::popcount(discs_[0]),
                                                 absl::popcount(discs_[1]));
    verdict_ = {by_discs, plies_};
    outcome_ = by_discs;
    if (spec_ == Spec::kCorners) {
      const GameOutcome by_corners =
          OutcomeOfCounts(absl::popcount(discs_[0] & kCorners),
                          absl::popcount(discs_[1] & kCorners));
      if (by_corners != GameOutcome::kDraw) outcome_ = by_corners;
    }
  }

  const Game* game_;
  Spec spec_;
  // Discs by player: [0] black (first player), [1] white.
  std::array<uint64_t, 2> discs_ = {kStartBlack, kStartWhite};
  Player to_move_ = Player::kFirst;
  int plies_ = 0;
  // Where the side to move can place a disc (0 when it must pass or the game
  // is over).
  uint64_t moves_ = 0;
  GameOutcome outcome_ = GameOutcome::kOngoing;
  IntendedVerdict verdict_;
};

class OthelloGame final : public Game {
 public:
  explicit OthelloGame(Spec spec) : spec_(spec) {
    const char* names[] = {"identity",      "rot90",        "rot180",
                           "rot270",        "mirror",       "mirror+rot90",
                           "mirror+rot180", "mirror+rot270"};
    square_maps_ = SquareMaps();
    for (size_t i = 0; i < square_maps_.size(); ++i) {
      const SquareMap& map = square_maps_[i];
      Symmetry sym;
      sym.name = names[i];
      sym.action_map.assign(map.begin(), map.end());
      sym.action_map.push_back(kPass);
      sym.observation_source.resize(kPlanes * kSquares);
      for (int p = 0; p < kPlanes; ++p) {
        for (int s = 0; s < kSquares; ++s) {
          sym.observation_source[p * kSquares + map[s]] = p * kSquares + s;
        }
      }
      symmetries_.push_back(std::move(sym));
    }
  }

  std::string Name() const override { return "othello"; }
  int NumActions() const override { return kNumActions; }
  // 60 placements fill the board. A pass never ends the game (the other side
  // has a move, or it would be over) and never follows a pass, nor comes
  // first, so there are fewer passes than placements: at most 119 plies.
  int MaxGameLength() const override { return 2 * (kSquares - 4) - 1; }
  ObservationShape GetObservationShape() const override {
    return {kPlanes, kSize, kSize};
  }
  std::unique_ptr<State> NewInitialState() const override {
    return std::make_unique<OthelloState>(this, spec_);
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
    if (a == kPass) return "pass";
    if (a < 0 || a >= kSquares) return absl::StrCat("<action ", a, ">");
    return SquareName(a);
  }
  absl::StatusOr<Action> ParseAction(absl::string_view text) const override {
    if (absl::EqualsIgnoreCase(text, "pass")) return kPass;
    if (text.size() == 2) {
      const char col = absl::ascii_tolower(static_cast<unsigned char>(text[0]));
      const char row = text[1];
      if (col >= 'a' && col <= 'h' && row >= '1' && row <= '8') {
        return (row - '1') * kSize + (col - 'a');
      }
    }
    return absl::InvalidArgumentError(
        "not an Othello move (a square a1-h8: a column a-h then a row 1-8, "
        "or \"pass\")");
  }
  size_t MoveTokenLength(absl::string_view text) const override {
    return absl::StartsWithIgnoreCase(text, "pass") ? 4 : 2;
  }

  const SquareMap& square_map(int symmetry) const {
    return square_maps_[symmetry];
  }

 private:
  Spec spec_;
  std::vector<SquareMap> square_maps_;
  std::vector<Symmetry> symmetries_;
};

std::unique_ptr<State> OthelloState::Transformed(int symmetry) const {
  const SquareMap& map =
      static_cast<const OthelloGame*>(game_)->square_map(symmetry);
  auto out = std::make_unique<OthelloState>(*this);
  out->discs_ = {MapBits(discs_[0], map), MapBits(discs_[1], map)};
  out->Update();
  return out;
}

}  // namespace

std::unique_ptr<Game> NewOthelloGame(absl::string_view spec) {
  for (size_t i = 0; i < Specs().size(); ++i) {
    if (Specs()[i].name == spec) {
      return std::make_unique<OthelloGame>(static_cast<Spec>(i));
    }
  }
  LOG(FATAL) << "Othello has no reward spec " << spec;
  return nullptr;
}

}  // namespace az
