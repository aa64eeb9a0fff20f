#include "analysis/strata.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"

namespace az::analysis {
namespace {

// Whether the side to move in `state` has a move that ends the game with its
// win. `scratch` is a state of the same game to play into.
bool HasImmediateWin(const State& state, State& scratch) {
  const Player mover = state.ToMove();
  for (Action a : state.LegalActions()) {
    scratch.CopyFrom(state);
    scratch.Apply(a);
    if (scratch.IsTerminal() && scratch.Reward(mover).is_win()) return true;
  }
  return false;
}

}  // namespace

bool IsQuiet(const State& state) {
  std::unique_ptr<State> after = state.Clone();
  std::unique_ptr<State> scratch = state.Clone();
  if (HasImmediateWin(state, *scratch)) return false;
  for (Action a : state.LegalActions()) {
    after->CopyFrom(state);
    after->Apply(a);
    if (after->IsTerminal()) continue;  // a draw or a loss by the rules
    if (HasImmediateWin(*after, *scratch)) return false;
  }
  return true;
}

int StageWidth(const Game& game) {
  return std::max(1, (game.MaxGameLength() + 3) / 4);
}

int StageIndex(const Game& game, int ply) {
  return std::max(0, ply) / StageWidth(game);
}

std::string StageName(const Game& game, int index) {
  const int width = StageWidth(game);
  return absl::StrCat("plies ", index * width, "-", (index + 1) * width - 1);
}

}  // namespace az::analysis
