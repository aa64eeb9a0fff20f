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

// Whether the spec and the rules judge the move that led to `after` (not
// yet decided by the rules before it) differently: one of them ends the
// game there and the other does not, or both do with different winners.
bool EndsDifferently(const State& after) {
  const IntendedVerdict verdict = after.Verdict();
  const bool rules_end = verdict.decided();
  const bool spec_end = after.IsTerminal();
  if (rules_end != spec_end) return true;
  return rules_end && verdict.outcome != after.Outcome();
}

}  // namespace

bool HasRewardThreat(const State& state) {
  if (state.game().PlaysByRules() || state.IsTerminal() ||
      state.Verdict().decided()) {
    return false;
  }
  std::unique_ptr<State> after = state.Clone();
  std::unique_ptr<State> reply = state.Clone();
  for (Action a : state.LegalActions()) {
    after->CopyFrom(state);
    after->Apply(a);
    if (EndsDifferently(*after)) return true;
    if (after->IsTerminal()) continue;  // both end it, the same way
    for (Action b : after->LegalActions()) {
      reply->CopyFrom(*after);
      reply->Apply(b);
      if (EndsDifferently(*reply)) return true;
    }
  }
  return false;
}

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
