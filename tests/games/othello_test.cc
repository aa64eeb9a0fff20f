#include "games/othello/othello.h"

#include <array>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "games/registry.h"
#include "games/solver.h"
#include "gtest/gtest.h"
#include "tests/games/game_conformance.h"

namespace az {
namespace {

constexpr Action kPass = 64;

const Game& Othello() {
  static const Game* game = *FindGame("othello");
  return *game;
}

std::unique_ptr<State> Play(absl::string_view moves) {
  auto state = Othello().NewStateFromMoves(moves);
  EXPECT_TRUE(state.ok()) << state.status();
  if (!state.ok()) return Othello().NewInitialState();
  return std::move(*state);
}

std::vector<std::string> LegalMoveNames(const State& s) {
  std::vector<std::string> names;
  for (Action a : s.LegalActions()) {
    names.push_back(s.game().ActionToString(a));
  }
  return names;
}

// The board drawing of ToString() without its last (status) line.
std::string Board(const State& s) {
  std::string text = s.ToString();
  text.pop_back();
  return text.substr(0, text.rfind('\n') + 1);
}

// A slow, obviously correct model of the rules to check the bitboards
// against: cells indexed row * 8 + column, stepping one square at a time.
enum Cell { kEmpty, kOwn, kOpponent };
using Cells = std::array<Cell, 64>;

// The board from the side to move's view, read back from the observation.
Cells CellsOf(const State& s) {
  std::vector<float> obs(Othello().GetObservationShape().size());
  s.EncodeObservation(obs.data());
  Cells cells;
  for (int sq = 0; sq < 64; ++sq) {
    EXPECT_FALSE(obs[sq] == 1.0f && obs[64 + sq] == 1.0f) << sq;
    cells[sq] = obs[sq] == 1.0f        ? kOwn
                : obs[64 + sq] == 1.0f ? kOpponent
                                       : kEmpty;
  }
  return cells;
}

Cells Swapped(Cells cells) {
  for (Cell& c : cells) {
    if (c != kEmpty) c = c == kOwn ? kOpponent : kOwn;
  }
  return cells;
}

// The discs that kOwn turns by playing on `sq` (empty if the move is not
// legal).
std::vector<int> ReferenceFlips(const Cells& cells, int sq) {
  std::vector<int> flips;
  if (cells[sq] != kEmpty) return flips;
  for (int dr = -1; dr <= 1; ++dr) {
    for (int dc = -1; dc <= 1; ++dc) {
      if (dr == 0 && dc == 0) continue;
      std::vector<int> run;
      int r = sq / 8 + dr, c = sq % 8 + dc;
      while (r >= 0 && r < 8 && c >= 0 && c < 8 &&
             cells[r * 8 + c] == kOpponent) {
        run.push_back(r * 8 + c);
        r += dr;
        c += dc;
      }
      if (!run.empty() && r >= 0 && r < 8 && c >= 0 && c < 8 &&
          cells[r * 8 + c] == kOwn) {
        flips.insert(flips.end(), run.begin(), run.end());
      }
    }
  }
  return flips;
}

std::vector<Action> ReferencePlacements(const Cells& cells) {
  std::vector<Action> moves;
  for (int sq = 0; sq < 64; ++sq) {
    if (!ReferenceFlips(cells, sq).empty()) moves.push_back(sq);
  }
  return moves;
}

TEST(OthelloTest, RandomGamesKeepEveryInvariantUnderEverySpec) {
  testing::CheckRandomGamesEverySpec("othello", 2000, 11, 400);
}

// Every position of random games, and every move from it, agrees with the
// square-by-square model: legal placements, the pass rule, the end of the
// game, its winner, and the discs each move turns.
TEST(OthelloTest, MatchesSquareBySquareRules) {
  std::mt19937_64 rng(5);
  int passes = 0, finished_with_empties = 0;
  for (int g = 0; g < 300; ++g) {
    std::unique_ptr<State> s = Othello().NewInitialState();
    while (true) {
      const Cells cells = CellsOf(*s);
      const std::vector<Action> mine = ReferencePlacements(cells);
      const std::vector<Action> theirs = ReferencePlacements(Swapped(cells));
      const bool over = mine.empty() && theirs.empty();
      ASSERT_EQ(s->IsTerminal(), over) << s->ToString();
      if (over) {
        int own = 0, opp = 0;
        for (Cell c : cells) {
          own += c == kOwn;
          opp += c == kOpponent;
        }
        if (own + opp < 64) ++finished_with_empties;
        Player me = s->ToMove();
        TerminalReward expected = own > opp   ? TerminalReward::Win()
                                  : own < opp ? TerminalReward::Loss()
                                              : TerminalReward::Draw();
        EXPECT_EQ(s->Reward(me), expected) << s->ToString();
        EXPECT_EQ(s->Reward(Opponent(me)), expected.ForOpponent());
        break;
      }
      std::vector<Action> expected = mine;
      if (mine.empty()) {
        expected = {kPass};
        ++passes;
      }
      ASSERT_EQ(s->LegalActions(), expected) << s->ToString();
      for (Action a : mine) {
        std::unique_ptr<State> child = s->Clone();
        child->Apply(a);
        Cells want = cells;
        want[a] = kOwn;
        for (int sq : ReferenceFlips(cells, a)) want[sq] = kOwn;
        // The child is seen from the opponent's side.
        ASSERT_EQ(Swapped(CellsOf(*child)), want)
            << s->ToString() << "after " << Othello().ActionToString(a);
      }
      s->Apply(expected[rng() % expected.size()]);
    }
  }
  // The sample reached the rare rules too.
  EXPECT_GT(passes, 0);
  EXPECT_GT(finished_with_empties, 0);
}

// Counts the leaves of the game tree to `depth` plies (a pass is a ply; a
// finished game is a leaf wherever it ends) and the finished games among them,
// without allocating per node.
struct TreeCount {
  uint64_t leaves = 0;
  uint64_t finished = 0;
};
void Perft(std::vector<std::unique_ptr<State>>& stack, int depth,
           TreeCount* count) {
  State& s = *stack[depth];
  if (depth == 0 || s.IsTerminal()) {
    ++count->leaves;
    count->finished += s.IsTerminal();
    return;
  }
  Action actions[65];
  const int n = s.FillLegalActions(actions);
  for (int i = 0; i < n; ++i) {
    stack[depth - 1]->CopyFrom(s);
    stack[depth - 1]->Apply(actions[i]);
    Perft(stack, depth - 1, count);
  }
}

TreeCount CountTree(int depth) {
  std::vector<std::unique_ptr<State>> stack;
  for (int i = 0; i <= depth; ++i) stack.push_back(Othello().NewInitialState());
  TreeCount count;
  Perft(stack, depth, &count);
  return count;
}

// The published counts of Othello games by ply (OEIS A124004), which any
// error in move generation or flipping changes.
TEST(OthelloTest, PerftMatchesPublishedCounts) {
  const std::vector<uint64_t> expected = {1,    4,    12,    56,    244,
                                          1396, 8200, 55092, 390216};
  for (int depth = 0; depth < static_cast<int>(expected.size()); ++depth) {
    EXPECT_EQ(CountTree(depth).leaves, expected[depth]) << "depth " << depth;
  }
}

TEST(OthelloTest, InitialPositionAndTheFourFirstMoves) {
  auto s = Othello().NewInitialState();
  EXPECT_EQ(s->ToString(),
            "  a b c d e f g h\n"
            "1 . . . . . . . .\n"
            "2 . . . . . . . .\n"
            "3 . . . . . . . .\n"
            "4 . . . O X . . .\n"
            "5 . . . X O . . .\n"
            "6 . . . . . . . .\n"
            "7 . . . . . . . .\n"
            "8 . . . . . . . .\n"
            "X 2, O 2: X to move\n");
  EXPECT_EQ(s->ToMove(), Player::kFirst);
  EXPECT_EQ(s->MoveNumber(), 0);
  EXPECT_EQ(LegalMoveNames(*s),
            (std::vector<std::string>{"d3", "c4", "f5", "e6"}));
  EXPECT_FALSE(s->IsLegal(kPass));

  // Observation planes: own (black d5 e4), opponent (d4 e5), moves, ones.
  std::vector<float> obs(Othello().GetObservationShape().size());
  ASSERT_EQ(obs.size(), 4u * 64);
  s->EncodeObservation(obs.data());
  for (int sq = 0; sq < 64; ++sq) {
    EXPECT_EQ(obs[sq], sq == 35 || sq == 28 ? 1 : 0) << sq;
    EXPECT_EQ(obs[64 + sq], sq == 27 || sq == 36 ? 1 : 0) << sq;
    bool move = sq == 19 || sq == 26 || sq == 37 || sq == 44;
    EXPECT_EQ(obs[128 + sq], move ? 1 : 0) << sq;
    EXPECT_EQ(obs[192 + sq], 1) << sq;
  }

  // f5 turns e5; white (now to move, and "own" in the observation) has only
  // d4 left and the three classical replies.
  s->Apply(37);
  EXPECT_EQ(Board(*s),
            "  a b c d e f g h\n"
            "1 . . . . . . . .\n"
            "2 . . . . . . . .\n"
            "3 . . . . . . . .\n"
            "4 . . . O X . . .\n"
            "5 . . . X X X . .\n"
            "6 . . . . . . . .\n"
            "7 . . . . . . . .\n"
            "8 . . . . . . . .\n");
  EXPECT_EQ(s->ToMove(), Player::kSecond);
  EXPECT_EQ(LegalMoveNames(*s), (std::vector<std::string>{"f4", "d6", "f6"}));
  s->EncodeObservation(obs.data());
  for (int sq = 0; sq < 64; ++sq) EXPECT_EQ(obs[sq], sq == 27 ? 1 : 0) << sq;
}

TEST(OthelloTest, OneMoveFlipsInSeveralDirections) {
  auto s = Play("f5f6e6d6e7f8f7");
  EXPECT_EQ(Board(*s),
            "  a b c d e f g h\n"
            "1 . . . . . . . .\n"
            "2 . . . . . . . .\n"
            "3 . . . . . . . .\n"
            "4 . . . O X . . .\n"
            "5 . . . O X X . .\n"
            "6 . . . O X X . .\n"
            "7 . . . . O X . .\n"
            "8 . . . . . O . .\n");
  // White f4 closes three lines at once: e4 against d4 (west), f5 f6 f7
  // against f8 (north) and e5 against d6 (north-west); e3 and g-side lines
  // have no white disc behind them.
  s->Apply(*Othello().ParseAction("f4"));
  EXPECT_EQ(s->ToString(),
            "  a b c d e f g h\n"
            "1 . . . . . . . .\n"
            "2 . . . . . . . .\n"
            "3 . . . . . . . .\n"
            "4 . . . O O O . .\n"
            "5 . . . O O O . .\n"
            "6 . . . O X O . .\n"
            "7 . . . . O O . .\n"
            "8 . . . . . O . .\n"
            "X 1, O 11: X to move\n");
}

TEST(OthelloTest, LongRunFlipsAlongADiagonal) {
  auto s = Play("c4c3c2b2e6d2c1f6g7");
  // White h8 turns g7 f6 e5 d4 c3 up to its disc on b2.
  s->Apply(*Othello().ParseAction("h8"));
  EXPECT_EQ(Board(*s),
            "  a b c d e f g h\n"
            "1 . . X . . . . .\n"
            "2 . O X O . . . .\n"
            "3 . . O . . . . .\n"
            "4 . . X O X . . .\n"
            "5 . . . X O . . .\n"
            "6 . . . . X O . .\n"
            "7 . . . . . . O .\n"
            "8 . . . . . . . O\n");
}

TEST(OthelloTest, PassIsForcedOnlyWithoutAPlacingMove) {
  auto s = Play("d3c3f5d2d1e1b2c1");
  // Black's discs touch white's c1 d1 e1 d2 only from below, and every line
  // through a white disc runs off the board before meeting a black one.
  EXPECT_EQ(s->ToString(),
            "  a b c d e f g h\n"
            "1 . . O O O . . .\n"
            "2 . X . O . . . .\n"
            "3 . . X X . . . .\n"
            "4 . . . X X . . .\n"
            "5 . . . X X X . .\n"
            "6 . . . . . . . .\n"
            "7 . . . . . . . .\n"
            "8 . . . . . . . .\n"
            "X 8, O 4: X to move (must pass)\n");
  EXPECT_FALSE(s->IsTerminal());
  EXPECT_EQ(s->ToMove(), Player::kFirst);
  EXPECT_EQ(s->LegalActions(), std::vector<Action>{kPass});
  std::vector<float> obs(4 * 64);
  s->EncodeObservation(obs.data());
  for (int sq = 0; sq < 64; ++sq) EXPECT_EQ(obs[128 + sq], 0) << sq;

  const uint64_t before = s->Hash();
  s->Apply(kPass);
  EXPECT_EQ(s->MoveNumber(), 9);
  EXPECT_EQ(s->ToMove(), Player::kSecond);
  EXPECT_NE(s->Hash(), before);  // same discs, other side to move
  EXPECT_FALSE(s->IsLegal(kPass));
  EXPECT_EQ(LegalMoveNames(*s), (std::vector<std::string>{"a3", "b4", "d6"}));
  EXPECT_EQ(
      Othello().FormatMoves(*Othello().ParseMoves("d3c3f5d2d1e1b2c1 PASS a3")),
      "d3c3f5d2d1e1b2c1passa3");
}

// A pass in random games obeys the same rule as in the constructed one.
TEST(OthelloTest, PassesInRandomGamesFollowTheRule) {
  std::mt19937_64 rng(17);
  int passes = 0;
  for (int g = 0; g < 500; ++g) {
    auto s = Othello().NewInitialState();
    while (!s->IsTerminal()) {
      std::vector<Action> legal = s->LegalActions();
      if (s->IsLegal(kPass)) {
        ++passes;
        ASSERT_EQ(legal, std::vector<Action>{kPass});
        auto after = s->Clone();
        after->Apply(kPass);
        // The opponent can move, or the game would have been over already.
        ASSERT_FALSE(after->IsTerminal());
        ASSERT_FALSE(after->IsLegal(kPass));
      }
      s->Apply(legal[rng() % legal.size()]);
    }
  }
  EXPECT_GT(passes, 0);
}

TEST(OthelloTest, ShortestGameIsANinePlyWipeOut) {
  // No game ends before ply 9 (the whole tree to depth 8 has no terminal
  // position), and black can wipe white out at ply 9.
  TreeCount tree = CountTree(8);
  EXPECT_EQ(tree.leaves, 390216u);
  EXPECT_EQ(tree.finished, 0u);

  auto s = Play("d3c3b3e3f3f4f5d6d7");  // d7 turns d6 d5 d4, white's last
  EXPECT_EQ(s->ToString(),
            "  a b c d e f g h\n"
            "1 . . . . . . . .\n"
            "2 . . . . . . . .\n"
            "3 . X X X X X . .\n"
            "4 . . . X X X . .\n"
            "5 . . . X X X . .\n"
            "6 . . . X . . . .\n"
            "7 . . . X . . . .\n"
            "8 . . . . . . . .\n"
            "X 13, O 0: X (black) wins\n");
  EXPECT_TRUE(s->IsTerminal());
  EXPECT_EQ(s->Outcome(), GameOutcome::kFirstPlayerWins);
  EXPECT_EQ(s->Reward(Player::kFirst), TerminalReward::Win());
  EXPECT_EQ(s->Reward(Player::kSecond), TerminalReward::Loss());
  EXPECT_TRUE(s->LegalActions().empty());
  EXPECT_FALSE(s->IsLegal(kPass));
}

TEST(OthelloTest, GameEndsWhenNeitherSideCanMoveWithSquaresLeft) {
  auto s = Play(
      "e6f4g3g4f3f6h4e3f5g5e7f2e2d2f1e8d6h5d3h6d1f7f8d8c8h3g2c4c5b4g6h7a4g1h1"
      "h2h8c1b6e1c6d7b1b5a5g7g8a7c7a6c2c3b3a3b7b2a1");
  // a2, a8 and b8 are empty, but every line from them runs into the edge or
  // another empty square before a disc of the other colour closes it.
  EXPECT_EQ(s->ToString(),
            "  a b c d e f g h\n"
            "1 X X X X X X X X\n"
            "2 . X X X X X X X\n"
            "3 O X X X X X X X\n"
            "4 O X X X X X X X\n"
            "5 O X O X X X X X\n"
            "6 O X X X X O X X\n"
            "7 O X X X X X X X\n"
            "8 . . X X X X X X\n"
            "X 54, O 7: X (black) wins\n");
  EXPECT_EQ(s->MoveNumber(), 57);
  EXPECT_TRUE(s->IsTerminal());
  EXPECT_EQ(s->Reward(Player::kFirst), TerminalReward::Win());
  EXPECT_EQ(s->Reward(Player::kSecond), TerminalReward::Loss());
  for (const char* move : {"a2", "a8", "b8", "pass"}) {
    EXPECT_FALSE(s->IsLegal(*Othello().ParseAction(move))) << move;
  }
}

TEST(OthelloTest, EqualDiscCountIsADraw) {
  auto s = Play(
      "d3c3c4e3f4f5f6e6f7g6g4e7f3b5d8g3f2e2d6c6h5h7c5g2b7f8b2d7g7h4e1d2g1c2h2"
      "a8b1g5b4a2b6a3h6g8d1b3a4a5e8h3b8f1a1h1h8a7a6c8c7c1");
  EXPECT_EQ(s->ToString(),
            "  a b c d e f g h\n"
            "1 X X O O O O O O\n"
            "2 X X O O O O O O\n"
            "3 X X O O O O O O\n"
            "4 X O O X X O O O\n"
            "5 X X O O X O O X\n"
            "6 X X X X O X X X\n"
            "7 O X X X X X X X\n"
            "8 O O O X X X X X\n"
            "X 32, O 32: draw\n");
  EXPECT_EQ(s->Outcome(), GameOutcome::kDraw);
  EXPECT_TRUE(s->Reward(Player::kFirst).is_draw());
  EXPECT_TRUE(s->Reward(Player::kSecond).is_draw());
}

TEST(OthelloTest, Notation) {
  const Game& g = Othello();
  EXPECT_EQ(*g.ParseAction("a1"), 0);
  EXPECT_EQ(*g.ParseAction("h1"), 7);
  EXPECT_EQ(*g.ParseAction("d3"), 19);
  EXPECT_EQ(*g.ParseAction("D3"), 19);
  EXPECT_EQ(*g.ParseAction("a8"), 56);
  EXPECT_EQ(*g.ParseAction("H8"), 63);
  EXPECT_EQ(*g.ParseAction("pass"), kPass);
  EXPECT_EQ(*g.ParseAction("PaSS"), kPass);
  EXPECT_EQ(g.ActionToString(19), "d3");
  EXPECT_EQ(g.ActionToString(kPass), "pass");
  for (const char* bad :
       {"", "d", "z9", "d9", "d0", "i1", "3d", "d33", "pas", "passs", "p"}) {
    auto parsed = g.ParseAction(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(g.MoveTokenLength("passd3"), 4u);
  EXPECT_EQ(g.MoveTokenLength("PASS"), 4u);
  EXPECT_EQ(g.MoveTokenLength("pa"), 2u);
  EXPECT_EQ(g.MoveTokenLength("d3c4"), 2u);

  const std::vector<Action> f5d6c3 = {37, 43, 18};
  for (const char* text : {"f5d6c3", "F5D6C3", "f5 d6 c3", " f5, d6,c3\n"}) {
    auto parsed = g.ParseMoves(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed, f5d6c3) << text;
  }
  EXPECT_EQ(g.FormatMoves(f5d6c3), "f5d6c3");
}

void ExpectError(absl::string_view moves, std::vector<std::string> parts) {
  auto state = Othello().NewStateFromMoves(moves);
  ASSERT_FALSE(state.ok()) << moves;
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  for (const std::string& part : parts) {
    EXPECT_TRUE(absl::StrContains(state.status().message(), part))
        << state.status() << " lacks " << part;
  }
}

TEST(OthelloTest, BadMovesAreNamedByNumberAndCharacter) {
  ExpectError("f5d6z9", {"move 3", "\"z9\"", "character 5", "not an Othello"});
  ExpectError("f5 d6 d4", {"move 3", "\"d4\"", "character 7", "not a legal"});
  ExpectError("f5pass", {"move 2", "\"pass\"", "character 3", "not a legal"});
  ExpectError("a1", {"move 1", "\"a1\"", "character 1", "not a legal"});
  ExpectError("f5d", {"move 2", "\"d\"", "character 3"});
  ExpectError("d3c3b3e3f3f4f5d6d7e8",
              {"move 10", "character 19", "already over"});
}

// The rules look the same under all 8 symmetries of the square, but the start
// position is kept only by the 4 that swap or keep the diagonals' colours.
TEST(OthelloTest, SymmetriesOfTheStartPosition) {
  const std::vector<Symmetry>& syms = Othello().Symmetries();
  ASSERT_EQ(syms.size(), 8u);
  EXPECT_EQ(syms[0].name, "identity");
  auto start = Othello().NewInitialState();
  int keep = 0;
  for (size_t k = 0; k < syms.size(); ++k) {
    EXPECT_EQ(syms[k].action_map[kPass], kPass);
    keep += start->Transformed(static_cast<int>(k))->Hash() == start->Hash();
  }
  EXPECT_EQ(keep, 4);
  // A quarter turn clockwise as drawn (row 1 on top) takes a1 to h1.
  EXPECT_EQ(syms[1].name, "rot90");
  EXPECT_EQ(syms[1].action_map[0], 7);
  EXPECT_EQ(syms[4].name, "mirror");
  EXPECT_EQ(syms[4].action_map[*Othello().ParseAction("b3")],
            *Othello().ParseAction("g3"));
}

TEST(OthelloTest, MaxGameLengthBoundsPlacementsAndPasses) {
  // 60 placements, and a pass only ever between two placements.
  EXPECT_EQ(Othello().MaxGameLength(), 119);
  EXPECT_EQ(Othello().NumActions(), 65);
  EXPECT_EQ(Othello().NewExactSolver(), nullptr);
}

}  // namespace
}  // namespace az
